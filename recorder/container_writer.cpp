#include "recorder/container_writer.hpp"

#include <algorithm>
#include <deque>

#include "core/format/flv_tag.hpp"
#include "core/format/fmp4_writer.hpp"
#include "core/format/timed_metadata.hpp"
#include "core/media/room_event_packet.hpp"

namespace recorder {
namespace {

using core::MediaPacket;
using core::SharedBuffer;

// NOTE: a killed server loses at most the open fragment (issue 6: <= 2 s), so a
// fragment is cut at this length even in the middle of a long GOP.
constexpr int64_t kMaxFragmentMs = 2000;

// NOTE: FLV has no fragments, but replay serves a file as HLS segments, so the
// writer keeps an index of the same shape as fMP4's: byte ranges of whole tags, cut
// before a video keyframe (any audio tag without video) once fragmentMs have passed,
// at the latest after kMaxFragmentMs. Room event tags written since the last audio
// or video tag go with the media that follows them (they are held until it comes).
class FlvWriter : public ContainerWriter {
 public:
  explicit FlvWriter(int64_t fragmentMs)
      : fragmentMs_(std::clamp<int64_t>(fragmentMs, 100, kMaxFragmentMs)) {}

  std::vector<SharedBuffer> begin(const Headers& h, int64_t baseDts, std::string&) override {
    base_ = baseDts;
    hasVideo_ = h.videoConfig.has_value();
    std::vector<SharedBuffer> out;
    out.push_back(SharedBuffer::adopt(
        core::flvFileHeader(h.audioConfig.has_value(), h.videoConfig.has_value())));
    offset_ = out.back().size();
    for (const auto* p : {&h.metadata, &h.videoConfig, &h.audioConfig})
      if (*p) append(**p, out, /*atZero=*/true);
    afterMedia_ = offset_;
    return out;
  }

  std::vector<SharedBuffer> write(const MediaPacket& packet) override {
    std::vector<SharedBuffer> out;
    const bool media = (packet.isVideo() || packet.isAudio()) && !packet.config;
    if (media) {
      const int64_t ts = std::max<int64_t>(0, packet.dts - base_);
      const bool boundaryTrack = hasVideo_ ? packet.isVideo() : packet.isAudio();
      if (open_ && boundaryTrack) {
        const int64_t elapsed = ts - fragmentStart_;
        const bool keyCut = (hasVideo_ ? packet.keyframe : true) && elapsed >= fragmentMs_;
        if (keyCut || elapsed >= kMaxFragmentMs) cut(afterMedia_, ts);
      }
      if (!open_) {
        open_ = true;
        fragmentOffset_ = afterMedia_;
        fragmentStart_ = ts;
        independent_ = !hasVideo_ || (packet.isVideo() && packet.keyframe);
      }
    }
    append(packet, out, false);
    if (media) afterMedia_ = offset_;
    return out;
  }

  std::vector<SharedBuffer> finish(int64_t endDts) override {
    if (open_) cut(offset_, std::max<int64_t>(0, endDts - base_));
    return {};
  }
  const std::vector<FragmentInfo>& fragments() const override { return fragments_; }
  const char* extension() const override { return "flv"; }

 private:
  void append(const MediaPacket& p, std::vector<SharedBuffer>& out, bool atZero) {
    const auto body = core::flvBodyOf(p);
    if (body.empty()) return;
    const int64_t ts = atZero ? 0 : std::max<int64_t>(0, p.dts - base_);
    SharedBuffer tag = core::buildFlvTag(core::flvTagTypeOf(p), static_cast<uint32_t>(ts), body);
    if (tag.empty()) return;
    offset_ += tag.size();
    out.push_back(std::move(tag));
  }

  // Ends the open fragment at byte `end` and time `endTs`.
  void cut(uint64_t end, int64_t endTs) {
    open_ = false;
    if (end <= fragmentOffset_) return;
    fragments_.push_back({fragmentOffset_, end - fragmentOffset_, fragmentStart_,
                          std::max<int64_t>(1, endTs - fragmentStart_), independent_});
  }

  int64_t fragmentMs_;
  int64_t base_ = 0;
  bool hasVideo_ = false;
  uint64_t offset_ = 0;      // bytes written so far
  uint64_t afterMedia_ = 0;  // offset just past the last audio/video tag
  bool open_ = false;
  bool independent_ = false;
  uint64_t fragmentOffset_ = 0;
  int64_t fragmentStart_ = 0;
  std::vector<FragmentInfo> fragments_;
};

class Fmp4Writer : public ContainerWriter {
 public:
  explicit Fmp4Writer(int64_t fragmentMs)
      : fragmentMs_(std::clamp<int64_t>(fragmentMs, 100, kMaxFragmentMs)) {}

