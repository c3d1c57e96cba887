// ProgramSet: the compositor's programs by their stream key, the one Mailbox their
// threads post to, and the programs removed whose threads are still returning;
// answers the programs API (core::ProgramControl) and tells programs of streams
// published (core::StreamObserver) so inputs join when they go live. Owned by
// main(); loop thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/config/mixer_config.hpp"
#include "core/loop/mailbox.hpp"
#include "core/media/program_control.hpp"
#include "core/media/stream_registry.hpp"
#include "mixer/program.hpp"

namespace mixer {

class ProgramSet final : public core::ProgramControl, public core::StreamObserver {
 public:
  ProgramSet(core::EventLoop& loop, core::StreamRegistry& registry, av::Libraries& libs,
             const core::MixerConfig& config);
  ~ProgramSet() override;
  ProgramSet(const ProgramSet&) = delete;
  ProgramSet& operator=(const ProgramSet&) = delete;

  void onPublish(const core::Stream& stream) override;
  // Stops every program (server shutdown).
  void shutdown();

  Answer createProgram(const nlohmann::json& body) override;
  nlohmann::json listPrograms() const override;
  Answer getProgram(const std::string& key) const override;
  Answer patchProgram(const std::string& key, const nlohmann::json& body) override;
  Answer removeProgram(const std::string& key) override;
  Answer takeProgram(const std::string& key, const nlohmann::json& body) override;

  size_t retired() const { return retired_.size(); }
  static ProgramDefaults defaultsOf(const core::MixerConfig& config);

 private:
  void onEvent(MixerEvent&& event);
  void reap();
  // Every image layer of `spec` names a PNG or JPEG of the assets dir (its first
  // bytes: the decode itself runs on the compositor's thread); else `error` names it.
  bool imagesOpen(const ProgramSpec& spec, std::string& error) const;

  core::EventLoop& loop_;
  const core::MixerConfig& config_;
  core::Mailbox<MixerEvent> mailbox_;
  ProgramContext context_;
  ProgramDefaults defaults_;
  std::map<std::string, std::unique_ptr<Program>> programs_;
  std::map<uint64_t, Program*> routes_;
  std::vector<std::unique_ptr<Program>> retired_;
  uint64_t nextId_ = 1;
};

}  // namespace mixer
