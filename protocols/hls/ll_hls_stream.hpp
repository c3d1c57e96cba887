// LlHlsStream: the LL-HLS (fMP4/CMAF) rendition of one Stream: a MediaSink tap that
// cuts partial segments (~1/3 s) and segments (at keyframes, on a pts grid: see
// SegmentGrid), builds each part once as moof+mdat, and answers blocking playlist
// reloads and preload-hinted part requests by holding them on the loop (no thread
// per waiting request).
// Owned by the HlsServer; loop thread.
#pragma once

#include <algorithm>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/format/fmp4_writer.hpp"
#include "core/log/log_limiter.hpp"
#include "core/loop/timer.hpp"
#include "core/media/media_sink.hpp"
#include "core/media/stream_registry.hpp"
#include "protocols/hls/id3_batcher.hpp"
#include "protocols/hls/keyframe_asker.hpp"
#include "protocols/hls/ll_playlist.hpp"
#include "protocols/hls/segment_grid.hpp"
#include "protocols/http/http_server.hpp"

namespace hls {

struct LlHlsOptions {
  int64_t segmentMs = 2000;
  int64_t partMs = 333;
  size_t window = 6;
  int64_t keepEndedMs = 30000;
  bool roomEvents = true;    // the room's events as emsg (ID3) boxes in the parts (S1)
  int64_t id3MergeMs = 250;  // events this close share one ID3 tag (one emsg)
};

class LlHlsStream : public core::MediaSink {
 public:
  LlHlsStream(core::EventLoop& loop, std::string app, std::string name, const LlHlsOptions& options,
              std::function<void()> onExpired);
  ~LlHlsStream() override;

  void attach(core::StreamRegistry& registry);

  // `_HLS_msn` / `_HLS_part` from the query, already validated by the caller;
  // `query` is the request's whole query (handed to the rendition reports).
  http::HttpResponse servePlaylist(std::optional<uint64_t> msn, std::optional<uint64_t> part,
                                   const std::string& query, http::HttpExchange& exchange);
  // The EXT-X-RENDITION-REPORTs a playlist response ends with: the other
  // renditions of this stream's source, URIs made for a request with `query`
  // (signed play). Set by the HlsServer; none when unset.
  using Reports = std::function<std::vector<RenditionReport>(const std::string& query)>;
  void setRenditionReports(Reports reports) { reports_ = std::move(reports); }
  // (msn, part) of the newest part, for the siblings' reports; none before one.
  std::optional<std::pair<uint64_t, uint64_t>> lastPart() const { return playlist_.lastPart(); }
  http::HttpResponse servePart(uint64_t msn, uint64_t part, http::HttpExchange& exchange);
  http::HttpResponse serveSegment(uint64_t msn) const;
  http::HttpResponse serveInit(uint32_t version) const;
  const LlPlaylist& playlist() const { return playlist_; }

  void onStreamStart(const core::Stream& stream) override;
  void onPacket(const core::MediaPacket& packet) override;
  void onStreamEnd(std::string_view reason) override;

 private:
  struct Waiter {
    std::shared_ptr<http::HttpResponder> responder;
    bool forPart;  // a part request, else a playlist reload
    uint64_t msn;
    std::optional<uint64_t> part;
    uint64_t deadlineMs;
    std::string query;  // a playlist reload's, for its rendition reports
  };
  struct PendingPart {
    int64_t startDts = 0;
    bool independent = false;
    std::vector<std::vector<core::Fmp4Sample>> samples;  // per track
    bool empty() const;
  };

  bool setUpTracks();
  void onRoomEvent(const core::MediaPacket& packet);
  void cutPart(int64_t endDts);
  // The next part cut opens a segment starting with `first`.
  void startSegment(const core::MediaPacket& first);
  void closeSegment(int64_t endDts);
  void reset(std::string_view why);
  void changed();
  bool satisfied(const Waiter& w) const;
  http::HttpResponse playlistResponse(const std::string& query) const;
  http::HttpResponse partResponse(const LlPart& part) const;
  void hold(Waiter w);
  void expireWaiters();

  core::EventLoop& loop_;
  std::string app_, name_, key_;
  const LlHlsOptions& options_;
  std::function<void()> onExpired_;
  Reports reports_;
  core::LogLimiter log_;  // dropped parts repeat with the publisher's input
  std::unique_ptr<core::Subscription> subscription_;

  core::StreamRegistry* registry_ = nullptr;  // set by attach()
  std::optional<core::MediaPacket> videoConfig_, audioConfig_;
  std::vector<core::Fmp4Track> tracks_;    // empty until the init segment is built
  std::vector<core::SharedBuffer> inits_;  // by map version
  LlPlaylist playlist_;
  SegmentGrid grid_;
  mutable core::SharedBuffer rendered_;

  PendingPart part_;
  bool inPart_ = false;
  bool segmentOpen_ = false;     // the playlist has the current segment begun
  bool segmentPending_ = false;  // a segment starts with the next part cut
  KeyframeAsker keyAsker_{key_, std::max<int64_t>(options_.segmentMs / 2, 200)};  // as HlsStream
  int64_t segmentStartDts_ = 0;
  int64_t segmentStartPts_ = 0;
  int64_t segmentProgramDateMs_ = 0;
  bool pendingDiscontinuity_ = false;
  uint32_t fragmentSequence_ = 1;
  int64_t lastDts_ = 0;
  uint32_t emsgIds_ = 0;  // emsg ids: unique per scheme in the presentation
  // Room events as ID3 tags until the part covering their time is cut; each tag
  // then rides as one emsg before that part's moof.
  Id3Batcher id3_;
  int64_t lastDelta_[2] = {33, 21};  // video, audio: duration of a track's last sample

  std::vector<Waiter> waiters_;
  core::Timer waitTimer_;
  core::Timer expireTimer_;
};

}  // namespace hls
