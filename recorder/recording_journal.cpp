#include "recorder/recording_journal.hpp"

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/format/json_text.hpp"
#include "core/loop/worker.hpp"

namespace recorder {
namespace {

// A day of 1 s fragments is ~5 MB of journal; anything far larger is not ours.
constexpr uint64_t kMaxJournalBytes = 64 << 20;

std::optional<FragmentInfo> fragmentOf(const nlohmann::json& e) {
  if (!e.is_array() || e.size() != 5 || !e[0].is_number_unsigned() || !e[1].is_number_unsigned() ||
      !e[2].is_number_integer() || !e[3].is_number_integer() || !e[4].is_boolean())
    return std::nullopt;
  return FragmentInfo{e[0].get<uint64_t>(), e[1].get<uint64_t>(), e[2].get<int64_t>(),
                      e[3].get<int64_t>(), e[4].get<bool>()};
}

// Reads a whole small file; false with `error` if it cannot or it is too large.
bool readAll(const std::string& path, uint64_t maxBytes, std::string& out, std::string& error) {
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) {
    error = "cannot read " + path + ": " + ec.message();
    return false;
  }
  if (size > maxBytes) {
    error = path + " is larger than " + std::to_string(maxBytes) + " bytes";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  out.resize(size);
  if (!in.read(out.data(), static_cast<std::streamsize>(size))) {
    error = "cannot read " + path;
    return false;
  }
  return true;
}

// Complete lines of a file (0 if it is missing), read in 1 MiB blocks.
uint64_t countLines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string block(1 << 20, '\0');
  uint64_t lines = 0;
  while (in) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    const auto n = static_cast<size_t>(in.gcount());
    for (size_t i = 0; i < n; ++i) lines += block[i] == '\n';
  }
  return lines;
}

}  // namespace

std::string journalPath(const std::string& mediaPath) {
  return mediaPath + std::string(kJournalSuffix);
}

std::string journalHead(const RecordingFile& file) {
  return core::dumpJson(file.toJson()) + "\n";
}

std::string journalFragment(const FragmentInfo& f) {
  return core::dumpJson(
             nlohmann::json::array({f.offset, f.size, f.startMs, f.durationMs, f.independent})) +
         "\n";
}

std::optional<RecordingFile> recoverFromJournal(std::string_view journal, uint64_t mediaSize,
                                                std::string& error) {
  size_t end = journal.find('\n');
  auto file = RecordingFile::fromJson(
      nlohmann::json::parse(journal.substr(0, end), nullptr, /*allow_exceptions=*/false));
  if (!file || end == std::string_view::npos) {
    error = "its first line is not a recording description";
    return std::nullopt;
  }
  file->fragments.clear();
  uint64_t covered = 0;  // the end of the last fragment kept
  for (size_t pos = end + 1; pos < journal.size(); pos = end + 1) {
    end = journal.find('\n', pos);
    // NOTE: a line without its newline was cut by the crash: the list ends there.
    if (end == std::string_view::npos) break;
    const auto fragment = fragmentOf(nlohmann::json::parse(journal.substr(pos, end - pos), nullptr,
                                                           /*allow_exceptions=*/false));
    // NOTE: journal lines are queued after the fragment's bytes, but the two files
    // are written apart: a fragment the file does not hold whole was lost.
    if (!fragment || fragment->offset < covered || fragment->size == 0 ||
        fragment->offset + fragment->size > mediaSize)
      break;
    covered = fragment->offset + fragment->size;
    file->fragments.push_back(*fragment);
  }
  file->open = false;
  file->interrupted = true;
  file->bytes = covered;
  file->durationMs = 0;
  if (!file->fragments.empty()) {
    const FragmentInfo& last = file->fragments.back();
    file->durationMs = last.startMs + last.durationMs;
  }
  file->endReason = "interrupted: the server stopped without closing the file";
  return file;
}

void recoverInterrupted(core::EventLoop& loop, std::string journal,
                        std::function<void(Recovered)> done) {
  auto result = std::make_shared<Recovered>();
  core::runOnWorker(
      loop,
      [result, journal] {
        std::string text;
        if (!readAll(journal, kMaxJournalBytes, text, result->error)) return;
        auto file = recoverFromJournal(text, 0, result->error);
        if (!file) return;
        if (journalPath(file->path) != journal) {
          // NOTE: as for <file>.json: a journal must describe the file beside it.
          result->error = "it describes " + file->path + ", not the file beside it";
          return;
        }
        std::error_code ec;
        if (std::filesystem::exists(file->path + ".json", ec)) {
          result->alreadyClosed = true;
          return;
        }
        const uint64_t size = std::filesystem::file_size(file->path, ec);
        if (ec) {
          result->error = "its file " + file->path + " is gone: " + ec.message();
          return;
        }
        file = recoverFromJournal(text, size, result->error);
        if (!file) return;
        file->events = countLines(file->eventsPath);
        result->file = std::move(file);
      },
      [result, done = std::move(done)] { done(std::move(*result)); });
}

}  // namespace recorder
