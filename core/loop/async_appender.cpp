#include "core/loop/async_appender.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <uv.h>

#include <deque>
#include <exception>
#include <vector>

#include "core/loop/event_loop.hpp"

namespace core {

// Everything lives here, not in AsyncAppender: the request in flight holds a
// shared_ptr to it (`busy`), so its callback never touches a destroyed object;
// `alive` says whether the AsyncAppender (and its callbacks) still exist.
struct AsyncAppender::State : std::enable_shared_from_this<State> {
  // passed in
  EventLoop* loop;
  std::string path;
  Options options;
  ErrorFn onError;
  // owned
  uv_fs_t req{};                // the one request in flight (see `busy`)
  std::shared_ptr<State> busy;  // set while `req` is in flight: keeps us alive
  uv_file fd = -1;
  std::deque<SharedBuffer> queue;     // appended, not yet handed to a write
  std::vector<SharedBuffer> inWrite;  // the write in flight holds these refs
  std::vector<std::string> dirs;      // parents to create, outermost first
  size_t nextDir = 0;
  size_t queuedBytes = 0;  // queue + inWrite
  uint64_t appended = 0, written = 0, syncAt = 0;
  CloseFn onClosed;
  bool started = false, triedDirs = false, syncWanted = false, closeWanted = false;
  bool failed = false, finished = false, alive = true;

  bool stopped() const { return !alive || failed || finished; }

  // ---- requests -------------------------------------------------------------

  // Marks `req` in flight; a synchronous libuv failure fails the appender.
  void submit(int rc, const char* step) {
    if (rc < 0) {
      busy.reset();
      fail(std::string(step) + " " + path + ": " + uv_strerror(rc));
    }
  }
  uv_fs_t* arm() {
    busy = shared_from_this();
    req.data = this;
    return &req;
  }
  // For callbacks: takes back the keep-alive ref and the result, frees the request.
  static std::shared_ptr<State> complete(uv_fs_t* r, ssize_t& result) {
    auto* s = static_cast<State*>(r->data);
    result = r->result;
    uv_fs_req_cleanup(r);
    return std::move(s->busy);
  }
  // Runs a callback body; a throwing user callback must not cross into libuv.
  template <typename Fn>
  static void guarded(Fn&& fn) noexcept {
    try {
      fn();
    } catch (const std::exception& e) {
      spdlog::error("async appender callback threw: {}", e.what());
    } catch (...) {
      spdlog::error("async appender callback threw");
    }
  }

  void startOpen() {
    const int flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
    submit(uv_fs_open(loop->uv(), arm(), path.c_str(), flags, options.mode,
                      [](uv_fs_t* r) noexcept { guarded([r] { onOpen(r); }); }),
           "open");
  }
  static void onOpen(uv_fs_t* r) {
    ssize_t rc;
    auto self = complete(r, rc);
    if (rc >= 0) self->fd = static_cast<uv_file>(rc);
    if (self->stopped()) return self->releaseFd();
    if (rc == UV_ENOENT && self->options.createDirs && !self->triedDirs) {
      // NOTE: open first, mkdir only on ENOENT: the common case (directory exists)
      // costs one request; the retry happens once.
      self->triedDirs = true;
      self->dirs = parentsOf(self->path);
      return self->mkdirNext();
    }
    if (rc < 0) return self->fail("open " + self->path + ": " + uv_strerror(static_cast<int>(rc)));
    self->pump();
  }

