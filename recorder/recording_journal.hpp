// Recording journal: the description of a file being written, kept beside it as
// <file>.open.jsonl (first line: the file; then one line per fragment once its
// bytes are queued), so a server killed while recording can list the file and
// replay its complete fragments after a restart. Free functions; the recovery
// reads the disk on libuv's thread pool and answers on the loop thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/media/recording_file.hpp"

namespace core {
class EventLoop;
}

namespace recorder {

using core::FragmentInfo;
using core::RecordingFile;

inline constexpr std::string_view kJournalSuffix = ".open.jsonl";

// "<media path>.open.jsonl"
std::string journalPath(const std::string& mediaPath);
// The first line: the file as toJson() gives it (open), with a newline.
std::string journalHead(const RecordingFile& file);
// One fragment: [offset, size, startMs, durationMs, independent] and a newline.
std::string journalFragment(const FragmentInfo& fragment);

// The file a journal describes, closed and marked interrupted: its fragments are
// those lying whole inside the `mediaSize` bytes on disk, in order (a line cut by
// the crash ends the list); duration and bytes are theirs. nullopt with `error`
// when the first line is not a file description.
std::optional<RecordingFile> recoverFromJournal(std::string_view journal, uint64_t mediaSize,
                                                std::string& error);

// What a recovery found: the file (nullopt when there is nothing to list, with
// `error` saying why), and whether its closed description <file>.json already
// exists (the server died after writing it: the journal is only a leftover).
struct Recovered {
  std::optional<RecordingFile> file;
  bool alreadyClosed = false;
  std::string error;
};

// Reads the journal, the media file's size and the event log's line count on a
// worker thread, then calls `done` on the loop. The caller decides what to keep.
void recoverInterrupted(core::EventLoop& loop, std::string journal,
                        std::function<void(Recovered)> done);

}  // namespace recorder
