// DCEP (RFC 8832): the DATA_CHANNEL_OPEN / DATA_CHANNEL_ACK messages that open a data
// channel on an SCTP stream, and the SCTP payload protocol identifiers of RFC 8831 §8.
// Pure values and functions: no I/O, any thread; parsing is bounded and never throws.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace webrtc {

// SCTP payload protocol identifiers (RFC 8831 §8). 52 and 54 (partial string/binary)
// are deprecated: a receiver refuses them.
inline constexpr uint32_t kPpidDcep = 50;
inline constexpr uint32_t kPpidString = 51;
inline constexpr uint32_t kPpidStringPartial = 52;
inline constexpr uint32_t kPpidBinary = 53;
inline constexpr uint32_t kPpidBinaryPartial = 54;
// SCTP cannot carry an empty user message: an empty one is sent as one byte (0) with
// these identifiers, and the receiver ignores that byte (RFC 8831 §6.6).
inline constexpr uint32_t kPpidStringEmpty = 56;
inline constexpr uint32_t kPpidBinaryEmpty = 57;

inline constexpr uint8_t kDcepTypeAck = 0x02;
inline constexpr uint8_t kDcepTypeOpen = 0x03;
// DATA_CHANNEL_OPEN: type, channel type, priority (2), reliability (4), label length (2),
// protocol length (2), then the label and protocol bytes (RFC 8832 §5.1).
inline constexpr size_t kDcepOpenFixedSize = 12;

// Channel Type (RFC 8832 §5.1 and §8.2.2): bit 7 = unordered, low bits = reliability.
enum class DcepChannelType : uint8_t {
  Reliable = 0x00,
  ReliableUnordered = 0x80,
  PartialReliableRexmit = 0x01,           // reliability parameter = retransmissions
  PartialReliableRexmitUnordered = 0x81,  //
  PartialReliableTimed = 0x02,            // reliability parameter = lifetime in ms
  PartialReliableTimedUnordered = 0x82,
};

inline bool dcepUnordered(DcepChannelType t) {
  return (static_cast<uint8_t>(t) & 0x80) != 0;
}

// Priority values of RFC 8831 §6.4 (WebRTC's "below normal" .. "extra high").
inline constexpr uint16_t kDcepPriorityNormal = 256;

struct DcepOpen {
  DcepChannelType channelType = DcepChannelType::Reliable;
  uint16_t priority = kDcepPriorityNormal;
  uint32_t reliabilityParameter = 0;  // ignored for the reliable types (RFC 8832 §5.1)
  std::string label;                  // UTF-8, may be empty
  std::string protocol;               // UTF-8, may be empty
};

struct DcepMessage {
  uint8_t type = kDcepTypeAck;  // kDcepTypeOpen or kDcepTypeAck
  DcepOpen open;                // valid when type == kDcepTypeOpen
};

// One DCEP message (the payload of an SCTP message with PPID 50). Errors name the field
// and offset ("dcep open: label (12 bytes at offset 12) runs past the end (20 bytes)").
// Bytes after the protocol field are ignored (earlier drafts padded the fields).
std::optional<DcepMessage> parseDcep(std::span<const uint8_t> bytes, std::string& error);

// Empty when the label or protocol is longer than 65535 bytes (the length fields' range).
std::vector<uint8_t> buildDcepOpen(const DcepOpen& open);
std::vector<uint8_t> buildDcepAck();

}  // namespace webrtc