  // "/a/b/c.flv" -> "/a", "/a/b"; "a/b.flv" -> "a".
  static std::vector<std::string> parentsOf(const std::string& path) {
    std::vector<std::string> out;
    for (size_t slash = path.find('/', 1); slash != std::string::npos;
         slash = path.find('/', slash + 1))
      if (path[slash - 1] != '/') out.push_back(path.substr(0, slash));
    return out;
  }
  void mkdirNext() {
    if (nextDir >= dirs.size()) return startOpen();
    submit(uv_fs_mkdir(loop->uv(), arm(), dirs[nextDir].c_str(), 0755,
                       [](uv_fs_t* r) noexcept { guarded([r] { onMkdir(r); }); }),
           "mkdir");
  }
  static void onMkdir(uv_fs_t* r) {
    ssize_t rc;
    auto self = complete(r, rc);
    if (self->stopped()) return;
    if (rc < 0 && rc != UV_EEXIST)
      return self->fail("mkdir " + self->dirs[self->nextDir] + " for " + self->path + ": " +
                        uv_strerror(static_cast<int>(rc)));
    ++self->nextDir;
    self->mkdirNext();
  }

  // Starts the next request if none is in flight: a due fdatasync, a write of
  // what is queued, or the close sequence.
  void pump() {
    if (busy || stopped() || fd < 0) return;
    if (syncWanted && written >= syncAt && !closeWanted) return startSync(false);
    if (!queue.empty()) return startWrite();
    if (closeWanted) return startSync(true);
  }

  void startWrite() {
    std::vector<uv_buf_t> bufs;
    while (!queue.empty() && inWrite.size() < kMaxBuffersPerWrite) {
      inWrite.push_back(std::move(queue.front()));
      queue.pop_front();
      uv_buf_t b;
      b.base = const_cast<char*>(reinterpret_cast<const char*>(inWrite.back().data()));
      b.len = inWrite.back().size();
      bufs.push_back(b);
    }
    // NOTE: libuv copies the uv_buf_t array into the request; only the bytes
    // must live until the callback (inWrite holds them).
    submit(uv_fs_write(loop->uv(), arm(), fd, bufs.data(), static_cast<unsigned>(bufs.size()),
                       static_cast<int64_t>(written),
                       [](uv_fs_t* r) noexcept { guarded([r] { onWrite(r); }); }),
           "write");
  }
  static void onWrite(uv_fs_t* r) {
    ssize_t rc;
    auto self = complete(r, rc);
    if (self->stopped()) {
      self->inWrite.clear();
      return self->releaseFd();
    }
    if (rc <= 0) {
      self->inWrite.clear();
      const std::string why = rc < 0 ? uv_strerror(static_cast<int>(rc)) : "no progress";
      return self->fail("write " + self->path + ": " + why);
    }
    self->consume(static_cast<size_t>(rc));
    self->pump();
  }
  // Drops `n` written bytes from the write in flight; a short write puts the
  // rest back at the front of the queue, so the next write continues there.
  void consume(size_t n) {
    written += n;
    queuedBytes -= n;
    size_t i = 0;
    while (i < inWrite.size() && n >= inWrite[i].size()) n -= inWrite[i++].size();
    if (i < inWrite.size()) inWrite[i] = inWrite[i].slice(n);
    for (size_t j = inWrite.size(); j > i; --j) queue.push_front(std::move(inWrite[j - 1]));
    inWrite.clear();
  }

  void startSync(bool thenClose) {
    syncWanted = false;
    uv_fs_cb cb = [](uv_fs_t* r) noexcept { guarded([r] { onSync(r, false); }); };
    if (thenClose) cb = [](uv_fs_t* r) noexcept { guarded([r] { onSync(r, true); }); };
    submit(uv_fs_fdatasync(loop->uv(), arm(), fd, cb), "fdatasync");
  }
  static void onSync(uv_fs_t* r, bool thenClose) {
    ssize_t rc;
    auto self = complete(r, rc);
    if (self->stopped()) return self->releaseFd();
    if (rc < 0)
      return self->fail("fdatasync " + self->path + ": " + uv_strerror(static_cast<int>(rc)));
    if (thenClose) return self->startClose();
    self->pump();
  }

