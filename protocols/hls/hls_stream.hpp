// HlsStream: the HLS (MPEG-TS) rendition of one Stream — a MediaSink tap that cuts
// segments at the first keyframe past each line of a pts grid (SegmentGrid) and
// serves the playlist and segments from memory; every request writes the same bytes.
// Owned by the HlsServer; loop thread.
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/log/log_limiter.hpp"
#include "core/loop/timer.hpp"
#include "core/media/media_sink.hpp"
#include "core/media/stream_registry.hpp"
#include "protocols/hls/id3_batcher.hpp"
#include "protocols/hls/keyframe_asker.hpp"
#include "protocols/hls/media_playlist.hpp"
#include "protocols/hls/segment_grid.hpp"
#include "protocols/hls/ts_muxer.hpp"
#include "protocols/http/http_server.hpp"

namespace hls {

struct HlsOptions {
  int64_t segmentMs = 2000;
  size_t window = 6;
  int64_t keepEndedMs = 30000;  // the ended playlist (with ENDLIST) stays this long
  std::string dir;              // also write playlist + segments under it ("" = no)
  bool roomEvents = true;       // the room's events as timed ID3 (S1)
  int64_t id3MergeMs = 250;     // events this close share one ID3 tag
  bool dateRanges = true;       // status changes also as EXT-X-DATERANGE
};

class HlsStream : public core::MediaSink {
 public:
  HlsStream(core::EventLoop& loop, av::Libraries& libs, std::string app, std::string name,
            const HlsOptions& options, std::function<void()> onExpired);
  ~HlsStream() override;

  // (Re)subscribes to the live Stream; a stream that had ended is reopened.
  void attach(core::StreamRegistry& registry);

  http::HttpResponse servePlaylist(http::HttpExchange& exchange);
  // Answers with render() once the first segment exists (or the stream ended),
  // holding the request until then like the playlist (the master playlist needs
  // the segments' bit rates).
  using Render = std::function<http::HttpResponse()>;
  http::HttpResponse serveWhenSegmented(http::HttpExchange& exchange, Render render);
  MediaPlaylist::Bitrates bitrates() const { return playlist_.bitrates(); }
  const MediaPlaylist& playlist() const { return playlist_; }
  http::HttpResponse serveSegment(uint64_t sequence) const;
  const std::string& key() const { return key_; }

  void onStreamStart(const core::Stream& stream) override;
  void onPacket(const core::MediaPacket& packet) override;
  void onStreamEnd(std::string_view reason) override;

 private:
  void onConfig(const core::MediaPacket& packet);
  bool startMuxer();
  void startSegment(const core::MediaPacket& first);
  void closeSegment(int64_t endDts);
  void onRoomEvent(const core::MediaPacket& packet);
  void writeId3(const Id3Batcher::Tag& tag);
  void addStatusRange(int64_t streamMs, const std::string& json);
  void dropMuxer(std::string_view why);
  http::HttpResponse playlistResponse() const;
  void answerWaiters();
  // Mirrors the newest segment (then the playlist) to options_.dir.
  void mirrorToDisk();
  void removeFromDisk();

  core::EventLoop& loop_;
  av::Libraries& libs_;  // the muxers' FFmpeg: main's
  std::string app_, name_, key_;
  const HlsOptions& options_;
  std::function<void()> onExpired_;
  core::LogLimiter log_;  // mux errors repeat with the publisher's input
  std::unique_ptr<core::Subscription> subscription_;

  core::StreamRegistry* registry_ = nullptr;  // set by attach()
  std::optional<core::MediaPacket> videoConfig_, audioConfig_;
  std::unique_ptr<TsMuxer> muxer_;
  Id3Batcher id3_;
  bool sawRoom_ = false;               // a room event came: the muxer gets an ID3 track
  std::optional<std::string> status_;  // the room's last status event
  bool segmentNeedsStatus_ = false;
  MediaPlaylist playlist_;
  SegmentGrid grid_;                     // where segments are cut, how the first is numbered
  mutable core::SharedBuffer rendered_;  // the playlist text, rebuilt when it changes
  bool inSegment_ = false;
  // Keyframes asked of a WHIP publisher: a segment due, or none to start one.
  KeyframeAsker keyAsker_{key_, std::max<int64_t>(options_.segmentMs / 2, 200)};
  bool pendingDiscontinuity_ = false;
  int64_t segmentStartDts_ = 0;
  int64_t segmentStartPts_ = 0;
  int64_t segmentProgramDateMs_ = 0;
  int64_t lastDts_ = 0;
  int64_t lastVideoDelta_ = 33;

  // Players asking before the first segment exists are held (not refused).
  std::vector<std::pair<std::shared_ptr<http::HttpResponder>, Render>> waiters_;
  core::Timer waitTimer_;
  std::shared_ptr<bool> diskFailing_ = std::make_shared<bool>(false);
  core::Timer expireTimer_;
};

}  // namespace hls
