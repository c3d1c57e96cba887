#include "bench/floor/flv_replay.hpp"

#include <fstream>
#include <iterator>

#include "core/format/flv_tag.hpp"

namespace bench {
namespace {

// AVC/HEVC sequence headers and the AAC AudioSpecificConfig are config, not media.
bool isConfigTag(uint8_t type, std::span<const uint8_t> body) {
  if (type == core::kFlvTagScript) return true;
  if (body.size() < 2) return false;
  if (type == core::kFlvTagVideo) {
    const uint8_t codec = body[0] & 0x0F;
    return (codec == 7 || codec == 12) && body[1] == 0;
  }
  return type == core::kFlvTagAudio && (body[0] >> 4) == 10 && body[1] == 0;
}

bool isKeyframe(uint8_t type, std::span<const uint8_t> body) {
  return type == core::kFlvTagVideo && body.size() >= 2 && (body[0] >> 4) == 1;
}

}  // namespace

std::optional<FlvReplay> FlvReplay::load(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open " + path;
    return std::nullopt;
  }
  const std::vector<uint8_t> file((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
  if (file.size() < core::kFlvFileHeaderSize + 4 || file[0] != 'F' || file[1] != 'L' ||
      file[2] != 'V') {
    error = path + " is not an FLV file";
    return std::nullopt;
  }
  FlvReplay replay;
  size_t at = core::kFlvFileHeaderSize + core::kFlvPreviousTagSizeBytes;
  bool haveBase = false;
  uint32_t base = 0, lastVideo = 0;
  while (at + core::kFlvTagHeaderSize <= file.size()) {
    const auto header = core::parseFlvTagHeader(std::span(file).subspan(at));
    if (!header || at + core::kFlvTagHeaderSize + header->dataSize > file.size()) break;
    const auto body = std::span(file).subspan(at + core::kFlvTagHeaderSize, header->dataSize);
    at += core::kFlvTagHeaderSize + header->dataSize + core::kFlvPreviousTagSizeBytes;
    ReplayTag tag{header->tagType, 0, isKeyframe(header->tagType, body),
                  std::vector<uint8_t>(body.begin(), body.end())};
    if (isConfigTag(header->tagType, body)) {
      replay.config_.push_back(std::move(tag));
      continue;
    }
    if (header->tagType != core::kFlvTagAudio && header->tagType != core::kFlvTagVideo) continue;
    if (!haveBase) {
      haveBase = true;
      base = header->timestampMs;
    }
    tag.tsMs = header->timestampMs - base;
    if (tag.type == core::kFlvTagVideo) lastVideo = tag.tsMs;
    replay.media_.push_back(std::move(tag));
  }
  if (replay.media_.empty()) {
    error = path + " holds no audio or video tags";
    return std::nullopt;
  }
  // NOTE: the next loop starts one frame interval (at 30 fps) after the last video
  // frame, as ffmpeg's -stream_loop continues the clock.
  replay.durationMs_ = static_cast<uint64_t>(lastVideo) + 33;
  return replay;
}

uint64_t FlvReplay::timestampMs(uint64_t index) const {
  return (index / media_.size()) * durationMs_ + media_[index % media_.size()].tsMs;
}

}  // namespace bench
