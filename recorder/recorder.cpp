#include "recorder/recorder.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/format/json_text.hpp"
#include "core/loop/async_file.hpp"
#include "core/loop/event_loop.hpp"
#include "core/loop/wall_clock.hpp"

namespace recorder {

Recorder::Recorder(core::EventLoop& loop, core::StreamRegistry& registry, RecorderOptions options)
    : loop_(loop),
      registry_(registry),
      options_(std::move(options)),
      startedWallMs_(core::wallClockMs()) {}

Recorder::~Recorder() {
  *alive_ = false;  // callbacks of files still closing find no Recorder
  auto active = std::move(active_);
  active_.clear();
  for (auto& [key, recording] : active) recording->stop("server shutting down");
}

void Recorder::loadIndex() {
  const std::string dir = options_.recording.dir;
  core::listFiles(
      loop_, dir, ".json", options_.keepClosed, 8,
      [this, alive = std::weak_ptr<bool>(alive_), dir](std::vector<std::string> paths) {
        if (alive.expired()) return;
        for (const std::string& path : paths) {
          core::readFile(loop_, path, 4 << 20,
                         [this, alive, path](const std::string& error, std::string text) {
                           if (alive.expired() || !error.empty()) return;
                           indexFile(path, text);
                         });
        }
        if (!paths.empty())
          spdlog::info("record: reading {} recording descriptions under {}", paths.size(), dir);
      });
  core::listFiles(loop_, dir, std::string(kJournalSuffix), options_.keepClosed, 8,
                  [this, alive = std::weak_ptr<bool>(alive_)](std::vector<std::string> paths) {
                    if (!alive.expired()) recoverJournals(paths);
                  });
}

void Recorder::recoverJournals(const std::vector<std::string>& journals) {
  for (const std::string& journal : journals) {
    const std::string media = journal.substr(0, journal.size() - kJournalSuffix.size());
    if (writing(media)) continue;
    recoverInterrupted(loop_, journal,
                       [this, alive = std::weak_ptr<bool>(alive_), journal](Recovered result) {
                         if (!alive.expired()) recovered(journal, std::move(result));
                       });
  }
}

void Recorder::recovered(const std::string& journal, Recovered result) {
  if (result.alreadyClosed) {  // killed between its <file>.json and the journal's removal
    core::removeFile(loop_, journal);
    return;
  }
  if (!result.file) {
    spdlog::warn("record: {} not recovered: {}", journal, result.error);
    return;
  }
  RecordingFile& file = *result.file;
  // NOTE: this server's own files (the listing raced a recording that started at
  // once) are open or closing, never interrupted.
  if (file.startWallMs >= startedWallMs_ || writing(file.path) || find(file.id)) return;
  spdlog::warn(
      "record {}: {} was interrupted (the server stopped while writing it): listed with its "
      "{} complete fragments, {} ms, {} bytes",
      file.stream, file.path, file.fragments.size(), file.durationMs, file.bytes);
  const std::string sidecar = core::dumpJson(file.toJson(true));
  core::writeFileAtomically(loop_, file.path + ".json", {core::SharedBuffer::copyOf(sidecar)},
                            [&loop = loop_, journal, path = file.path](const std::string& error) {
                              if (error.empty()) {
                                core::removeFile(loop, journal);
                                return;
                              }
                              spdlog::error("record: cannot describe the interrupted {}: {}", path,
                                            error);
                            });
  addClosed(std::move(file));
}

bool Recorder::writing(const std::string& path) const {
  for (const auto& [key, recording] : active_)
    if (auto f = recording->current(); f && f->path == path) return true;
  return false;
}

void Recorder::indexFile(const std::string& sidecar, const std::string& text) {
  // The file was read with a size bound; a file on disk gets the depth bound too.
  auto file = RecordingFile::fromJson(core::readJson(text, text.size()).value);
  // NOTE: only a description of the file beside it: a moved or edited one must not
  // make replay read some other path.
  if (!file || file->path + ".json" != sidecar) {
    spdlog::warn("record: {} is not a recording description, skipped", sidecar);
    return;
  }
  if (find(file->id)) return;
  addClosed(std::move(*file));
}

void Recorder::addClosed(RecordingFile file) {
  auto at = std::find_if(closed_.begin(), closed_.end(),
                         [&](const RecordingFile& f) { return f.startWallMs > file.startWallMs; });
  closed_.insert(at, std::move(file));
  while (closed_.size() > options_.keepClosed) closed_.pop_front();
}

bool Recorder::wanted(const std::string& key) const {
  const std::string app = key.substr(0, key.find('/'));
  for (const auto& pattern : options_.streams)
    if (pattern == "*" || pattern == key || pattern == app + "/*") return true;
  return false;
}

void Recorder::onPublish(const core::Stream& stream) {
  if (active_.contains(stream.key())) return;
  // A rendition the mixer derives is recorded only when named exactly: "live/*"
  // means the sources, not every rung of their ladders.
  if (stream.derived() ? !std::ranges::count(options_.streams, stream.key())
                       : !wanted(stream.key()))
    return;
  std::string error;
  if (!start(stream.key(), error)) spdlog::warn("record {}: not started: {}", stream.key(), error);
}

bool Recorder::start(const std::string& key, std::string& error) {
  if (active_.contains(key)) {
    error = key + " is already being recorded";
    return false;
  }
  const size_t slash = key.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == key.size()) {
    error = "a stream key is app/name, got \"" + key + "\"";
    return false;
  }
  Recording::Callbacks callbacks;
  callbacks.fileClosed = [this, alive = std::weak_ptr<bool>(alive_)](const RecordingFile& f) {
    if (auto a = alive.lock(); a && *a) fileClosed(f);
  };
  // The recording ended by itself (stream end, disk error): it leaves the list.
  callbacks.done = [this, alive = std::weak_ptr<bool>(alive_), key](const std::string&) {
    if (auto a = alive.lock(); a && *a) finished(key);
  };
  auto recording = std::make_unique<Recording>(loop_, key.substr(0, slash), key.substr(slash + 1),
                                               options_.recording, callbacks);
  Recording* raw = recording.get();
  active_.emplace(key, std::move(recording));
  if (!raw->start(registry_, error)) {
    active_.erase(key);
    return false;
  }
  return true;
}

