// insertSeiAfterAud: puts SEI user_data_unregistered messages into one H.264 access
// unit in AVCC form (length-prefixed NAL units). Pure code, no I/O; any thread.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace core {

// The access unit `avcc` with one SEI NAL unit per payload (in their order, each a
// single user_data_unregistered message with `uuid`) right after its access unit
// delimiter, or first when it has none. Empty when nothing is to be done: no
// payloads, an empty access unit, or a NAL length size other than 4 (left alone).
std::vector<uint8_t> insertSeiAfterAud(std::span<const uint8_t> avcc, int nalLengthSize,
                                       std::span<const std::string> payloads,
                                       const std::array<uint8_t, 16>& uuid);

}  // namespace core
