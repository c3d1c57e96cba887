// ChunkReader: reassembles RTMP messages from the chunk stream (spec 1.0 §5.3), applying
// Set Chunk Size and Abort in-stream. Owned by one session; loop thread only; no I/O.
// Input may be split anywhere; partial chunks are buffered within the configured limits.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "protocols/rtmp/rtmp_message.hpp"

namespace rtmp {

struct ChunkReaderLimits {
  uint32_t maxMessageSize = 8 * 1024 * 1024;  // a header announcing more is an error
  size_t maxChunkStreams = 64;                // distinct csids per connection
  // Sum of the bytes of all incomplete messages (interleaved on several csids).
  size_t maxPendingBytes = 16 * 1024 * 1024;
};

struct ChunkReadStatus {
  bool ok = true;
  std::string reason;  // set when !ok
  explicit operator bool() const { return ok; }
};

class ChunkReader {
 public:
  explicit ChunkReader(ChunkReaderLimits limits = {});

  // Consumes all of `in`, appending each completed message to `out`. After an error
  // the reader stays failed and every later call returns the same error.
  ChunkReadStatus feed(std::span<const uint8_t> in, std::vector<RtmpMessage>& out);

  uint32_t chunkSize() const { return chunkSize_; }
  // Every byte fed so far, including bytes of partial chunks (for Acknowledgements).
  uint64_t bytesReceived() const { return bytesReceived_; }
  bool failed() const { return failed_; }

 private:
  struct StreamState {
    uint32_t timestamp = 0;  // of the current / last message
    uint32_t delta = 0;      // timestamp field of the last fmt 0/1/2 header
    uint32_t length = 0;
    uint32_t streamId = 0;
    uint8_t type = 0;
    bool extended = false;    // last fmt 0/1/2 header used the extended timestamp
    bool inProgress = false;  // a message is partially received
    std::vector<uint8_t> partial;
  };

  static constexpr size_t kMaxHeaderSize = 3 + 11 + 4;

  size_t headerNeeded() const;
  bool processHeader(std::vector<RtmpMessage>& out);
  bool startMessage(StreamState& s, uint8_t fmt, const uint8_t* fields, const uint8_t* ext);
  bool completeMessage(uint32_t csid, StreamState& s, std::vector<RtmpMessage>& out);
  bool applyControl(const RtmpMessage& m);
  void discard(StreamState& s);
  bool fail(std::string reason);

  ChunkReaderLimits limits_;
  uint32_t chunkSize_ = kDefaultChunkSize;
  uint64_t bytesReceived_ = 0;
  size_t pendingBytes_ = 0;
  bool failed_ = false;
  std::string error_;

  std::unordered_map<uint32_t, StreamState> streams_;
  std::array<uint8_t, kMaxHeaderSize> header_{};
  size_t headerLen_ = 0;
  bool inPayload_ = false;
  uint32_t currentCsid_ = 0;
  StreamState* current_ = nullptr;  // stable: unordered_map nodes do not move
  size_t chunkRemaining_ = 0;
};

}  // namespace rtmp