bool Recorder::stop(const std::string& key, const std::string& reason) {
  auto it = active_.find(key);
  if (it == active_.end()) return false;
  std::unique_ptr<Recording> recording = std::move(it->second);
  active_.erase(it);
  recording->stop(reason);
  loop_.deferDelete(std::move(recording));
  return true;
}

void Recorder::fileClosed(const RecordingFile& file) {
  closed_.push_back(file);
  while (closed_.size() > options_.keepClosed) closed_.pop_front();
  if (onClosed_) onClosed_(file);
}

void Recorder::finished(const std::string& key) {
  auto it = active_.find(key);
  if (it == active_.end()) return;
  // NOTE: this runs inside the recording's own call (stop, a Stream dispatch):
  // it is destroyed at the end of the loop iteration.
  loop_.deferDelete(std::move(it->second));
  active_.erase(it);
}

nlohmann::json Recorder::list() const {
  nlohmann::json out = {{"recording", nlohmann::json::array()}, {"files", nlohmann::json::array()}};
  for (const auto& [key, recording] : active_) {
    nlohmann::json entry = {{"stream", key}};
    if (auto f = recording->current()) entry["file"] = f->toJson();
    out["recording"].push_back(std::move(entry));
  }
  for (auto it = closed_.rbegin(); it != closed_.rend(); ++it) out["files"].push_back(it->toJson());
  return out;
}

const RecordingFile* Recorder::find(const std::string& id) const {
  for (const auto& f : closed_)
    if (f.id == id) return &f;
  return nullptr;
}

}  // namespace recorder
