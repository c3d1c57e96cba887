#include "core/loop/heap_trimmer.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace core {
namespace {

// Bytes free inside the heap (not yet given back), or 0 where that cannot be read.
size_t heapFreeBytes() {
#if defined(__GLIBC__)
  return mallinfo2().fordblks;
#else
  return 0;
#endif
}

// Resident set size in bytes, or 0 when unknown.
// NOTE: /proc is answered from kernel memory, so this read does not block the loop.
size_t rssBytes() {
  const int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char text[128] = {};
  const ssize_t n = ::read(fd, text, sizeof text - 1);
  ::close(fd);
  unsigned long size = 0, resident = 0;
  if (n <= 0 || std::sscanf(text, "%lu %lu", &size, &resident) != 2) return 0;
  return resident * static_cast<size_t>(::sysconf(_SC_PAGESIZE));
}

}  // namespace

HeapTrimmer::HeapTrimmer(EventLoop& loop, Options options)
    : options_(options), timer_(loop, [this] { check(); }), lowRss_(rssBytes()) {
  timer_.start(options_.periodMs, options_.periodMs);
}

bool HeapTrimmer::check() {
  const size_t rss = rssBytes();
  lowRss_ = std::min(lowRss_, rss);
  const size_t free = heapFreeBytes();
  const bool due = free >= options_.minFreedBytes && rss >= lowRss_ + options_.minFreedBytes;
  // NOTE: trim once a wave's frees are over: a trim in the middle of its teardown would
  // take the low point from a still-full heap, and the rest would never be trimmed.
  const bool settled = due && dueFree_ && free <= *dueFree_ + options_.minFreedBytes / 8;
  dueFree_ = due ? std::optional<size_t>(free) : std::nullopt;
  if (!settled) return false;
#if defined(__GLIBC__)
  // NOTE: malloc_trim(0) also gives back the whole free pages inside the heap
  // (MADV_DONTNEED), not only its top; it walks the free chunks once: a few ms for the
  // tens of MB a wave of connections leaves behind.
  const auto t0 = std::chrono::steady_clock::now();
  malloc_trim(0);
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  ++trims_;
  dueFree_.reset();
  lowRss_ = rssBytes();
  spdlog::debug("heap: {} KiB free; trimmed in {} us, RSS {} -> {} KiB", free / 1024, us,
                rss / 1024, lowRss_ / 1024);
  return true;
#else
  return false;
#endif
}

}  // namespace core
