// RtmpMessage: one reassembled RTMP message, plus message/event type constants and
// builders for protocol control and user control payloads (spec 1.0 §5.4, §6.2, §7.1.7).
// Plain values, no owner; used on the loop thread by the chunk reader/writer and session.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "core/buffer/byte_io.hpp"
#include "core/buffer/shared_buffer.hpp"

namespace rtmp {

struct RtmpMessage {
  uint32_t csid = 0;  // chunk stream id the message arrived on / is sent on
  uint8_t type = 0;
  uint32_t timestamp = 0;  // absolute, milliseconds, wraps at 2^32
  uint32_t streamId = 0;
  core::SharedBuffer payload;
};

// Chunk header layout (spec 1.0 §5.3.1): a timestamp field of 0xFFFFFF means a 4-byte
// extended timestamp follows; the message header's size by chunk type (fmt) 0..3.
inline constexpr uint32_t kExtendedTimestampMarker = 0xFFFFFF;
inline constexpr size_t kMessageHeaderSize[4] = {11, 7, 3, 0};

// Message type ids.
namespace msg {
inline constexpr uint8_t kSetChunkSize = 1;
inline constexpr uint8_t kAbort = 2;
inline constexpr uint8_t kAck = 3;
inline constexpr uint8_t kUserControl = 4;
inline constexpr uint8_t kWindowAckSize = 5;
inline constexpr uint8_t kSetPeerBandwidth = 6;
inline constexpr uint8_t kAudio = 8;
inline constexpr uint8_t kVideo = 9;
inline constexpr uint8_t kDataAmf3 = 15;
inline constexpr uint8_t kCommandAmf3 = 17;
inline constexpr uint8_t kDataAmf0 = 18;
inline constexpr uint8_t kCommandAmf0 = 20;
inline constexpr uint8_t kAggregate = 22;
}  // namespace msg

// User control event types (payload of message type 4).
namespace event {
inline constexpr uint16_t kStreamBegin = 0;
inline constexpr uint16_t kStreamEof = 1;
inline constexpr uint16_t kStreamDry = 2;
inline constexpr uint16_t kSetBufferLength = 3;
inline constexpr uint16_t kStreamIsRecorded = 4;
inline constexpr uint16_t kPingRequest = 6;
inline constexpr uint16_t kPingResponse = 7;
}  // namespace event

// Set Peer Bandwidth limit types.
enum class LimitType : uint8_t { Hard = 0, Soft = 1, Dynamic = 2 };

// Chunk stream id for protocol control messages (spec §5.4: csid 2, message stream 0).
inline constexpr uint32_t kControlCsid = 2;
inline constexpr uint32_t kDefaultChunkSize = 128;
// NOTE: spec §5.4.1: the chunk size is 31 bits but cannot exceed the 24-bit message length.
inline constexpr uint32_t kMaxChunkSize = 0xFFFFFF;

// ---- payload builders -------------------------------------------------------------

inline std::vector<uint8_t> u32Payload(uint32_t value) {
  core::ByteWriter w(4);
  w.u32(value);
  return w.take();
}

// Set Chunk Size (type 1): the top bit must be zero.
inline std::vector<uint8_t> setChunkSizePayload(uint32_t chunkSize) {
  return u32Payload(chunkSize & 0x7FFFFFFF);
}
// Acknowledgement (type 3): sequence number = bytes received so far (mod 2^32).
inline std::vector<uint8_t> ackPayload(uint32_t sequenceNumber) {
  return u32Payload(sequenceNumber);
}
// Window Acknowledgement Size (type 5).
inline std::vector<uint8_t> windowAckSizePayload(uint32_t windowSize) {
  return u32Payload(windowSize);
}
// Set Peer Bandwidth (type 6).
inline std::vector<uint8_t> setPeerBandwidthPayload(uint32_t windowSize, LimitType limit) {
  core::ByteWriter w(5);
  w.u32(windowSize);
  w.u8(static_cast<uint8_t>(limit));
  return w.take();
}
// User Control (type 4): 2-byte event type then 4-byte event data.
inline std::vector<uint8_t> userControlPayload(uint16_t eventType, uint32_t value) {
  core::ByteWriter w(6);
  w.u16(eventType);
  w.u32(value);
  return w.take();
}
inline std::vector<uint8_t> streamBeginPayload(uint32_t streamId) {
  return userControlPayload(event::kStreamBegin, streamId);
}
inline std::vector<uint8_t> streamEofPayload(uint32_t streamId) {
  return userControlPayload(event::kStreamEof, streamId);
}
inline std::vector<uint8_t> streamIsRecordedPayload(uint32_t streamId) {
  return userControlPayload(event::kStreamIsRecorded, streamId);
}
inline std::vector<uint8_t> pingRequestPayload(uint32_t timestamp) {
  return userControlPayload(event::kPingRequest, timestamp);
}
inline std::vector<uint8_t> pingResponsePayload(uint32_t timestamp) {
  return userControlPayload(event::kPingResponse, timestamp);
}
// SetBufferLength (event 3) carries stream id + buffer length in ms (10 bytes).
inline std::vector<uint8_t> setBufferLengthPayload(uint32_t streamId, uint32_t bufferMs) {
  core::ByteWriter w(10);
  w.u16(event::kSetBufferLength);
  w.u32(streamId);
  w.u32(bufferMs);
  return w.take();
}

// Wraps a control payload as a message on csid 2, stream 0, timestamp 0.
inline RtmpMessage controlMessage(uint8_t type, std::vector<uint8_t> payload) {
  return RtmpMessage{kControlCsid, type, 0, 0, core::SharedBuffer::adopt(std::move(payload))};
}

}  // namespace rtmp
