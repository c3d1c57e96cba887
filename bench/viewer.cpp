#include "bench/viewer.hpp"

#include <uv.h>

namespace bench {

double clockMs() {
  return static_cast<double>(uv_hrtime()) / 1e6;
}

bool isVideoKeyframe(uint8_t b0, uint8_t b1, size_t size) {
  if (b0 & 0x80) {
    // NOTE: enhanced RTMP: IsExHeader bit, 3-bit frame type, 4-bit packet type;
    // packet types 1 (CodedFrames) and 3 (CodedFramesX) carry pictures.
    const uint8_t frameType = (b0 >> 4) & 0x07;
    const uint8_t packetType = b0 & 0x0F;
    return frameType == 1 && (packetType == 1 || packetType == 3);
  }
  if ((b0 >> 4) != 1) return false;
  const uint8_t codec = b0 & 0x0F;
  // AVC (7) and legacy HEVC (12) have an AVCPacketType byte: 0 = header, 1 = NALUs.
  if (codec == 7 || codec == 12) return size >= 2 && b1 == 1;
  return true;
}

Viewer::Viewer(core::EventLoop& loop, const LoadTarget& target, int id)
    : loop_(loop), target_(target), id_(id) {}

Viewer::~Viewer() {
  if (conn_) conn_->close();
}

void Viewer::start() {
  stats_.connectStartMs = clockMs();
  auto* conn = core::TcpConnection::connect(
      loop_, target_.host, target_.port, [this](core::TcpConnection* c, int status) {
        if (stopped_ || c != conn_.get()) return;
        if (status != 0) {
          fail(std::string("connect: ") + uv_strerror(status));
          return;
        }
        c->setHandler(this);
        c->setNoDelay(true);
        c->startReading();
        onConnected();
      });
  if (!conn) {
    stats_.error = "connect: bad address " + target_.host;
    stats_.endedAtMs = clockMs();
    return;
  }
  conn_.reset(conn);
}

void Viewer::stop() {
  stopped_ = true;
  if (conn_) conn_->close();
}

void Viewer::onDisconnect(std::string_view reason) {
  if (stopped_) return;
  fail(std::string(reason));
}

void Viewer::fail(std::string reason) {
  if (stats_.endedAtMs < 0) {
    stats_.endedAtMs = clockMs();
    stats_.error = std::move(reason);
  }
  if (conn_) {
    conn_->close();
    // NOTE: this may run inside the connection's own callback: delete it later.
    loop_.deferDelete(std::move(conn_));
  }
}

bool Viewer::send(std::vector<uint8_t> bytes) {
  if (!conn_ || conn_->closed()) return false;
  return conn_->write(core::SharedBuffer::adopt(std::move(bytes))) != core::ByteSink::Write::Closed;
}

void Viewer::noteMedia(uint32_t timestamp, bool keyframe) {
  ++stats_.mediaMessages;
  if (!stats_.hasMedia) {
    stats_.hasMedia = true;
    currentTs_ = timestamp;
    stats_.newestTs = timestamp;
  } else {
    // NOTE: signed 32-bit difference: survives the 2^32 ms wrap and the small
    // backward steps of interleaved audio/video.
    currentTs_ += static_cast<int32_t>(timestamp - lastRawTs_);
    if (currentTs_ > stats_.newestTs) stats_.newestTs = currentTs_;
  }
  lastRawTs_ = timestamp;
  if (keyframe && stats_.firstKeyframeMs < 0)
    stats_.firstKeyframeMs = clockMs() - stats_.connectStartMs;
}

void Viewer::notePlayStart() {
  if (stats_.playStartMs >= 0) return;
  stats_.playStartMs = clockMs() - stats_.connectStartMs;
  // NOTE: only now: the handshake and the command replies are far smaller than the
  // low-water mark and would never wake a batched reader.
  if (target_.reader == ReaderMode::Batched && conn_) conn_->setReceiveLowWater(target_.lowWater);
}

}  // namespace bench
