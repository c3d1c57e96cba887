// HttpFlvViewer: a simulated HTTP-FLV player: GET, response head, chunked transfer
// decoding (or a plain body until close), then FLV tags timestamped as media.
// Owned by LoadRunner; loop thread only.
#pragma once

#include <string>

#include "bench/flv_stream_scanner.hpp"
#include "bench/viewer.hpp"

namespace bench {

class HttpFlvViewer : public Viewer, private FlvStreamScanner::Sink {
 public:
  HttpFlvViewer(core::EventLoop& loop, const LoadTarget& target, int id);

 protected:
  void onConnected() override;
  void onBytes(std::span<const uint8_t> bytes) override;

 private:
  enum class State { Head, ChunkSize, ChunkData, ChunkDataEnd, Plain, Done };

  void onHeadBytes(std::span<const uint8_t> bytes);
  bool parseHead();  // head_ holds the complete response head
  void onChunkedBytes(std::span<const uint8_t> bytes);
  void onBody(std::span<const uint8_t> bytes);
  void onFlvTag(const FlvTagInfo& tag) override;

  State state_ = State::Head;
  std::string head_;  // response head, then the current chunk-size line
  uint64_t chunkRemaining_ = 0;
  size_t crlfRemaining_ = 0;  // CRLF after a chunk's data
  FlvStreamScanner scanner_;
};

}  // namespace bench
