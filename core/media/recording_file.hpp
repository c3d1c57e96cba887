// A recorded file as the recorder, its API and replay see it (M6): where it is,
// what it holds and its fragment index; and RecordingCatalog, the recorder as
// the HTTP API and the replay server use it (implemented in recorder/). Value
// types; loop thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace core {

// One fragment of a recording, for replay: where it is and what time it holds. In
// an fMP4 file a moof+mdat run; in an FLV file a range of whole tags.
struct FragmentInfo {
  uint64_t offset = 0;
  uint64_t size = 0;
  int64_t startMs = 0;  // on the file's timeline (0 = the file's first frame)
  int64_t durationMs = 0;
  bool independent = false;  // starts with a video keyframe (or audio only)
};

// One file of a recording: what the API lists and the close webhook tells.
struct RecordingFile {
  std::string id;      // unique, URL-safe: app-name-start
  std::string stream;  // app/name
  std::string format;
  std::string path, eventsPath;  // as written (dir + template)
  int64_t startWallMs = 0;
  int64_t startStreamMs = 0;  // the stream clock at the file's time 0
  int64_t durationMs = 0;
  uint64_t bytes = 0;
  uint64_t events = 0;
  std::vector<FragmentInfo> fragments;
  std::string endReason;
  std::string error;  // set when a disk error ended it
  bool open = true;
  // Listed after a restart from its journal: the server died while writing it, so
  // only its complete fragments count (recorder/recording_journal.hpp).
  bool interrupted = false;

  nlohmann::json toJson(bool withFragments = false) const;
  // The inverse of toJson(true) (a file's <file>.json); nullopt if a field is
  // missing or of the wrong type.
  static std::optional<RecordingFile> fromJson(const nlohmann::json& j);
};

// What the recordings API and replay need of the recorder.
class RecordingCatalog {
 public:
  virtual ~RecordingCatalog() = default;
  // Starts recording a live stream; false with `error` (no such stream, already
  // recording).
  virtual bool start(const std::string& key, std::string& error) = 0;
  // Stops it (the open file is closed); false if it was not recording.
  virtual bool stop(const std::string& key, const std::string& reason) = 0;
  virtual bool recording(const std::string& key) const = 0;
  // {"recording": [open files], "files": [closed files, newest first]}
  virtual nlohmann::json list() const = 0;
  // A closed file by id (nullptr if unknown).
  virtual const RecordingFile* find(const std::string& id) const = 0;
};

}  // namespace core
