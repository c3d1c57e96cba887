// PublishClient: the client side of an RTMP publish on byte buffers (no I/O): handshake,
// connect / releaseStream / FCPublish / createStream / publish up to Publish.Start, then
// pings and acks. Owned by one RtmpRelay connection; loop thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/format/amf0.hpp"
#include "core/packet/media_packet.hpp"
#include "protocols/rtmp/chunk_reader.hpp"
#include "protocols/rtmp/chunk_writer.hpp"
#include "protocols/rtmp/handshake.hpp"

namespace rtmp {

struct PublishTarget {
  std::string app;
  std::string tcUrl;
  std::string streamName;  // with its ?query, as publish sends it
  uint32_t chunkSize = 4096;
};

class PublishClient {
 public:
  enum class State { Handshake, Commands, Publishing, Failed };
  enum class Status { Ok, Published, Error };  // Published: this feed() saw Publish.Start
  struct Result {
    Status status = Status::Ok;
    std::string reason;  // set with Error: what the peer said or did
  };

  // NOTE: the peer of a publisher only sends small commands and controls: a message
  // larger than this, or more held in partial messages, is an error, not memory.
  static constexpr uint32_t kMaxPeerMessage = 64 * 1024;
  static constexpr size_t kMaxPeerPending = 256 * 1024;

  explicit PublishClient(PublishTarget target);

  // C0 + C1; call once, first.
  std::vector<uint8_t> start();
  // Consumes the peer's bytes; send takeOutput() after every call.
  Result feed(std::span<const uint8_t> bytes);
  std::vector<uint8_t> takeOutput();

  State state() const { return state_; }
  uint32_t streamId() const { return streamId_; }
  uint32_t chunkSize() const { return target_.chunkSize; }

  // `packet` as an RTMP message at `timestamp` on the published stream, appended
  // to `out` (onMetaData as @setDataFrame, which servers store for their players).
  // Nothing for a codec FLV cannot carry or a room event.
  void appendMedia(std::vector<uint8_t>& out, const core::MediaPacket& packet,
                   uint32_t timestamp) const;
  // The last messages of a publish that ends (FCUnpublish, deleteStream).
  std::vector<uint8_t> unpublish();

 private:
  Result onMessage(const RtmpMessage& m);
  Result onCommand(std::span<const uint8_t> amf);
  void sendCommand(uint32_t streamId, std::initializer_list<core::Amf0Value> values);
  void sendControl(uint8_t type, std::vector<uint8_t> payload);
  Result fail(std::string reason);

  PublishTarget target_;
  ClientHandshake handshake_;
  ChunkReader reader_;
  ChunkWriter writer_;
  State state_ = State::Handshake;
  std::string error_;
  std::vector<uint8_t> output_;
  uint32_t streamId_ = 0;
  uint32_t peerWindow_ = 0;  // the peer's Window Acknowledgement Size; 0: none
  uint64_t lastAck_ = 0;
};

}  // namespace rtmp
