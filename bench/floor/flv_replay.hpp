// FlvReplay: an FLV file held in memory and replayed as an endless live stream (the
// file looped, timestamps continuing), for the fan-out floor. Owned by main(); one
// thread; no I/O after load().
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace bench {

struct ReplayTag {
  uint8_t type = 0;       // FLV tag type: 8 audio, 9 video, 18 script
  uint32_t tsMs = 0;      // relative to the file's first media tag
  bool keyframe = false;  // a video keyframe carrying a picture
  std::vector<uint8_t> body;
};

class FlvReplay {
 public:
  // Reads the whole file; nullopt with `error` set if it is not a usable FLV.
  static std::optional<FlvReplay> load(const std::string& path, std::string& error);

  // The config tags a joining player gets first: onMetaData and the sequence headers.
  const std::vector<ReplayTag>& config() const { return config_; }
  // Media tag `index` of the endless replay and its timestamp on the continuous clock
  // (loop k adds k times the file's duration).
  const ReplayTag& tag(uint64_t index) const { return media_[index % media_.size()]; }
  uint64_t timestampMs(uint64_t index) const;
  uint64_t durationMs() const { return durationMs_; }
  size_t mediaTags() const { return media_.size(); }

 private:
  std::vector<ReplayTag> config_;
  std::vector<ReplayTag> media_;
  uint64_t durationMs_ = 0;
};

}  // namespace bench
