// Recorder: which streams are recorded (M6) — the streams the config names start
// recording when they are published, others on an API call — and the files that
// were recorded (closed ones kept for the API, replay and the close webhook).
// Owned by main(); loop thread.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/media/stream_registry.hpp"
#include "recorder/recording.hpp"
#include "recorder/recording_journal.hpp"

namespace recorder {

struct RecorderOptions {
  RecordingOptions recording;
  // Streams recorded from their publish on: "app/name", "app/*" or "*".
  std::vector<std::string> streams;
  size_t keepClosed = 1000;  // closed files listed by the API
};

class Recorder : public core::StreamObserver, public core::RecordingCatalog {
 public:
  Recorder(core::EventLoop& loop, core::StreamRegistry& registry, RecorderOptions options);
  ~Recorder() override;

  // Lists the files recorded before this start (their <file>.json under the
  // directory), so they stay listed and replayable across restarts; a file a
  // killed server left open (its journal, <file>.open.jsonl) is recovered: listed
  // as interrupted with its complete fragments, and given its <file>.json. Async.
  void loadIndex();

  // Told each time a file is closed (the webhook).
  void setOnFileClosed(std::function<void(const RecordingFile&)> fn) { onClosed_ = std::move(fn); }

  // core::RecordingCatalog
  bool start(const std::string& key, std::string& error) override;
  bool stop(const std::string& key, const std::string& reason = "stopped by the API") override;
  bool recording(const std::string& key) const override { return active_.contains(key); }
  nlohmann::json list() const override;
  const RecordingFile* find(const std::string& id) const override;

  // StreamObserver
  void onPublish(const core::Stream& stream) override;

 private:
  bool wanted(const std::string& key) const;
  void fileClosed(const RecordingFile& file);
  void indexFile(const std::string& sidecar, const std::string& text);
  void recoverJournals(const std::vector<std::string>& journals);
  void recovered(const std::string& journal, Recovered result);
  void addClosed(RecordingFile file);
  bool writing(const std::string& path) const;
  void finished(const std::string& key);

  core::EventLoop& loop_;
  core::StreamRegistry& registry_;
  RecorderOptions options_;
  std::map<std::string, std::unique_ptr<Recording>> active_;
  std::deque<RecordingFile> closed_;  // newest last
  std::function<void(const RecordingFile&)> onClosed_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  // Files started at or after this (wall clock) are this server's, never recovered.
  const int64_t startedWallMs_;
};

}  // namespace recorder
