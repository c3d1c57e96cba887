// Builders for the RTMP command and status messages a server sends (connect
// result, onStatus events players wait for), as ready-to-write chunk bytes.
// Pure functions; no state.
#pragma once

#include <string_view>

#include "core/buffer/shared_buffer.hpp"
#include "core/format/amf0.hpp"

namespace rtmp {

// Chunk streams we send on. Every message we send starts with a fmt-0 header, so
// the bytes do not depend on what was sent before and can be shared by viewers.
inline constexpr uint32_t kCommandCsid = 3;
inline constexpr uint32_t kStatusCsid = 5;
inline constexpr uint32_t kAudioCsid = 4;
inline constexpr uint32_t kVideoCsid = 6;
inline constexpr uint32_t kDataCsid = 5;
// The message stream id createStream hands out (one media stream per connection).
inline constexpr uint32_t kMediaStreamId = 1;

core::SharedBuffer commandMessage(uint32_t csid, uint32_t streamId,
                                  std::initializer_list<core::Amf0Value> values,
                                  uint32_t chunkSize);

// A script data message (type 18), e.g. |RtmpSampleAccess.
core::SharedBuffer dataMessage(std::initializer_list<core::Amf0Value> values, uint32_t chunkSize);

// onStatus(0, null, {level, code, description}) on the media stream.
core::SharedBuffer statusMessage(std::string_view level, std::string_view code,
                                 std::string_view description, uint32_t chunkSize);

core::SharedBuffer resultMessage(double transactionId, core::Amf0Value properties,
                                 core::Amf0Value information, uint32_t chunkSize);

core::SharedBuffer errorMessage(double transactionId, std::string_view code,
                                std::string_view description, uint32_t chunkSize);

core::SharedBuffer controlBytes(uint8_t type, std::vector<uint8_t> payload, uint32_t chunkSize);

}  // namespace rtmp
