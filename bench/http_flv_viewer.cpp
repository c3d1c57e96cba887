#include "bench/http_flv_viewer.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace bench {
namespace {

constexpr size_t kMaxHeadBytes = 16 * 1024;
constexpr size_t kMaxChunkLine = 256;

std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

HttpFlvViewer::HttpFlvViewer(core::EventLoop& loop, const LoadTarget& target, int id)
    : Viewer(loop, target, id) {}

void HttpFlvViewer::onConnected() {
  const std::string request = "GET " + target_.path + " HTTP/1.1\r\nHost: " + target_.host + ":" +
                              std::to_string(target_.port) +
                              "\r\nUser-Agent: roomcast_load\r\nAccept: */*\r\n\r\n";
  send(std::vector<uint8_t>(request.begin(), request.end()));
}

void HttpFlvViewer::onBytes(std::span<const uint8_t> bytes) {
  switch (state_) {
    case State::Head:
      onHeadBytes(bytes);
      break;
    case State::Plain:
      onBody(bytes);
      break;
    case State::Done:
      break;
    default:
      onChunkedBytes(bytes);
  }
}

void HttpFlvViewer::onHeadBytes(std::span<const uint8_t> bytes) {
  const size_t before = head_.size();
  head_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  const size_t end = head_.find("\r\n\r\n", before >= 3 ? before - 3 : 0);
  if (end == std::string::npos) {
    if (head_.size() > kMaxHeadBytes) fail("http: response head larger than 16 KiB");
    return;
  }
  const size_t bodyStart = end + 4 - before;  // offset of the body within `bytes`
  head_.resize(end + 2);
  if (!parseHead()) return;
  head_.clear();
  if (bodyStart < bytes.size()) onBytes(bytes.subspan(bodyStart));
}

bool HttpFlvViewer::parseHead() {
  // Status line: HTTP/1.x 200 ...
  if (head_.rfind("HTTP/1.", 0) != 0 || head_.size() < 12) {
    fail("http: malformed status line");
    return false;
  }
  const int status = std::atoi(head_.c_str() + 9);
  if (status != 200) {
    fail("http: status " + std::to_string(status));
    return false;
  }
  const std::string lower = lowercase(head_);
  const bool chunked = lower.find("\r\ntransfer-encoding:") != std::string::npos &&
                       lower.find("chunked") != std::string::npos;
  state_ = chunked ? State::ChunkSize : State::Plain;
  notePlayStart();
  return true;
}

void HttpFlvViewer::onChunkedBytes(std::span<const uint8_t> bytes) {
  size_t pos = 0;
  while (pos < bytes.size() && connected()) {
    if (state_ == State::ChunkSize) {
      // NOTE: RFC 9112 §7.1: chunk-size in hex, optional ";ext", then CRLF.
      const uint8_t c = bytes[pos++];
      if (c != '\n') {
        if (head_.size() >= kMaxChunkLine) return fail("http: chunk size line too long");
        head_.push_back(static_cast<char>(c));
        continue;
      }
      char* endp = nullptr;
      chunkRemaining_ = std::strtoull(head_.c_str(), &endp, 16);
      if (endp == head_.c_str()) return fail("http: bad chunk size line '" + head_ + "'");
      head_.clear();
      if (chunkRemaining_ == 0) {
        state_ = State::Done;
        return fail("http: the server ended the body");
      }
      state_ = State::ChunkData;
    } else if (state_ == State::ChunkData) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(chunkRemaining_, bytes.size() - pos));
      onBody(bytes.subspan(pos, n));
      pos += n;
      chunkRemaining_ -= n;
      if (chunkRemaining_ == 0) {
        state_ = State::ChunkDataEnd;
        crlfRemaining_ = 2;
      }
    } else if (state_ == State::ChunkDataEnd) {
      ++pos;
      if (--crlfRemaining_ == 0) state_ = State::ChunkSize;
    } else {
      return;
    }
  }
}

void HttpFlvViewer::onBody(std::span<const uint8_t> bytes) {
  if (!scanner_.feed(bytes, *this)) fail(scanner_.error());
}

void HttpFlvViewer::onFlvTag(const FlvTagInfo& tag) {
  if (tag.type == core::kFlvTagAudio) {
    noteMedia(tag.timestampMs, false);
  } else if (tag.type == core::kFlvTagVideo) {
    noteMedia(tag.timestampMs, isVideoKeyframe(tag.b0, tag.b1, tag.size));
  }
}

}  // namespace bench
