// AsyncAppender: appends SharedBuffers to one file without ever blocking the loop
// (libuv fs requests run on its thread pool). Owned by one recording (recorder/);
// loop thread only. May be destroyed at any time, even with a request in flight.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/buffer/shared_buffer.hpp"

namespace core {

class EventLoop;

// Life of one file: open() → append()* → close(done). At most one fs request is
// in flight; a write gathers everything queued since the previous one (up to
// kMaxBuffersPerWrite buffers), holding refs to the bytes until it completes.
//
// Every appender ends with exactly one of: `onError` (once, with the path and the
// libuv error in the message) or close's `done`. After an error the queued bytes
// are dropped, the fd is closed in the background and later calls are ignored.
// Callbacks never run inside a call into the appender (errors are posted), and
// never after the appender was destroyed.
class AsyncAppender {
 public:
  struct Options {
    // Bytes appended but not yet written; beyond this the disk cannot keep up
    // and the appender fails rather than grow ("disk too slow: ...").
    size_t maxQueuedBytes = 8 * 1024 * 1024;
    bool createDirs = true;  // create missing parent directories (0755)
    int mode = 0644;
  };
  using ErrorFn = std::function<void(const std::string& error)>;
  using CloseFn = std::function<void(uint64_t bytesWritten)>;

  static constexpr size_t kMaxBuffersPerWrite = 64;

  AsyncAppender(EventLoop& loop, std::string path, Options options, ErrorFn onError);
  // Drops what is queued; an open fd is closed asynchronously (after the request
  // in flight, if any). No callback runs afterwards.
  ~AsyncAppender();
  AsyncAppender(const AsyncAppender&) = delete;
  AsyncAppender& operator=(const AsyncAppender&) = delete;

  // Starts opening (O_WRONLY|O_CREAT|O_TRUNC) the file; a missing parent
  // directory is created one level at a time. Only the first call counts.
  void open();
  // Queues the bytes (no copy). False if they were not taken: after an error,
  // after close(), or when they would exceed maxQueuedBytes (which fails the
  // appender). Appends before the open completes are queued. Empty bytes: true.
  bool append(SharedBuffer bytes);
  // Schedules an fdatasync once everything appended so far is written (crash
  // safety at fragment boundaries). No-op when nothing was appended.
  void sync();
  // Writes out what is queued, fdatasyncs, closes, then calls `done` with the
  // byte count (or onError instead). Ignored after an error or a first close().
  // Before open(): nothing is created and done(0) is posted.
  void close(CloseFn done);

  const std::string& path() const;
  uint64_t bytesWritten() const;
  size_t queuedBytes() const;  // appended, not yet written (including in flight)
  bool failed() const;

 private:
  struct State;
  std::shared_ptr<State> state_;  // shared with the request in flight
};

}  // namespace core
