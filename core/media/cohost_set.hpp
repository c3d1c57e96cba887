// CohostSet: the co-host sessions (issue 17 point 5) by their host stream key. Each
// runs one program (through ProgramControl) of the host (input 0) and a guest
// (input 1), layout "single" until the guest publishes and the program shows its
// first frame (polled every 100 ms while a guest is joining), then "pip" or
// "side_by_side", and "single" again when the guest's publisher leaves (the
// registry's publish notifications). Owned by main(); loop thread.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "core/loop/timer.hpp"
#include "core/media/program_control.hpp"
#include "core/media/stream_registry.hpp"

namespace core {

class CohostSet final : public StreamObserver {
 public:
  using Answer = ProgramControl::Answer;
  // Whether a stream has a publisher now (a guest live before the session opens).
  using IsLive = std::function<bool(const std::string& key)>;

  CohostSet(EventLoop& loop, ProgramControl& programs, IsLive isLive);

  void onPublish(const Stream& stream) override { streamUp(stream.key()); }
  void onUnpublish(const Stream& stream) override { streamDown(stream.key()); }
  void streamUp(const std::string& key);
  void streamDown(const std::string& key);
  // A joining guest whose input the program shows live gets the layout (the timer's
  // work; public for tests).
  void poll();

  // POST /api/v1/cohost/{app}/{name} {"layout", "program", "guest", "width",
  // "height", "fps", "kbps", "preset"}: 201 with the session, 400, 409, or the program's error.
  Answer open(const std::string& app, const std::string& name, const nlohmann::json& body);
  Answer get(const std::string& hostKey) const;
  nlohmann::json list() const;
  // Ends the session and its program.
  Answer close(const std::string& hostKey);
  // Forgets every session, leaving the programs alone (server shutdown: the
  // ProgramSet stops them).
  void shutdown() {
    sessions_.clear();
    timer_.stop();
  }

 private:
  struct Session {
    std::string host, guest, program, layout;
    bool joining = false;  // the guest publishes; its picture is not in the program yet
    bool guestLive = false;
  };
  nlohmann::json describe(const Session& s) const;
  void setLayout(Session& s, bool guestLive);
  void join(Session& s);

  ProgramControl& programs_;
  IsLive isLive_;
  Timer timer_;                              // runs poll() while a guest is joining
  std::map<std::string, Session> sessions_;  // by host key
};

}  // namespace core
