#include "protocols/webrtc/h264_depacketizer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "core/buffer/bit_reader.hpp"
#include "core/format/avc_config.hpp"

namespace webrtc {

namespace {

constexpr uint8_t kH264DpIdr = 5;
constexpr uint8_t kH264DpSps = 7;
constexpr uint8_t kH264DpPps = 8;
constexpr uint8_t kH264DpFiller = 12;
constexpr uint8_t kH264DpStapA = 24;
constexpr uint8_t kH264DpStapB = 25;
constexpr uint8_t kH264DpMtap16 = 26;
constexpr uint8_t kH264DpMtap24 = 27;
constexpr uint8_t kH264DpFuA = 28;
constexpr uint8_t kH264DpFuB = 29;
constexpr size_t kH264DpMaxSpsIds = 31;  // what one AVCDecoderConfigurationRecord holds
constexpr size_t kH264DpMaxPpsId = 255;
constexpr size_t kH264DpMaxReady = 4;

void h264DpPutLength(std::vector<uint8_t>& out, size_t at, size_t length) {
  for (int i = 0; i < 4; ++i) out[at + i] = static_cast<uint8_t>(length >> (24 - 8 * i));
}

// seq_parameter_set_id (H.264 7.3.2.1.1) or pic_parameter_set_id (7.3.2.2): the first
// Exp-Golomb code after the NAL header (and, for a SPS, profile, constraints, level).
std::optional<uint32_t> h264DpParameterSetId(std::span<const uint8_t> nal) {
  const bool sps = (nal[0] & 0x1F) == kH264DpSps;
  const size_t skip = sps ? 3 : 0;
  if (nal.size() < 2 + skip) return std::nullopt;
  // NOTE: an id is at most 17 bits of ue(v) (id <= 255); 20 bytes hold it after the skip.
  const auto rbsp =
      core::removeEmulationPrevention(nal.subspan(1, std::min<size_t>(nal.size() - 1, 20)));
  if (rbsp.size() <= skip) return std::nullopt;
  core::BitReader in{std::span<const uint8_t>(rbsp).subspan(skip)};
  const uint32_t id = in.ue();
  if (!in.ok()) return std::nullopt;
  return id;
}

}  // namespace

std::optional<H264Depacketizer::AccessUnit> H264Depacketizer::push(const RtpHeader& header,
                                                                   std::span<const uint8_t> payload,
                                                                   bool lossBefore) {
  ++stats_.packets;
  if (payload.empty()) {
    // NOTE: padding-only packets carry no media and may take any timestamp; a loss
    // before one is a loss before the next packet with media.
    ++stats_.paddingOnly;
    pendingLoss_ = pendingLoss_ || lossBefore;
    return handOut();
  }
  lossBefore = lossBefore || std::exchange(pendingLoss_, false);
  if (lossBefore) {
    // NOTE: the lost packets may be the end of the open unit or the start of this
    // packet's unit: both are broken (and a whole lost picture breaks the references).
    if (open_) broken_ = true;
    needsKeyframe_ = true;
    lastError_ = "h264: packets lost";
  }
  if (open_ && header.timestamp != timestamp_) finish();
  if (!open_) {
    open_ = true;
    timestamp_ = header.timestamp;
    avcc_.clear();
    idr_ = false;
    broken_ = lossBefore;
    inFu_ = false;
  }
  onPayload(payload);
  if (header.marker) finish();
  return handOut();
}

std::optional<H264Depacketizer::AccessUnit> H264Depacketizer::takeReady() {
  return handOut();
}

std::optional<H264Depacketizer::AccessUnit> H264Depacketizer::handOut() {
  if (ready_.empty()) return std::nullopt;
  Ready next = std::move(ready_.front());
  ready_.pop_front();
  if (next.config) newConfig_ = std::move(next.config);
  return std::move(next.unit);
}

std::optional<std::vector<uint8_t>> H264Depacketizer::takeNewConfig() {
  return std::exchange(newConfig_, std::nullopt);
}

void H264Depacketizer::fail(uint64_t Stats::*counter, std::string reason) {
  ++(stats_.*counter);
  lastError_ = std::move(reason);
  broken_ = true;
  inFu_ = false;
}

bool H264Depacketizer::grow(size_t bytes) {
  if (avcc_.size() + bytes <= kMaxAccessUnitBytes) return true;
  fail(&Stats::malformed, fmt::format("h264: access unit over {} bytes", kMaxAccessUnitBytes));
  avcc_.clear();
  return false;
}

void H264Depacketizer::onPayload(std::span<const uint8_t> payload) {
  const uint8_t type = payload[0] & 0x1F;
  if (inFu_ && type != kH264DpFuA) {
    fail(&Stats::malformed, fmt::format("h264: FU-A cut by a type {} packet", type));
  }
  if (type >= 1 && type <= 23) {
    addNal(payload);
  } else if (type == kH264DpStapA) {
    onStapA(payload);
  } else if (type == kH264DpFuA) {
    if (!broken_) onFuA(payload);
  } else if (type == kH264DpStapB || type == kH264DpMtap16 || type == kH264DpMtap24 ||
             type == kH264DpFuB) {
    fail(&Stats::refused, fmt::format("h264: packet type {} needs the interleaved mode, which "
                                      "was not negotiated",
                                      type));
  } else {
    // NOTE: 0, 30 and 31 are reserved; RFC 6184 Table 3 has receivers ignore them, so the
    // unit stays whole.
    ++stats_.malformed;
    lastError_ = fmt::format("h264: reserved packet type {} ignored", type);
  }
}

void H264Depacketizer::onStapA(std::span<const uint8_t> payload) {
  size_t pos = 1;
  if (payload.size() < 3) {
    fail(&Stats::malformed, "h264: STAP-A without a unit");
    return;
  }
  while (pos < payload.size()) {
    const size_t left = payload.size() - pos;
    const size_t size = left < 2 ? 0 : size_t(payload[pos]) << 8 | payload[pos + 1];
    if (size == 0 || size > left - 2) {
      fail(&Stats::malformed, fmt::format("h264: STAP-A unit size {} at offset {} with {} bytes "
                                          "left",
                                          size, pos, left));
      return;
    }
    addNal(payload.subspan(pos + 2, size));
    pos += 2 + size;
  }
}

void H264Depacketizer::onFuA(std::span<const uint8_t> payload) {
  if (payload.size() < 2) {
    fail(&Stats::malformed, "h264: FU-A without its FU header");
    return;
  }
  const uint8_t fu = payload[1];
  const bool start = (fu & 0x80) != 0, end = (fu & 0x40) != 0;
  const uint8_t type = fu & 0x1F;
  const auto data = payload.subspan(2);
  if (start && end) {
    fail(&Stats::malformed, "h264: FU-A with both S and E (RFC 6184 §5.8)");
    return;
  }
  if (start) {
    if (inFu_) {
      fail(&Stats::malformed, "h264: FU-A started again before its end");
      return;
    }
    if (!grow(5 + data.size())) return;
    inFu_ = true;
    fuStart_ = avcc_.size();
    fuType_ = type;
    avcc_.resize(avcc_.size() + 4);
    // NOTE: the NAL header is rebuilt from the indicator's F/NRI and the header's type.
    avcc_.push_back(static_cast<uint8_t>((payload[0] & 0xE0) | type));
  } else if (!inFu_) {
    fail(&Stats::malformed, "h264: FU-A fragment without its start");
    return;
  } else if (type != fuType_) {
    fail(&Stats::malformed, fmt::format("h264: FU-A of type {} continued as {}", fuType_, type));
    return;
  } else if (!grow(data.size())) {
    return;
  }
  avcc_.insert(avcc_.end(), data.begin(), data.end());
  if (end) completeFu();
}

// The last fragment arrived: set the unit's length; parameter sets and filler leave avcc_.
void H264Depacketizer::completeFu() {
  inFu_ = false;
  const size_t nalStart = fuStart_ + 4;
  h264DpPutLength(avcc_, fuStart_, avcc_.size() - nalStart);
  if (fuType_ == kH264DpSps || fuType_ == kH264DpPps || fuType_ == kH264DpFiller) {
    const std::vector<uint8_t> nal(avcc_.begin() + nalStart, avcc_.end());
    avcc_.resize(fuStart_);
    addNal(nal);
  } else if (fuType_ == kH264DpIdr) {
    idr_ = true;
  }
}

void H264Depacketizer::addNal(std::span<const uint8_t> nal) {
  const uint8_t type = nal[0] & 0x1F;
  if (type == kH264DpSps || type == kH264DpPps) {
    rememberParameterSet(nal);
    return;
  }
  if (type == kH264DpFiller || broken_ || !grow(4 + nal.size())) return;
  const size_t at = avcc_.size();
  avcc_.resize(at + 4);
  h264DpPutLength(avcc_, at, nal.size());
  avcc_.insert(avcc_.end(), nal.begin(), nal.end());
  if (type == kH264DpIdr) idr_ = true;
}

void H264Depacketizer::rememberParameterSet(std::span<const uint8_t> nal) {
  const bool sps = (nal[0] & 0x1F) == kH264DpSps;
  const auto id = nal.size() <= kMaxParameterSetBytes ? h264DpParameterSetId(nal) : std::nullopt;
  if (!id || *id >= (sps ? kH264DpMaxSpsIds : kH264DpMaxPpsId + 1)) {
    ++stats_.malformed;
    lastError_ = fmt::format("h264: {} of {} bytes without a usable id ignored",
                             sps ? "SPS" : "PPS", nal.size());
    return;
  }
  // NOTE: staged, and committed when the unit ends: a unit of the old parameters
  // never goes out after the new record (see takeNewConfig).
  if (staged_.size() < kH264DpMaxSpsIds + kH264DpMaxPpsId + 1) {
    staged_.emplace_back(nal.begin(), nal.end());
  }
}

void H264Depacketizer::commitParameterSets() {
  for (auto& nal : staged_) {
    const bool sps = (nal[0] & 0x1F) == kH264DpSps;
    auto& slot = (sps ? sps_ : pps_)[*h264DpParameterSetId(nal)];
    if (slot != nal) {
      slot = std::move(nal);
      configDirty_ = true;
    }
  }
  staged_.clear();
}

void H264Depacketizer::finish() {
  if (!open_) return;
  open_ = false;
  if (inFu_ && !broken_) fail(&Stats::malformed, "h264: access unit ended inside an FU-A");
  inFu_ = false;
  commitParameterSets();
  if (avcc_.empty() && !broken_) return;  // parameter sets only
  if (broken_ || (needsKeyframe_ && !idr_) || sps_.empty() || pps_.empty()) {
    ++stats_.dropped;
    if (!broken_) {
      lastError_ =
          sps_.empty() || pps_.empty() ? "h264: no SPS/PPS yet" : "h264: waiting for an IDR";
    }
    needsKeyframe_ = true;
    return;
  }
  if (idr_) needsKeyframe_ = false;
  Ready ready{AccessUnit{std::move(avcc_), idr_, timestamp_}, std::nullopt};
  avcc_ = {};
  if (configDirty_) {
    std::vector<std::vector<uint8_t>> sps, pps;
    for (auto& [id, nal] : sps_) sps.push_back(nal);
    for (auto& [id, nal] : pps_) pps.push_back(nal);
    auto record = core::makeAvcDecoderConfig(sps, pps, 4);
    if (!record.empty()) ready.config = std::move(record);
    configDirty_ = false;
  }
  if (ready_.size() == kH264DpMaxReady) {  // a caller that never calls takeReady()
    ready_.pop_front();
    ++stats_.dropped;
    needsKeyframe_ = true;
  }
  ready_.push_back(std::move(ready));
  ++stats_.accessUnits;
}

}  // namespace webrtc
