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

// When a fragment ends and what it starts with, for both writers: a fragment is cut
// before a video keyframe (any audio frame without video) once fragmentMs have
// passed, and at kMaxFragmentMs in any case (then it does not start at a keyframe).
class FragmentPolicy {
 public:
  explicit FragmentPolicy(int64_t fragmentMs)
      : fragmentMs_(std::clamp<int64_t>(fragmentMs, 100, kMaxFragmentMs)) {}

  void setHasVideo(bool hasVideo) { hasVideo_ = hasVideo; }
  // Whether the open fragment ends before media packet `p` at `ts` (file time).
  bool cutsBefore(const MediaPacket& p, int64_t ts) const {
    if (!open_ || !(hasVideo_ ? p.isVideo() : p.isAudio())) return false;
    const int64_t elapsed = ts - start_;
    const bool keyCut = (hasVideo_ ? p.keyframe : true) && elapsed >= fragmentMs_;
    return keyCut || elapsed >= kMaxFragmentMs;
  }
  // Opens a fragment at `p` unless one is open; true when it did.
  bool openAt(const MediaPacket& p, int64_t ts) {
    if (open_) return false;
    open_ = true;
    start_ = ts;
    independent_ = !hasVideo_ || (p.isVideo() && p.keyframe);
    return true;
  }
  void close() { open_ = false; }
  bool open() const { return open_; }
  int64_t start() const { return start_; }
  bool independent() const { return independent_; }

 private:
  int64_t fragmentMs_;
  bool hasVideo_ = false;
  bool open_ = false;
  bool independent_ = false;
  int64_t start_ = 0;
};

// NOTE: FLV has no fragments, but replay serves a file as HLS segments, so the
// writer keeps an index of the same shape as fMP4's (FragmentPolicy): byte ranges
// of whole tags. Room event and config tags written since the last audio or video
// tag go with the media that follows them (events are held until it comes).
class FlvWriter : public ContainerWriter {
 public:
  explicit FlvWriter(int64_t fragmentMs) : policy_(fragmentMs) {}

  std::vector<SharedBuffer> begin(const Headers& h, int64_t baseDts, std::string&) override {
    base_ = baseDts;
    policy_.setHasVideo(h.videoConfig.has_value());
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
      if (policy_.cutsBefore(packet, ts)) cut(afterMedia_, ts);
      if (policy_.openAt(packet, ts)) fragmentOffset_ = afterMedia_;
    }
    append(packet, out, false);
    if (media) afterMedia_ = offset_;
    return out;
  }

  std::vector<SharedBuffer> finish(int64_t endDts) override {
    if (policy_.open()) cut(offset_, std::max<int64_t>(0, endDts - base_));
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
    policy_.close();
    if (end <= fragmentOffset_) return;
    fragments_.push_back({fragmentOffset_, end - fragmentOffset_, policy_.start(),
                          std::max<int64_t>(1, endTs - policy_.start()), policy_.independent()});
  }

  FragmentPolicy policy_;
  int64_t base_ = 0;
  uint64_t offset_ = 0;          // bytes written so far
  uint64_t afterMedia_ = 0;      // offset just past the last audio/video tag
  uint64_t fragmentOffset_ = 0;  // where the open fragment starts
  std::vector<FragmentInfo> fragments_;
};

class Fmp4Writer : public ContainerWriter {
 public:
  explicit Fmp4Writer(int64_t fragmentMs) : policy_(fragmentMs) {}

  std::vector<SharedBuffer> begin(const Headers& h, int64_t baseDts, std::string& error) override {
    base_ = baseDts;
    if (h.videoConfig && h.videoConfig->codec == core::Codec::H264)
      tracks_.push_back({core::MediaKind::Video, core::Codec::H264, h.videoConfig->payload});
    if (h.audioConfig && h.audioConfig->codec == core::Codec::AAC)
      tracks_.push_back({core::MediaKind::Audio, core::Codec::AAC, h.audioConfig->payload});
    auto init = core::buildFmp4Init(tracks_, &error);
    if (!init) return {};
    policy_.setHasVideo(tracks_.front().kind == core::MediaKind::Video);
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
    if (policy_.cutsBefore(p, dts)) cut(dts, out);
    policy_.openAt(p, dts);
    auto& samples = samples_[static_cast<size_t>(t)];
    if (!samples.empty() && dts > samples.back().dtsMs)
      lastDelta_[t] = std::min<int64_t>(dts - samples.back().dtsMs, 1000);
    samples.push_back({dts, dts + p.compositionOffset(), lastDelta_[t], p.keyframe, p.payload});
    return out;
  }

  std::vector<SharedBuffer> finish(int64_t endDts) override {
    std::vector<SharedBuffer> out;
    if (policy_.open()) cut(std::max<int64_t>(0, endDts - base_), out);
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
    policy_.close();
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
    fragments_.push_back({offset_, bytes.size(), policy_.start(),
                          std::max<int64_t>(1, endDts - policy_.start()), policy_.independent()});
    offset_ += bytes.size();
    out.push_back(SharedBuffer::adopt(std::move(bytes)));
  }

  FragmentPolicy policy_;
  int64_t base_ = 0;
  std::vector<core::Fmp4Track> tracks_;
  std::vector<std::vector<core::Fmp4Sample>> samples_;
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
