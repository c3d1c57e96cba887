#include "core/loop/async_file.hpp"

#include <fcntl.h>
#include <uv.h>

#include <deque>
#include <memory>
#include <tuple>

#include "core/loop/event_loop.hpp"

namespace core {
namespace {

// One write, driven through its steps by libuv callbacks; deletes itself at the end.
struct WriteOp {
  uv_loop_t* loop;
  uv_fs_t req{};
  std::string path, tmp;
  std::vector<SharedBuffer> parts;
  std::vector<std::string> dirs;  // parents still to create, outermost first
  size_t part = 0, offsetInPart = 0;
  int64_t fileOffset = 0;
  uv_file fd = -1;
  std::function<void(const std::string&)> done;

  void finish(const std::string& error) {
    if (fd >= 0) {
      uv_fs_t close{};
      uv_fs_close(loop, &close, fd, nullptr);  // NOTE: synchronous, on error paths only
      uv_fs_req_cleanup(&close);
      fd = -1;
    }
    if (done) done(error);
    delete this;
  }
  std::string fail(const char* step, const std::string& what, int rc) {
    return std::string(step) + " " + what + ": " + uv_strerror(rc);
  }

  void start() { mkdirNext(); }

  void mkdirNext() {
    if (dirs.empty()) return open();
    const std::string dir = dirs.front();
    dirs.erase(dirs.begin());
    req.data = this;
    uv_fs_mkdir(loop, &req, dir.c_str(), 0755, [](uv_fs_t* r) {
      auto* op = static_cast<WriteOp*>(r->data);
      const auto rc = r->result;
      uv_fs_req_cleanup(r);
      if (rc < 0 && rc != UV_EEXIST)
        return op->finish(op->fail("mkdir", op->path, static_cast<int>(rc)));
      op->mkdirNext();
    });
  }

  void open() {
    req.data = this;
    uv_fs_open(loop, &req, tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644, [](uv_fs_t* r) {
      auto* op = static_cast<WriteOp*>(r->data);
      const auto rc = r->result;
      uv_fs_req_cleanup(r);
      if (rc < 0) return op->finish(op->fail("open", op->tmp, static_cast<int>(rc)));
      op->fd = static_cast<uv_file>(rc);
      op->writeNext();
    });
  }

  void writeNext() {
    while (part < parts.size() && offsetInPart >= parts[part].size()) {
      ++part;
      offsetInPart = 0;
    }
    if (part >= parts.size()) return close();
    const SharedBuffer& p = parts[part];
    uv_buf_t buf =
        uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(p.data())) + offsetInPart,
                    static_cast<unsigned>(p.size() - offsetInPart));
    req.data = this;
    uv_fs_write(loop, &req, fd, &buf, 1, fileOffset, [](uv_fs_t* r) {
      auto* op = static_cast<WriteOp*>(r->data);
      const auto rc = r->result;
      uv_fs_req_cleanup(r);
      if (rc < 0) return op->finish(op->fail("write", op->tmp, static_cast<int>(rc)));
      op->offsetInPart += static_cast<size_t>(rc);
      op->fileOffset += rc;
      op->writeNext();
    });
  }

  void close() {
    req.data = this;
    const uv_file f = fd;
    fd = -1;
    uv_fs_close(loop, &req, f, [](uv_fs_t* r) {
      auto* op = static_cast<WriteOp*>(r->data);
      const auto rc = r->result;
      uv_fs_req_cleanup(r);
      if (rc < 0) return op->finish(op->fail("close", op->tmp, static_cast<int>(rc)));
      op->rename();
    });
  }

  void rename() {
    req.data = this;
    uv_fs_rename(loop, &req, tmp.c_str(), path.c_str(), [](uv_fs_t* r) {
      auto* op = static_cast<WriteOp*>(r->data);
      const auto rc = r->result;
      uv_fs_req_cleanup(r);
      op->finish(rc < 0 ? op->fail("rename", op->path, static_cast<int>(rc)) : std::string());
    });
  }
};

// The open and the close of a read, driven by libuv callbacks; `Op` reads
// (readNext) and answers (answer) with what it gathered. Deletes itself.
template <class Op>
struct ReadBase {
  uv_loop_t* loop;
  std::string path;
  uv_fs_t req{};
  uv_file fd = -1;

  void start() {
    req.data = this;
    uv_fs_open(loop, &req, path.c_str(), O_RDONLY, 0, [](uv_fs_t* r) {
      auto* op = static_cast<Op*>(static_cast<ReadBase*>(r->data));
      const auto rc = r->result;
      uv_fs_req_cleanup(r);
      if (rc < 0) return op->finish("open " + op->path + ": " + uv_strerror(static_cast<int>(rc)));
      op->fd = static_cast<uv_file>(rc);
      op->readNext();
    });
  }

  // Reads into `buf` at `offset`; `then(op, bytes read)` unless it failed.
  void read(uv_buf_t buf, int64_t offset, void (*then)(Op*, size_t)) {
    req.data = this;
    then_ = then;
    uv_fs_read(loop, &req, fd, &buf, 1, offset, [](uv_fs_t* r) {
      auto* op = static_cast<Op*>(static_cast<ReadBase*>(r->data));
      const auto rc = r->result;
      uv_fs_req_cleanup(r);
      if (rc < 0) return op->finish("read " + op->path + ": " + uv_strerror(static_cast<int>(rc)));
      op->then_(op, static_cast<size_t>(rc));
    });
  }

  void finish(const std::string& error) {
    if (fd >= 0) {
      uv_fs_close(loop, new uv_fs_t, fd, [](uv_fs_t* r) {
        uv_fs_req_cleanup(r);
        delete r;
      });
      fd = -1;
    }
    auto* op = static_cast<Op*>(this);
    op->answer(error);
    delete op;
  }

