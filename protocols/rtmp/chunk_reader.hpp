// ChunkReader: reassembles RTMP messages from the chunk stream (spec 1.0 §5.3), applying
// Set Chunk Size and Abort in-stream. Owned by one session; loop thread only; no I/O.
// Input may be split anywhere; partial messages are buffered within the configured limits,
// growing with the bytes that arrive (never with the length a header announces).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/buffer/byte_budget.hpp"
#include "protocols/rtmp/rtmp_message.hpp"

namespace rtmp {

struct ChunkReaderLimits {
  uint32_t maxMessageSize = 8 * 1024 * 1024;  // a header announcing more is an error
  size_t maxChunkStreams = 64;                // distinct csids per connection
  // Memory held for all incomplete messages (interleaved on several csids): what their
  // buffers have allocated, which is at most twice the bytes received for them.
  size_t maxPendingBytes = 16 * 1024 * 1024;
  // The first bytes held are not charged to the shared budget: a connection can always
  // receive its small commands (connect, publish) though others used the budget up.
  size_t unbudgetedBytes = 0;
};

struct ChunkReadStatus {
  bool ok = true;
  bool overLimit = false;  // !ok because a memory bound was reached, not a protocol error
  std::string reason;      // set when !ok
  explicit operator bool() const { return ok; }
};

class ChunkReader {
 public:
  // Buffers of incomplete messages are also charged to `budget` when given (it must
  // outlive the reader, or the reader must be release()d first).
  explicit ChunkReader(ChunkReaderLimits limits = {}, core::ByteBudget* budget = nullptr);
  ~ChunkReader();
  ChunkReader(const ChunkReader&) = delete;
  ChunkReader& operator=(const ChunkReader&) = delete;

  // Consumes all of `in`, appending each completed message to `out`. After an error
  // the reader stays failed and every later call returns the same error.
  ChunkReadStatus feed(std::span<const uint8_t> in, std::vector<RtmpMessage>& out);

  uint32_t chunkSize() const { return chunkSize_; }
  // Every byte fed so far, including bytes of partial chunks (for Acknowledgements).
  uint64_t bytesReceived() const { return bytesReceived_; }
  bool failed() const { return failed_; }
  // Memory held now for incomplete messages (counted against the limits).
  size_t pendingBytes() const { return pendingBytes_; }

  // Raises (or lowers, for later growth) the per-reader bound on pendingBytes().
  void setMaxPendingBytes(size_t bytes) { limits_.maxPendingBytes = bytes; }
  // Charges what is held, and later growth, to `ancestor` (an ancestor of the current
  // budget) alone: e.g. from the share of unauthenticated peers to the listener's total.
  // No-op for a reader built without a budget.
  void moveToAncestorBudget(core::ByteBudget& ancestor);
  // Drops every incomplete message, gives its memory back and detaches from the budget;
  // every later feed() fails. For a session that closes.
  void release();

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
    size_t charged = 0;  // bytes allocated for `partial` (its capacity), counted in the limits
  };

  static constexpr size_t kMaxHeaderSize = 3 + 11 + 4;

  size_t headerNeeded() const;
  bool processHeader(std::vector<RtmpMessage>& out);
  bool startMessage(StreamState& s, uint8_t fmt, const uint8_t* fields, const uint8_t* ext);
  bool completeMessage(uint32_t csid, StreamState& s, std::vector<RtmpMessage>& out);
  bool applyControl(const RtmpMessage& m);
  bool reserveFor(StreamState& s, size_t more);
  size_t room() const;  // bytes the limits let the reader hold on top of what it holds
  std::string charge(size_t bytes);
  void uncharge(StreamState& s);
  size_t budgeted(size_t pending) const;  // the part of `pending` charged to budget_
  void discard(StreamState& s);
  bool fail(std::string reason, bool overLimit = false);

  ChunkReaderLimits limits_;
  core::ByteBudget* budget_;  // passed in; may be null
  uint32_t chunkSize_ = kDefaultChunkSize;
  uint64_t bytesReceived_ = 0;
  size_t pendingBytes_ = 0;
  bool failed_ = false;
  bool overLimit_ = false;
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
