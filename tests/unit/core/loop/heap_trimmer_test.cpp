#include "core/loop/heap_trimmer.hpp"

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "core/loop/event_loop.hpp"

namespace {

bool heapIsGlibcs() {
#if !defined(__GLIBC__) || defined(__SANITIZE_ADDRESS__)
  return false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  return false;
#endif
  return true;
#else
  return true;
#endif
}

size_t rssKb() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
  }
  return 0;
}

}  // namespace

BOOST_AUTO_TEST_CASE(gives_back_the_pages_a_burst_of_frees_leaves_below_live_blocks) {
  if (!heapIsGlibcs()) {
    BOOST_TEST_MESSAGE("skipped: not glibc's allocator");
    return;
  }
  core::EventLoop loop;
  core::HeapTrimmer trimmer(loop, {60'000, 4 * 1024 * 1024});
  BOOST_TEST(!trimmer.check());  // nothing freed yet
  // 32 MiB in 4000-byte blocks, every 64th kept: freeing the others leaves free memory
  // below live blocks, which free() does not give back.
  std::vector<void*> blocks, kept;
  blocks.reserve(8192);  // no vector growth in between: its old storage would be reused
  kept.reserve(128);
  for (int i = 0; i < 8192; ++i) {
    void* b = std::malloc(4000);
    std::memset(b, 1, 4000);
    (i % 64 == 63 ? kept : blocks).push_back(b);
  }
  BOOST_TEST(!trimmer.check());  // less free than before
  const size_t before = rssKb();
  const size_t half = blocks.size() / 2;
  for (size_t i = 0; i < half; ++i) std::free(blocks[i]);
  BOOST_TEST(!trimmer.check());  // due; trimmed on the next look if no more is freed
  for (size_t i = half; i < blocks.size(); ++i) std::free(blocks[i]);
  const size_t freed = rssKb();
  BOOST_TEST(!trimmer.check());  // more was freed since: not over yet
  BOOST_TEST(trimmer.check());
  const size_t after = rssKb();
  BOOST_TEST_MESSAGE("VmRSS " << before << " kB, after free() " << freed << " kB, after the trim "
                              << after << " kB");
  BOOST_TEST(trimmer.trims() == 1u);
  BOOST_TEST(freed + 1024 > before);       // free() alone kept the pages...
  BOOST_TEST(after + 16 * 1024 < before);  // ...the trim gave most of 32 MiB back
  BOOST_TEST(!trimmer.check());            // nothing more was freed since
  for (void* k : kept) std::free(k);
}
