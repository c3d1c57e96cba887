#include "recorder/recording_journal.hpp"

#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <map>

#include "core/loop/event_loop.hpp"
#include "tests/unit/run_loop.hpp"

using recorder::FragmentInfo;
using recorder::RecordingFile;

namespace {

RecordingFile openFile(const std::string& path) {
  RecordingFile f;
  f.id = "live-demo-20261126-172000-123";
  f.stream = "live/demo";
  f.format = "fmp4";
  f.path = path;
  f.eventsPath = path + ".events.jsonl";
  f.startWallMs = 1795713600123;
  f.startStreamMs = 42000;
  f.durationMs = 5200;  // what the open file had reached: not trusted on recovery
  return f;
}

const FragmentInfo kFragments[] = {
    {1000, 500, 0, 2000, true}, {1500, 700, 2000, 1000, false}, {2200, 300, 3000, 2000, true}};

std::string journal(const RecordingFile& f) {
  std::string j = recorder::journalHead(f);
  for (const auto& fragment : kFragments) j += recorder::journalFragment(fragment);
  return j;
}

void write(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

}  // namespace

BOOST_AUTO_TEST_CASE(keeps_the_fragments_the_file_holds_whole) {
  const RecordingFile f = openFile("/rec/live/demo.mp4");
  std::string error;
  // The file ends inside the third fragment: it was lost with the server.
  auto r = recorder::recoverFromJournal(journal(f), 2400, error);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->id == f.id);
  BOOST_TEST(r->path == f.path);
  BOOST_TEST(r->startStreamMs == f.startStreamMs);
  BOOST_TEST(r->interrupted);
  BOOST_TEST(!r->open);
  BOOST_REQUIRE(r->fragments.size() == 2u);
  BOOST_TEST(r->fragments[1].offset == 1500u);
  BOOST_TEST(r->fragments[1].independent == false);
  BOOST_TEST(r->durationMs == 3000);
  BOOST_TEST(r->bytes == 2200u);
  BOOST_TEST(r->endReason.find("interrupted") != std::string::npos);

  // All three once the file holds them; a description keeps the mark.
  r = recorder::recoverFromJournal(journal(f), 2500, error);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->fragments.size() == 3u);
  BOOST_TEST(r->durationMs == 5000);
  auto back = RecordingFile::fromJson(r->toJson(true));
  BOOST_REQUIRE(back);
  BOOST_TEST(back->interrupted);
  BOOST_TEST(back->toJson(true) == r->toJson(true));
  BOOST_TEST(RecordingFile::fromJson(f.toJson())->interrupted == false);
}

BOOST_AUTO_TEST_CASE(a_cut_or_bad_line_ends_the_fragments) {
  const RecordingFile f = openFile("/rec/live/demo.mp4");
  std::string error;
  std::string cut = journal(f);
  cut.pop_back();  // the last line lost its newline: the crash cut it
  auto r = recorder::recoverFromJournal(cut, 1 << 20, error);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->fragments.size() == 2u);

  std::string garbage = recorder::journalHead(f) + recorder::journalFragment(kFragments[0]) +
                        "[1, 2\n" + recorder::journalFragment(kFragments[1]);
  r = recorder::recoverFromJournal(garbage, 1 << 20, error);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->fragments.size() == 1u);

  // A fragment that goes back over the previous one is not from this file.
  std::string backwards = recorder::journalHead(f) + recorder::journalFragment(kFragments[1]) +
                          recorder::journalFragment(kFragments[0]);
  r = recorder::recoverFromJournal(backwards, 1 << 20, error);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->fragments.size() == 1u);

  // Nothing whole: listed, with no fragment and no bytes.
  r = recorder::recoverFromJournal(journal(f), 1200, error);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->fragments.empty());
  BOOST_TEST(r->bytes == 0u);
  BOOST_TEST(r->durationMs == 0);
}

BOOST_AUTO_TEST_CASE(a_journal_without_a_description_is_refused) {
  std::string error;
  BOOST_TEST(!recorder::recoverFromJournal("", 100, error));
  BOOST_TEST(!error.empty());
  BOOST_TEST(!recorder::recoverFromJournal("{\"id\": 1}\n", 100, error));
  BOOST_TEST(!recorder::recoverFromJournal(recorder::journalFragment(kFragments[0]), 100, error));
}

BOOST_AUTO_TEST_CASE(recovers_from_disk_off_the_loop) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("roomcast-journal-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string media = (dir / "demo.mp4").string();
  const RecordingFile f = openFile(media);
  write(media, std::string(2400, 'm'));
  write(f.eventsPath, "{\"t\":1}\n{\"t\":2}\n{\"t\":");  // two whole events
  write(recorder::journalPath(media), journal(f));
  // A journal that names some other file is not trusted.
  const std::string moved = (dir / "moved.mp4").string();
  write(recorder::journalPath(moved), journal(f));
  // A journal whose file is gone.
  const std::string gone = (dir / "gone.mp4").string();
  write(recorder::journalPath(gone), journal(openFile(gone)));

  core::EventLoop loop;
  std::map<std::string, recorder::Recovered> results;
  for (const std::string& m : {media, moved, gone})
    recorder::recoverInterrupted(
        loop, recorder::journalPath(m),
        [&results, m](recorder::Recovered r) { results[m] = std::move(r); });
  BOOST_REQUIRE(testing_loop::runUntil(loop, [&] { return results.size() == 3; }));
  const auto& ok = results[media];
  BOOST_REQUIRE(ok.file);
  BOOST_TEST(ok.file->fragments.size() == 2u);
  BOOST_TEST(ok.file->events == 2u);
  BOOST_TEST(!ok.alreadyClosed);
  BOOST_TEST(!results[moved].file);
  BOOST_TEST(results[moved].error.find("not the file beside it") != std::string::npos,
             results[moved].error);
  BOOST_TEST(!results[gone].file);
  BOOST_TEST(results[gone].error.find("gone") != std::string::npos, results[gone].error);

  // Killed after its description was written: the journal is a leftover.
  write(media + ".json", "{}");
  results.clear();
  recorder::recoverInterrupted(loop, recorder::journalPath(media),
                               [&](recorder::Recovered r) { results[media] = std::move(r); });
  BOOST_REQUIRE(testing_loop::runUntil(loop, [&] { return results.size() == 1; }));
  BOOST_TEST(results[media].alreadyClosed);
  BOOST_TEST(!results[media].file);
  std::filesystem::remove_all(dir);
}
