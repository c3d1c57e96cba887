// Chunk serialization (spec 1.0 §5.3): serializeMessage() builds the shareable fmt 0 form
// once per packet for every viewer; ChunkWriter compresses headers per connection.
// ChunkWriter is owned by one session; loop thread only; no I/O.
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "core/buffer/shared_buffer.hpp"
#include "protocols/rtmp/rtmp_message.hpp"

namespace rtmp {

inline constexpr uint32_t kMinCsid = 2;
inline constexpr uint32_t kMaxCsid = 65599;

// Stateless: a fmt 0 header on the first chunk, fmt 3 on each continuation, the extended
// timestamp (repeated in continuations) when timestamp >= 0xFFFFFF; one allocation.
// Preconditions: csid in [kMinCsid, kMaxCsid], chunkSize >= 1, payload < 2^24 bytes.
core::SharedBuffer serializeMessage(uint32_t csid, uint8_t type, uint32_t timestamp,
                                    uint32_t streamId, std::span<const uint8_t> payload,
                                    uint32_t chunkSize);
// The same chunks appended to `out`.
void appendMessage(std::vector<uint8_t>& out, uint32_t csid, uint8_t type, uint32_t timestamp,
                   uint32_t streamId, std::span<const uint8_t> payload, uint32_t chunkSize);

class ChunkWriter {
 public:
  explicit ChunkWriter(uint32_t chunkSize = kDefaultChunkSize) : chunkSize_(chunkSize) {}

  // The caller sends the matching Set Chunk Size message first; applies to later writes.
  void setChunkSize(uint32_t chunkSize) { chunkSize_ = chunkSize; }
  uint32_t chunkSize() const { return chunkSize_; }

  // Chunks `m` with the smallest header its chunk stream's previous message allows:
  // same stream id -> fmt 1; also same length and type -> fmt 2; also same delta -> fmt 3.
  std::vector<uint8_t> write(const RtmpMessage& m);
  // Same, appending to `out`.
  void writeTo(const RtmpMessage& m, std::vector<uint8_t>& out);

  // Forgets the previous headers (the next message on every csid gets fmt 0).
  void reset() { streams_.clear(); }

 private:
  struct StreamState {
    uint32_t timestamp = 0;
    uint32_t delta = 0;
    uint32_t length = 0;
    uint32_t streamId = 0;
    uint8_t type = 0;
    bool deltaValid = false;  // the last header was fmt 1/2/3 (see NOTE in write)
  };

  uint32_t chunkSize_;
  std::unordered_map<uint32_t, StreamState> streams_;
};

}  // namespace rtmp
