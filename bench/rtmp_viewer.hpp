// RtmpViewer: a simulated RTMP player (handshake, connect, createStream, play) that
// acknowledges windows, answers pings and timestamps media. Owned by LoadRunner;
// loop thread only.
#pragma once

#include <vector>

#include "bench/viewer.hpp"
#include "core/format/amf0.hpp"
#include "protocols/rtmp/chunk_reader.hpp"
#include "protocols/rtmp/chunk_writer.hpp"
#include "protocols/rtmp/handshake.hpp"

namespace bench {

class RtmpViewer : public Viewer {
 public:
  RtmpViewer(core::EventLoop& loop, const LoadTarget& target, int id);

 protected:
  void onConnected() override;
  void onBytes(std::span<const uint8_t> bytes) override;

 private:
  void onHandshakeBytes(std::span<const uint8_t> bytes);
  void onChunkBytes(std::span<const uint8_t> bytes);
  void handleMessage(const rtmp::RtmpMessage& m);
  void handleControl(const rtmp::RtmpMessage& m);
  void handleCommand(std::span<const uint8_t> amf);
  void handleAggregate(const rtmp::RtmpMessage& m);
  void sendMessage(uint32_t csid, uint8_t type, uint32_t streamId, std::vector<uint8_t> payload);
  void sendCommand(uint32_t streamId, std::initializer_list<core::Amf0Value> values);

  rtmp::ClientHandshake handshake_{rtmp::ClientHandshake::Mode::Simple};
  rtmp::ChunkReader reader_;
  rtmp::ChunkWriter writer_;
  uint32_t ackWindow_ = 0;  // the server's Window Acknowledgement Size
  uint64_t lastAckAt_ = 0;  // bytesReceived() when we last acknowledged
  uint32_t mediaStreamId_ = 0;
};

}  // namespace bench
