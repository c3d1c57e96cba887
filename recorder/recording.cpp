#include "recorder/recording.hpp"

#include <spdlog/spdlog.h>

#include "core/format/json_text.hpp"
#include "core/loop/async_file.hpp"
#include "core/loop/event_loop.hpp"
#include "core/loop/wall_clock.hpp"
#include "core/media/room_event_packet.hpp"
#include "recorder/recording_journal.hpp"

namespace recorder {
namespace {

// "20261126-172000": a file name's start time.
std::string stamp(int64_t wallMs) {
  return core::formatUtc(wallMs, "%Y%m%d-%H%M%S");
}

// Keeps the appenders of a closing file alive until all are closed.
struct Closing {
  std::unique_ptr<core::AsyncAppender> file, events, journal;
  RecordingFile info;
  int pending = 0;
  std::function<void(const RecordingFile&)> closed;
};

}  // namespace

std::string expandPathTemplate(const std::string& pattern, const std::string& app,
                               const std::string& name, int64_t startWallMs, const std::string& ext,
                               std::string& error) {
  std::string out;
  for (size_t i = 0; i < pattern.size();) {
    if (pattern[i] == '{') {
      const size_t end = pattern.find('}', i);
      const std::string key = end == std::string::npos ? "" : pattern.substr(i + 1, end - i - 1);
      if (key == "app")
        out += app;
      else if (key == "name")
        out += name;
      else if (key == "start")
        out += stamp(startWallMs);
      else if (key == "ext")
        out += ext;
      else {
        error = "unknown placeholder in the path template \"" + pattern + "\"";
        return "";
      }
      i = end + 1;
      continue;
    }
    out += pattern[i++];
  }
  // NOTE: app and name are checked stream names (no "..", no "/" in a name), but the
  // template itself comes from the config: keep the result under the directory.
  if (out.empty() || out[0] == '/' || out == ".." || out.starts_with("../") ||
      out.find("/../") != std::string::npos || out.ends_with("/..")) {
    error = "the path template \"" + pattern + "\" leaves the recording directory";
    return "";
  }
  return out;
}

Recording::Recording(core::EventLoop& loop, std::string app, std::string name,
                     const RecordingOptions& options, Callbacks callbacks)
    : loop_(loop),
      app_(std::move(app)),
      name_(std::move(name)),
      key_(app_ + "/" + name_),
      options_(options),
      callbacks_(std::move(callbacks)) {}

Recording::~Recording() {
  *alive_ = false;
  if (file_) closeFile("recording destroyed");
}

bool Recording::start(core::StreamRegistry& registry, std::string& error) {
  subscription_ = registry.subscribe(app_, name_, *this, "");
  if (!subscription_) {
    error = "no live stream " + key_;
    return false;
  }
  spdlog::info("record {}: started ({} into {})", key_, options_.format, options_.dir);
  return true;
}

std::optional<RecordingFile> Recording::current() const {
  if (!file_) return std::nullopt;
  RecordingFile snapshot = info_;
  snapshot.bytes = file_->bytesWritten();
  return snapshot;
}

void Recording::stop(const std::string& reason) {
  if (ended_) return;
  ended_ = true;
  if (file_) closeFile(reason);
  subscription_.reset();
  spdlog::info("record {}: stopped ({})", key_, reason);
  if (callbacks_.done) callbacks_.done(reason);
}

void Recording::onStreamStart(const core::Stream&) {
  // A new publisher brings new headers: the file goes on only if they match.
  headers_.metadata.reset();
}

void Recording::onPacket(const core::MediaPacket& packet) {
  if (ended_) return;
  if (packet.config) {
    auto& slot = packet.isVideo()   ? headers_.videoConfig
                 : packet.isAudio() ? headers_.audioConfig
                                    : headers_.metadata;
    // NOTE: a track whose config comes after the file opened (the mixer's AAC
    // variant of a WHIP stream, while FFmpeg loads) is a change too: the file has
    // no track for it.
    const bool changed = slot ? !slot->payload.equals(packet.payload) : file_ != nullptr;
    slot = packet;
    if (changed && file_ && packet.kind != core::MediaKind::Data) {
      closeFile("codec configuration changed");  // the next file starts with it
      return;
    }
    if (file_ && packet.kind == core::MediaKind::Data) append(writer_->write(packet));
    return;
  }
  if (packet.codec == core::Codec::RoomEvent) {
    if (!file_) return;
    append(writer_->write(packet));
    logEvent(packet);
    return;
  }
  if (packet.kind == core::MediaKind::Data) {
    if (file_) append(writer_->write(packet));
    return;
  }
  const bool hasVideo = headers_.videoConfig.has_value();
  const bool boundary = hasVideo ? (packet.isVideo() && packet.keyframe) : packet.isAudio();
  if (file_ && boundary && options_.splitMs > 0 && packet.dts - baseDts_ >= options_.splitMs)
    closeFile("split after " + std::to_string(options_.splitMs) + " ms");
  if (!file_) {
    if (!boundary || !openFile(packet.dts)) return;
  }
  lastDts_ = std::max(lastDts_, packet.dts);
  append(writer_->write(packet));
  info_.durationMs = std::max<int64_t>(info_.durationMs, packet.dts - baseDts_);
}

void Recording::onStreamEnd(std::string_view reason) {
  subscription_.reset();  // already detached by the Stream
  stop("stream ended: " + std::string(reason));
}

bool Recording::openFile(int64_t baseDts) {
  writer_ = makeContainerWriter(options_.format, options_.fragmentMs);
  if (!writer_) {
    fail("unknown recording format \"" + options_.format + "\"");
    return false;
  }
  const int64_t now = core::wallClockMs();
  std::string error;
  const std::string relative =
      expandPathTemplate(options_.pathTemplate, app_, name_, now, writer_->extension(), error);
  if (relative.empty()) {
    fail(error);
    return false;
  }
  // NOTE: {start} has a resolution of one second: a file split off in the same
  // second gets "-1", "-2"... before its extension instead of truncating the last.
  std::string path = relative;
  if (relative == lastRelative_) {
    const size_t dot = relative.rfind('.');
    const size_t at =
        dot == std::string::npos || dot < relative.rfind('/') + 1 ? relative.size() : dot;
    path = relative.substr(0, at) + "-" + std::to_string(++samePath_) + relative.substr(at);
  } else {
    samePath_ = 0;
    lastRelative_ = relative;
  }
  auto head = writer_->begin(headers_, baseDts, error);
  if (head.empty()) {
    fail("cannot record " + key_ + " as " + options_.format + ": " + error);
    return false;
  }
  info_ = RecordingFile{};
  info_.stream = key_;
  info_.format = options_.format;
  info_.path = options_.dir + "/" + path;
  info_.eventsPath = info_.path + ".events.jsonl";
  info_.id = app_ + "-" + name_ + "-" + stamp(now) + "-" + std::to_string(now % 1000);
  for (char& c : info_.id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
  info_.startWallMs = now;
  info_.startStreamMs = baseDts;
  baseDts_ = lastDts_ = baseDts;

  core::AsyncAppender::Options o;
  o.maxQueuedBytes = options_.maxQueuedBytes;
  auto onError = [this, alive = std::weak_ptr<bool>(alive_)](const std::string& e) {
    if (!alive.expired()) fail(e);
  };
  file_ = std::make_unique<core::AsyncAppender>(loop_, info_.path, o, onError);
  events_ = std::make_unique<core::AsyncAppender>(loop_, info_.eventsPath, o, onError);
  journal_ = std::make_unique<core::AsyncAppender>(loop_, journalPath(info_.path), o, onError);
  journaled_ = 0;
  file_->open();
  events_->open();
  journal_->open();
  journal_->append(core::SharedBuffer::copyOf(journalHead(info_)));
  spdlog::info("record {}: writing {}", key_, info_.path);
  append(std::move(head));
  return true;
}

void Recording::append(std::vector<core::SharedBuffer> bytes) {
  if (!file_) return;
  for (auto& b : bytes) {
    if (!file_->append(std::move(b))) return;  // failed: its error is on the way
  }
  journalFragments();
  // NOTE: fMP4 fragments are the crash-safe unit: each is flushed to disk.
  if (!bytes.empty() && options_.format == "fmp4") {
    file_->sync();
    if (journal_) journal_->sync();
  }
}

void Recording::journalFragments() {
  if (!journal_ || !writer_) return;
  // NOTE: after the fragment's bytes were appended to the file: a restart keeps a
  // journal line only if the file holds its whole range (recoverFromJournal).
  const auto& fragments = writer_->fragments();
  for (; journaled_ < fragments.size(); ++journaled_)
    journal_->append(core::SharedBuffer::copyOf(journalFragment(fragments[journaled_])));
}

void Recording::logEvent(const core::MediaPacket& packet) {
  auto json = core::roomEventText(packet);
  if (!json || !events_) return;
  ++info_.events;
  // One line per event, keyed by stream time: "t" on the file's timeline.
  std::string line = R"({"t":)" + std::to_string(std::max<int64_t>(0, packet.dts - baseDts_)) +
                     R"(,"streamTime":)" + std::to_string(packet.dts) + R"(,"event":)" + *json +
                     "}\n";
  events_->append(core::SharedBuffer::copyOf(line));
}

void Recording::closeFile(const std::string& reason) {
  if (!file_) return;
  append(writer_->finish(lastDts_ + 33));
  info_.fragments = writer_->fragments();
  info_.endReason = reason;
  info_.open = false;
  auto closing = std::make_shared<Closing>();
  closing->file = std::move(file_);
  closing->events = std::move(events_);
  closing->journal = std::move(journal_);
  closing->info = info_;
  closing->closed = callbacks_.fileClosed;
  closing->pending = 3;
  writer_.reset();
  // NOTE: a failed file keeps its journal: the next start lists what it holds.
  if (closing->file->failed() || closing->events->failed() || closing->journal->failed()) {
    // An error is on its way for a file being closed: it ends here instead.
    closing->info.error = "a write to " + closing->info.path + " failed";
    spdlog::error("record {}: {}", key_, closing->info.error);
    if (closing->closed) closing->closed(closing->info);
    return;
  }
  core::EventLoop& loop = loop_;
  auto finished = [closing, &loop](uint64_t bytes, bool media) {
    if (media) closing->info.bytes = bytes;
    if (--closing->pending > 0) return;
    const RecordingFile& info = closing->info;
    spdlog::info("record {}: closed {} ({} ms, {} bytes, {} events): {}", info.stream, info.path,
                 info.durationMs, info.bytes, info.events, info.endReason);
    // The fragment index beside the file, for replay (and for a restarted server);
    // once it is on disk the journal has served.
    const std::string sidecar = core::dumpJson(info.toJson(true));
    core::writeFileAtomically(loop, info.path + ".json", {core::SharedBuffer::copyOf(sidecar)},
                              [&loop, journal = journalPath(info.path)](const std::string& error) {
                                if (error.empty()) core::removeFile(loop, journal);
                              });
    if (closing->closed) closing->closed(info);
    // NOTE: not inside the appenders' own callbacks.
    loop.post([closing] {
      closing->file.reset();
      closing->events.reset();
      closing->journal.reset();
    });
  };
  closing->file->close([finished](uint64_t bytes) { finished(bytes, true); });
  closing->events->close([finished](uint64_t bytes) { finished(bytes, false); });
  closing->journal->close([finished](uint64_t) { finished(0, false); });
}

void Recording::fail(const std::string& error) {
  if (ended_) return;
  spdlog::error("record {}: {}: recording stopped (the live stream goes on)", key_, error);
  info_.error = error;
  info_.open = false;
  info_.endReason = "error";
  const bool hadFile = file_ != nullptr;
  file_.reset();  // drops what is queued; the fd is closed in the background
  events_.reset();
  journal_.reset();  // left on disk: the next start lists the file's whole fragments
  writer_.reset();
  if (hadFile && callbacks_.fileClosed) callbacks_.fileClosed(info_);
  ended_ = true;
  // NOTE: fail() may run inside a Stream dispatch or an appender callback: the
  // subscription goes at the end of this iteration.
  loop_.post([this, alive = std::weak_ptr<bool>(alive_), error] {
    if (alive.expired()) return;
    subscription_.reset();
    if (callbacks_.done) callbacks_.done("error: " + error);
  });
}

}  // namespace recorder