  void (*then_)(Op*, size_t) = nullptr;
};

// A whole file (at most maxBytes), in 64 KiB chunks until EOF.
struct ReadOp : ReadBase<ReadOp> {
  size_t maxBytes = 0;
  std::string data;
  std::vector<char> chunk = std::vector<char>(64 * 1024);
  std::function<void(const std::string&, std::string)> done;

  void readNext() {
    read(uv_buf_init(chunk.data(), static_cast<unsigned>(chunk.size())),
         static_cast<int64_t>(data.size()), [](ReadOp* op, size_t n) {
           if (n == 0) return op->finish("");
           if (op->data.size() + n > op->maxBytes)
             return op->finish("read " + op->path + ": larger than " +
                               std::to_string(op->maxBytes) + " bytes");
           op->data.append(op->chunk.data(), n);
           op->readNext();
         });
  }
  void answer(const std::string& error) {
    done(error, error.empty() ? std::move(data) : std::string());
  }
};

// Exactly [offset, offset + data.size()) into one buffer.
struct RangeOp : ReadBase<RangeOp> {
  uint64_t offset = 0;
  std::vector<uint8_t> data;
  size_t got = 0;
  std::function<void(const std::string&, SharedBuffer)> done;

  void readNext() {
    if (got == data.size()) return finish("");
    read(uv_buf_init(reinterpret_cast<char*>(data.data() + got),
                     static_cast<unsigned>(std::min<size_t>(data.size() - got, 1 << 20))),
         static_cast<int64_t>(offset + got), [](RangeOp* op, size_t n) {
           if (n == 0)
             return op->finish("read " + op->path + ": the file ends at " +
                               std::to_string(op->offset + op->got) + ", before byte " +
                               std::to_string(op->offset + op->data.size()));
           op->got += n;
           op->readNext();
         });
  }
  void answer(const std::string& error) {
    done(error, error.empty() ? SharedBuffer::adopt(std::move(data)) : SharedBuffer());
  }
};

}  // namespace

namespace {

// A breadth-first walk: one uv_fs_scandir in flight at a time.
struct ListOp {
  uv_loop_t* loop = nullptr;
  std::string suffix;
  size_t maxFiles = 0;
  int maxDepth = 0;
  std::deque<std::pair<std::string, int>> dirs;  // (path, depth)
  std::vector<std::string> found;
  std::function<void(std::vector<std::string>)> done;
  uv_fs_t req{};
  std::string current;
  int depth = 0;

  void next() {
    if (dirs.empty() || found.size() >= maxFiles) {
      done(std::move(found));
      delete this;
      return;
    }
    std::tie(current, depth) = dirs.front();
    dirs.pop_front();
    req.data = this;
    uv_fs_scandir(loop, &req, current.c_str(), 0, [](uv_fs_t* r) {
      auto* op = static_cast<ListOp*>(r->data);
      if (r->result >= 0) {
        uv_dirent_t ent;
        while (uv_fs_scandir_next(r, &ent) != UV_EOF) {
          const std::string path = op->current + "/" + ent.name;
          if (ent.type == UV_DIRENT_DIR && op->depth < op->maxDepth) {
            op->dirs.emplace_back(path, op->depth + 1);
          } else if (ent.type == UV_DIRENT_FILE && path.ends_with(op->suffix) &&
                     op->found.size() < op->maxFiles) {
            op->found.push_back(path);
          }
        }
      }
      uv_fs_req_cleanup(r);
      op->next();
    });
  }
};

}  // namespace

void listFiles(EventLoop& loop, std::string dir, std::string suffix, size_t maxFiles, int maxDepth,
               std::function<void(std::vector<std::string> paths)> done) {
  auto* op = new ListOp;
  op->loop = loop.uv();
  op->suffix = std::move(suffix);
  op->maxFiles = maxFiles;
  op->maxDepth = maxDepth;
  op->done = std::move(done);
  op->dirs.emplace_back(std::move(dir), 0);
  op->next();
}

void readFileRange(EventLoop& loop, std::string path, uint64_t offset, size_t length,
                   std::function<void(const std::string& error, SharedBuffer bytes)> done) {
  auto* op = new RangeOp;
  op->loop = loop.uv();
  op->path = std::move(path);
  op->offset = offset;
  op->data.resize(length);
  op->done = std::move(done);
  op->start();
}

void readFile(EventLoop& loop, std::string path, size_t maxBytes,
              std::function<void(const std::string& error, std::string contents)> done) {
  auto* op = new ReadOp;
  op->loop = loop.uv();
  op->path = std::move(path);
  op->maxBytes = maxBytes;
  op->done = std::move(done);
  op->start();
}

void writeFileAtomically(EventLoop& loop, std::string path, std::vector<SharedBuffer> parts,
                         std::function<void(const std::string& error)> done) {
  auto* op = new WriteOp;
  op->loop = loop.uv();
  op->tmp = path + ".tmp";
  // Parent directories, outermost first ("/a/b/c.ts" -> "/a", "/a/b").
  for (size_t slash = path.find('/', 1); slash != std::string::npos;
       slash = path.find('/', slash + 1))
    op->dirs.push_back(path.substr(0, slash));
  op->path = std::move(path);
  op->parts = std::move(parts);
  op->done = std::move(done);
  op->start();
}

void removeFile(EventLoop& loop, std::string path) {
  auto* req = new uv_fs_t;
  uv_fs_unlink(loop.uv(), req, path.c_str(), [](uv_fs_t* r) {
    uv_fs_req_cleanup(r);
    delete r;
  });
}

}  // namespace core