  void startClose() {
    const uv_file f = fd;
    fd = -1;
    submit(uv_fs_close(loop->uv(), arm(), f,
                       [](uv_fs_t* r) noexcept { guarded([r] { onClose(r); }); }),
           "close");
  }
  static void onClose(uv_fs_t* r) {
    ssize_t rc;
    auto self = complete(r, rc);
    if (self->stopped()) return;
    if (rc < 0) return self->fail("close " + self->path + ": " + uv_strerror(static_cast<int>(rc)));
    self->finished = true;
    self->onError = nullptr;
    if (auto done = std::move(self->onClosed)) done(self->written);
  }

  // ---- endings --------------------------------------------------------------

  // Closes the fd in the background; the request frees only itself.
  void releaseFd() {
    if (fd < 0) return;
    auto* r = new uv_fs_t;
    if (uv_fs_close(loop->uv(), r, fd, [](uv_fs_t* c) noexcept {
          uv_fs_req_cleanup(c);
          delete c;
        }) < 0)
      delete r;
    fd = -1;
  }

  void dropQueue() {
    queue.clear();
    queuedBytes = 0;
    for (const auto& b : inWrite) queuedBytes += b.size();
  }

  // Reports once, from a posted task (never inside a call into the appender).
  void fail(std::string message) {
    if (stopped()) return;
    failed = true;
    onClosed = nullptr;
    dropQueue();
    if (!busy) releaseFd();
    loop->post([self = shared_from_this(), message = std::move(message)] {
      if (!self->alive) return;
      if (auto cb = std::move(self->onError)) cb(message);
    });
  }

  // ---- API --------------------------------------------------------------------

  bool append(SharedBuffer bytes) {
    if (stopped() || closeWanted) return false;
    if (bytes.empty()) return true;
    const size_t waiting = queuedBytes + bytes.size();
    if (waiting > options.maxQueuedBytes) {
      fail("disk too slow: " + std::to_string(waiting) + " bytes waiting for " + path);
      return false;
    }
    queuedBytes = waiting;
    appended += bytes.size();
    queue.push_back(std::move(bytes));
    pump();
    return true;
  }

  void close(CloseFn done) {
    if (stopped() || closeWanted) return;
    closeWanted = true;
    if (!started) {
      finished = true;
      onError = nullptr;
      loop->post([self = shared_from_this(), done = std::move(done)] {
        if (self->alive && done) done(0);
      });
      return;
    }
    onClosed = std::move(done);
    pump();
  }
};

AsyncAppender::AsyncAppender(EventLoop& loop, std::string path, Options options, ErrorFn onError)
    : state_(std::make_shared<State>()) {
  state_->loop = &loop;
  state_->path = std::move(path);
  state_->options = options;
  state_->onError = std::move(onError);
}

AsyncAppender::~AsyncAppender() {
  State& s = *state_;
  s.alive = false;
  s.onError = nullptr;
  s.onClosed = nullptr;
  s.dropQueue();
  // NOTE: with a request in flight its callback closes the fd (it may be an open
  // that has not returned the fd yet, or a write still using it).
  if (!s.busy) s.releaseFd();
}

void AsyncAppender::open() {
  if (state_->started || state_->stopped()) return;
  state_->started = true;
  state_->startOpen();
}

bool AsyncAppender::append(SharedBuffer bytes) {
  return state_->append(std::move(bytes));
}

void AsyncAppender::sync() {
  State& s = *state_;
  if (s.stopped() || s.closeWanted || s.appended == 0) return;
  s.syncWanted = true;
  s.syncAt = s.appended;
  s.pump();
}

void AsyncAppender::close(CloseFn done) {
  state_->close(std::move(done));
}

const std::string& AsyncAppender::path() const {
  return state_->path;
}
uint64_t AsyncAppender::bytesWritten() const {
  return state_->written;
}
size_t AsyncAppender::queuedBytes() const {
  return state_->queuedBytes;
}
bool AsyncAppender::failed() const {
  return state_->failed;
}

}  // namespace core
