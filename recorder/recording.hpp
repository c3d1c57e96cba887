// Recording: one stream being recorded (M6) — a MediaSink tap that writes the
// stream to files in the configured container, split by duration or kept per
// session, each with the room's event log beside it as JSON lines keyed by stream
// time. All disk I/O is asynchronous (AsyncAppender); a disk error stops the
// recording, never the live stream. Owned by the Recorder; loop thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/loop/async_appender.hpp"
#include "core/media/media_sink.hpp"
#include "core/media/recording_file.hpp"
#include "core/media/stream_registry.hpp"
#include "recorder/container_writer.hpp"

namespace recorder {

using core::RecordingFile;

struct RecordingOptions {
  std::string dir = "recordings";
  // {app}, {name}, {start} (UTC, 20261126-172000) and {ext} (mp4, flv).
  std::string pathTemplate = "{app}/{name}-{start}.{ext}";
  std::string format = "fmp4";  // or "flv"
  int64_t splitMs = 0;          // 0: one file per session
  int64_t fragmentMs = 1000;    // fMP4 fragment length (at most 2000)
  size_t maxQueuedBytes = 16 * 1024 * 1024;
};

// "{app}/{name}-{start}.{ext}" -> a relative path; "" with `error` if the template
// would leave the directory (an absolute path or a ".." component).
std::string expandPathTemplate(const std::string& pattern, const std::string& app,
                               const std::string& name, int64_t startWallMs, const std::string& ext,
                               std::string& error);

class Recording : public core::MediaSink {
 public:
  struct Callbacks {
    // A file was closed (its bytes are on disk, or `error` says why not).
    std::function<void(const RecordingFile&)> fileClosed;
    // The recording is over (stream ended, stopped, or failed): the owner may
    // destroy it (later, not inside this call).
    std::function<void(const std::string& reason)> done;
  };

  Recording(core::EventLoop& loop, std::string app, std::string name,
            const RecordingOptions& options, Callbacks callbacks);
  ~Recording() override;

  // Subscribes to the live stream; false with `error` if there is none.
  bool start(core::StreamRegistry& registry, std::string& error);
  // Closes the open file and ends the recording.
  void stop(const std::string& reason);

  const std::string& key() const { return key_; }
  // The open file, if any, with the bytes written to disk so far.
  std::optional<RecordingFile> current() const;

  void onStreamStart(const core::Stream& stream) override;
  void onPacket(const core::MediaPacket& packet) override;
  void onStreamEnd(std::string_view reason) override;

 private:
  bool openFile(int64_t baseDts);
  void closeFile(const std::string& reason);
  void fail(const std::string& error);
  void append(std::vector<core::SharedBuffer> bytes);
  // Appends the fragments the writer finished since the last call to the journal.
  void journalFragments();
  void logEvent(const core::MediaPacket& packet);

  core::EventLoop& loop_;
  std::string app_, name_, key_;
  const RecordingOptions& options_;
  Callbacks callbacks_;
  std::unique_ptr<core::Subscription> subscription_;
  Headers headers_;
  std::unique_ptr<ContainerWriter> writer_;
  // The media file, its event log and its journal (recording_journal.hpp).
  std::unique_ptr<core::AsyncAppender> file_, events_, journal_;
  size_t journaled_ = 0;  // fragments written to the journal
  RecordingFile info_;
  int64_t baseDts_ = 0;
  int64_t lastDts_ = 0;
  bool ended_ = false;
  std::string lastRelative_;  // the previous file's path: a split never overwrites it
  int samePath_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace recorder
