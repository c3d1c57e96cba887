#include "protocols/webrtc/h264_packetizer.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/format/avc_config.hpp"

namespace webrtc {

namespace {

constexpr uint8_t kH264PkIdr = 5;
constexpr uint8_t kH264PkSps = 7;
constexpr uint8_t kH264PkAud = 9;
constexpr uint8_t kH264PkFiller = 12;
constexpr uint8_t kH264PkStapA = 24;
constexpr uint8_t kH264PkFuA = 28;
constexpr size_t kH264PkFuHeader = 2;  // FU indicator + FU header

uint8_t h264PkType(uint8_t header) {
  return header & 0x1F;
}

// The NAL units of an AVCC payload as slices of it; false if a length runs past the end.
bool h264PkSplit(const core::SharedBuffer& payload, int lengthSize,
                 std::vector<core::SharedBuffer>& nals, std::string& error) {
  size_t pos = 0;
  while (pos < payload.size()) {
    if (payload.size() - pos < size_t(lengthSize)) {
      error = fmt::format("h264: {} bytes at offset {} cannot hold a {}-byte NAL length",
                          payload.size() - pos, pos, lengthSize);
      return false;
    }
    size_t len = 0;
    for (int i = 0; i < lengthSize; ++i) len = len << 8 | payload[pos + i];
    pos += lengthSize;
    if (len > payload.size() - pos) {
      error = fmt::format("h264: NAL length {} at offset {} runs past the access unit ({} left)",
                          len, pos - lengthSize, payload.size() - pos);
      return false;
    }
    if (len > 0) nals.push_back(payload.slice(pos, len));
    pos += len;
  }
  return true;
}

// One NAL unit: alone when it fits, else FU-A fragments whose 2-byte headers are slices
// of one small buffer (one allocation per unit).
void h264PkEmitNal(const core::SharedBuffer& nal, size_t maxPayload, std::vector<RtpPayload>& out) {
  if (nal.size() <= maxPayload) {
    out.push_back(RtpPayload{{nal}, false});
    return;
  }
  // NOTE: the NAL header byte is not sent; its F/NRI go in the FU indicator and its
  // type in the FU header (RFC 6184 §5.8). size - 1 >= maxPayload > chunk, so there are
  // at least two fragments and no FU has both S and E.
  const size_t chunk = maxPayload - kH264PkFuHeader;
  const size_t body = nal.size() - 1;
  const size_t count = (body + chunk - 1) / chunk;
  std::vector<uint8_t> headers(count * kH264PkFuHeader);
  for (size_t i = 0; i < count; ++i) {
    headers[2 * i] = static_cast<uint8_t>((nal[0] & 0xE0) | kH264PkFuA);
    headers[2 * i + 1] = static_cast<uint8_t>((i == 0 ? 0x80 : 0) | (i + 1 == count ? 0x40 : 0) |
                                              h264PkType(nal[0]));
  }
  const auto shared = core::SharedBuffer::adopt(std::move(headers));
  for (size_t i = 0; i < count; ++i) {
    out.push_back(RtpPayload{
        {shared.slice(i * kH264PkFuHeader, kH264PkFuHeader), nal.slice(1 + i * chunk, chunk)},
        false});
  }
}

// SPS and PPS of the record: one STAP-A if it fits (RFC 6184 §5.7.1), else each alone.
bool h264PkEmitParameterSets(std::span<const uint8_t> avcConfig, size_t maxPayload,
                             std::vector<RtpPayload>& out, std::string& error) {
  std::string why;
  const auto info = core::parseAvcDecoderConfig(avcConfig, &why);
  if (!info) {
    error = "h264: no SPS/PPS for a keyframe: " + why;
    return false;
  }
  std::vector<const std::vector<uint8_t>*> units;
  for (const auto& sps : info->sps) units.push_back(&sps);
  for (const auto& pps : info->pps) units.push_back(&pps);
  std::vector<uint8_t> stap{0};
  uint8_t forbidden = 0, nri = 0;
  for (const auto* unit : units) {
    if (unit->empty()) continue;
    forbidden |= (*unit)[0] & 0x80;
    nri = std::max<uint8_t>(nri, (*unit)[0] & 0x60);
    stap.push_back(static_cast<uint8_t>(unit->size() >> 8));
    stap.push_back(static_cast<uint8_t>(unit->size()));
    stap.insert(stap.end(), unit->begin(), unit->end());
  }
  if (stap.size() <= maxPayload) {
    stap[0] = static_cast<uint8_t>(forbidden | nri | kH264PkStapA);
    out.push_back(RtpPayload{{core::SharedBuffer::adopt(std::move(stap))}, false});
    return true;
  }
  for (const auto* unit : units) {
    if (!unit->empty()) h264PkEmitNal(core::SharedBuffer::copyOf(*unit), maxPayload, out);
  }
  return true;
}

}  // namespace

std::vector<RtpPayload> packetizeH264(const core::MediaPacket& au,
                                      std::span<const uint8_t> avcConfig, size_t maxPayload,
                                      std::string* error) {
  std::string why;
  std::vector<RtpPayload> out;
  std::vector<core::SharedBuffer> nals;
  const int lengthSize = avcConfig.empty() ? 4 : core::avcNalLengthSize(avcConfig);
  if (au.config) {
    why = "h264: a config packet is not an access unit";
  } else if (maxPayload < kH264MinPayload) {
    why = fmt::format("h264: max payload {} is below {}", maxPayload, kH264MinPayload);
  } else if (lengthSize == 0) {
    why = "h264: the decoder config record gives no NAL length size";
  } else if (h264PkSplit(au.payload, lengthSize, nals, why)) {
    bool idr = au.keyframe, inbandSps = false;
    for (const auto& nal : nals) {
      idr = idr || h264PkType(nal[0]) == kH264PkIdr;
      inbandSps = inbandSps || h264PkType(nal[0]) == kH264PkSps;
    }
    // NOTE: a decoder joining at this keyframe needs the parameter sets first; a failure
    // to read them is reported but the picture still goes out.
    if (idr && !inbandSps) h264PkEmitParameterSets(avcConfig, maxPayload, out, why);
    for (const auto& nal : nals) {
      const uint8_t type = h264PkType(nal[0]);
      if (type == kH264PkAud || type == kH264PkFiller) continue;
      h264PkEmitNal(nal, maxPayload, out);
    }
    if (!out.empty()) out.back().marker = true;
    if (error) *error = why;
    return out;
  }
  if (error) *error = why;
  return {};
}

}  // namespace webrtc
