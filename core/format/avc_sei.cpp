#include "core/format/avc_sei.hpp"

#include "core/format/timed_metadata.hpp"

namespace core {
namespace {
constexpr int kAudNalType = 9;
}  // namespace

std::vector<uint8_t> insertSeiAfterAud(std::span<const uint8_t> avcc, int nalLengthSize,
                                       std::span<const std::string> payloads,
                                       const std::array<uint8_t, 16>& uuid) {
  // NOTE: 4-byte NAL lengths only (what every encoder sends); other sizes would
  // need the SEI's length to fit, and are left as they came.
  if (nalLengthSize != 4 || payloads.empty() || avcc.empty()) return {};
  // NOTE: SEI comes after an access unit delimiter (NAL type 9) and before the
  // slices (H.264 7.4.1.2.3). A first unit whose length runs past the end is not
  // taken as an AUD: the SEI then goes first.
  size_t split = 0;
  if (avcc.size() > 4) {
    const size_t first =
        (size_t{avcc[0]} << 24) | (size_t{avcc[1]} << 16) | (size_t{avcc[2]} << 8) | avcc[3];
    if ((avcc[4] & 0x1F) == kAudNalType && first <= avcc.size() - 4) split = 4 + first;
  }
  std::vector<uint8_t> out;
  out.reserve(avcc.size() + payloads.size() * 64);
  out.insert(out.end(), avcc.begin(), avcc.begin() + static_cast<std::ptrdiff_t>(split));
  for (const std::string& p : payloads) {
    const auto nal = buildSeiUserDataUnregistered(
        uuid, std::span(reinterpret_cast<const uint8_t*>(p.data()), p.size()));
    const auto n = static_cast<uint32_t>(nal.size());
    out.insert(out.end(), {static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16),
                           static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)});
    out.insert(out.end(), nal.begin(), nal.end());
  }
  out.insert(out.end(), avcc.begin() + static_cast<std::ptrdiff_t>(split), avcc.end());
  return out;
}

}  // namespace core