  std::vector<SharedBuffer> begin(const Headers& h, int64_t baseDts, std::string& error) override {
    base_ = baseDts;
    if (h.videoConfig && h.videoConfig->codec == core::Codec::H264)
      tracks_.push_back({core::MediaKind::Video, core::Codec::H264, h.videoConfig->payload});
    if (h.audioConfig && h.audioConfig->codec == core::Codec::AAC)
      tracks_.push_back({core::MediaKind::Audio, core::Codec::AAC, h.audioConfig->payload});
    auto init = core::buildFmp4Init(tracks_, &error);
    if (!init) return {};
    hasVideo_ = tracks_.front().kind == core::MediaKind::Video;
    samples_.assign(tracks_.size(), {});
    offset_ = init->size();
    return {SharedBuffer::adopt(std::move(*init))};
  }

  std::vector<SharedBuffer> write(const MediaPacket& p) override {
    std::vector<SharedBuffer> out;
    if (p.codec == core::Codec::RoomEvent) {
      queueEvent(p);
      return out;
    }
    if (p.kind == core::MediaKind::Data || p.config) return out;
    const int t = trackOf(p.kind);
    if (t < 0) return out;
    const int64_t dts = std::max<int64_t>(0, p.dts - base_);
    const bool boundaryTrack = hasVideo_ ? p.isVideo() : p.isAudio();
    if (open_ && boundaryTrack) {
      const int64_t elapsed = dts - fragmentStart_;
      const bool keyCut = (hasVideo_ ? p.keyframe : true) && elapsed >= fragmentMs_;
      if (keyCut || elapsed >= kMaxFragmentMs) cut(dts, out);
    }
    if (!open_) {
      open_ = true;
      fragmentStart_ = dts;
      independent_ = !hasVideo_ || (p.isVideo() && p.keyframe);
    }
    auto& samples = samples_[static_cast<size_t>(t)];
    if (!samples.empty() && dts > samples.back().dtsMs)
      lastDelta_[t] = std::min<int64_t>(dts - samples.back().dtsMs, 1000);
    samples.push_back({dts, dts + p.compositionOffset(), lastDelta_[t], p.keyframe, p.payload});
    return out;
  }

  std::vector<SharedBuffer> finish(int64_t endDts) override {
    std::vector<SharedBuffer> out;
    if (open_) cut(std::max<int64_t>(0, endDts - base_), out);
    return out;
  }

  const std::vector<FragmentInfo>& fragments() const override { return fragments_; }
  const char* extension() const override { return "mp4"; }

 private:
  int trackOf(core::MediaKind kind) const {
    for (size_t i = 0; i < tracks_.size(); ++i)
      if (tracks_[i].kind == kind) return static_cast<int>(i);
    return -1;
  }

  void queueEvent(const MediaPacket& p) {
    auto json = core::roomEventText(p);
    if (!json) return;
    const std::string values[] = {std::move(*json)};
    const auto tag = core::buildId3Tag(values);
    if (tag.empty()) return;
    const int64_t at = std::max<int64_t>(0, p.dts - base_);
    events_.emplace_back(at, core::buildEmsgV1(1000, static_cast<uint64_t>(at), 0, ++emsgIds_,
                                               core::kEmsgId3Scheme, "", tag));
    // NOTE: events run at most a second ahead of the media; this only bounds a
    // publisher that stopped sending frames.
    if (events_.size() > 4096) events_.pop_front();
  }

  void cut(int64_t endDts, std::vector<SharedBuffer>& out) {
    open_ = false;
    core::Fmp4Fragment fragment;
    fragment.sequenceNumber = ++sequence_;
    fragment.samplesPerTrack = std::move(samples_);
    samples_.assign(tracks_.size(), {});
    while (!events_.empty() && events_.front().first < endDts) {
      fragment.leadingBoxes.push_back(std::move(events_.front().second));
      events_.pop_front();
    }
    auto bytes = core::buildFmp4Fragment(tracks_, fragment);
    if (bytes.empty()) return;
    fragments_.push_back({offset_, bytes.size(), fragmentStart_,
                          std::max<int64_t>(1, endDts - fragmentStart_), independent_});
    offset_ += bytes.size();
    out.push_back(SharedBuffer::adopt(std::move(bytes)));
  }

  int64_t fragmentMs_;
  int64_t base_ = 0;
  std::vector<core::Fmp4Track> tracks_;
  bool hasVideo_ = false;
  std::vector<std::vector<core::Fmp4Sample>> samples_;
  bool open_ = false;
  bool independent_ = false;
  int64_t fragmentStart_ = 0;
  int64_t lastDelta_[2] = {33, 21};
  uint32_t sequence_ = 0;
  uint32_t emsgIds_ = 0;
  uint64_t offset_ = 0;
  std::deque<std::pair<int64_t, std::vector<uint8_t>>> events_;
  std::vector<FragmentInfo> fragments_;
};

}  // namespace

std::unique_ptr<ContainerWriter> makeContainerWriter(const std::string& format,
                                                     int64_t fragmentMs) {
  if (format == "flv") return std::make_unique<FlvWriter>(fragmentMs);
  if (format == "fmp4") return std::make_unique<Fmp4Writer>(fragmentMs);
  return nullptr;
}

}  // namespace recorder
