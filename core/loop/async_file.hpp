// Non-blocking file writes on the loop (libuv's fs requests run on its thread
// pool; completions come back on the loop thread). For taps that mirror what they
// serve to disk (HLS for a CDN, later recordings). Free functions: a pending write
// does not depend on any object but the loop, so it may outlive its caller.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/buffer/shared_buffer.hpp"

namespace core {

class EventLoop;

// Writes `parts` to `path` atomically (to "path.tmp", then renamed over `path`),
// creating missing parent directories. `done` gets "" or the error, with the step
// and path in it ("write /x/1.ts.tmp: no space left on device").
void writeFileAtomically(EventLoop& loop, std::string path, std::vector<SharedBuffer> parts,
                         std::function<void(const std::string& error)> done = nullptr);

// Reads at most `maxBytes` of `path`; `done` gets "" and the bytes, or the error
// ("open /x: no such file or directory", "read /x: larger than 1048576 bytes").
// The regular files under `dir` (depth at most `maxDepth`, at most `maxFiles`) whose
// names end with `suffix`, as paths; a missing or unreadable directory is skipped.
void listFiles(EventLoop& loop, std::string dir, std::string suffix, size_t maxFiles, int maxDepth,
               std::function<void(std::vector<std::string> paths)> done);

// Reads exactly `length` bytes of `path` from `offset` (an error if the file is
// shorter); `done` gets "" and the bytes, or the error.
void readFileRange(EventLoop& loop, std::string path, uint64_t offset, size_t length,
                   std::function<void(const std::string& error, SharedBuffer bytes)> done);

void readFile(EventLoop& loop, std::string path, size_t maxBytes,
              std::function<void(const std::string& error, std::string contents)> done);

// Deletes `path`; a missing file is not an error.
void removeFile(EventLoop& loop, std::string path);

}  // namespace core
