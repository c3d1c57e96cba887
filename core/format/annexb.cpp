#include "core/format/annexb.hpp"

#include "core/format/avc_config.hpp"

namespace core {
namespace {

constexpr int kSpsNalType = 7;
constexpr int kPpsNalType = 8;

// Index just past the next 00 00 01 at or after `from`, or in.size() if none; the
// start of that start code in `codeAt`.
size_t nextStartCode(std::span<const uint8_t> in, size_t from, size_t& codeAt) {
  for (size_t i = from; i + 3 <= in.size(); ++i) {
    if (in[i + 2] > 1) {
      i += 2;  // NOTE: no start code can begin at i, i+1 or i+2 (skip like B.2)
      continue;
    }
    if (in[i] == 0 && in[i + 1] == 0 && in[i + 2] == 1) {
      codeAt = i;
      return i + 3;
    }
  }
  codeAt = in.size();
  return in.size();
}

}  // namespace

std::vector<std::span<const uint8_t>> splitAnnexB(std::span<const uint8_t> in) {
  std::vector<std::span<const uint8_t>> units;
  size_t codeAt = 0;
  size_t start = nextStartCode(in, 0, codeAt);
  while (start < in.size()) {
    const size_t next = nextStartCode(in, start, codeAt);
    size_t end = codeAt;  // a 4-byte start code's leading zero, and trailing zeros, go
    while (end > start && in[end - 1] == 0) --end;
    if (end > start) units.push_back(in.subspan(start, end - start));
    start = next;
  }
  return units;
}

std::vector<uint8_t> annexBToAvcc(std::span<const uint8_t> in) {
  const auto units = splitAnnexB(in);
  size_t total = 0;
  for (const auto& unit : units) total += 4 + unit.size();
  std::vector<uint8_t> out;
  out.reserve(total);
  for (const auto& unit : units) {
    const auto n = static_cast<uint32_t>(unit.size());
    out.insert(out.end(), {static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16),
                           static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)});
    out.insert(out.end(), unit.begin(), unit.end());
  }
  return out;
}

std::vector<uint8_t> avcConfigFromAnnexB(std::span<const uint8_t> extradata) {
  if (!extradata.empty() && extradata[0] == 1 && parseAvcDecoderConfig(extradata))
    return {extradata.begin(), extradata.end()};
  std::vector<std::vector<uint8_t>> sps, pps;
  for (const auto& unit : splitAnnexB(extradata)) {
    const int type = unit[0] & 0x1F;
    if (type == kSpsNalType) sps.emplace_back(unit.begin(), unit.end());
    if (type == kPpsNalType) pps.emplace_back(unit.begin(), unit.end());
  }
  if (sps.empty() || pps.empty()) return {};
  return makeAvcDecoderConfig(sps, pps, 4);
}

}  // namespace core
