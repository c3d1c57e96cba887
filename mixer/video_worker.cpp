#include "mixer/video_worker.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>

#include "av/av_libraries.hpp"
#include "av/filter_api.hpp"
#include "mixer/clock_zone.hpp"
#include "mixer/logo_image.hpp"

namespace mixer {

namespace {

int64_t monotonicNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Corrupt units are counted; only the first few are logged per run.
constexpr uint64_t kLoggedDecodeErrors = 5;

}  // namespace

void VideoWorker::run() {
  std::string error;
  if (!open(error)) return fail(error);
  while (true) {
    applyOverlays();
    std::optional<EncodedUnit> unit = state_.input.pop(state_.stop);
    if (state_.stop.load(std::memory_order_acquire)) return state_.endLanes();
    if (!unit) {
      if (!state_.inputEnded.load(std::memory_order_acquire)) continue;
      // NOTE: the loop queued its last unit before it set inputEnded.
      while (auto rest = state_.input.tryPop())
        if (!decode(*rest, error)) return fail(error);
      if (!drain(error)) return fail(error);
      return state_.endLanes();
    }
    const int64_t start = monotonicNs();
    const bool ok = decode(*unit, error);
    state_.decode.busyNs.fetch_add(monotonicNs() - start, std::memory_order_relaxed);
    if (!ok) return fail(error);
  }
}

bool VideoWorker::open(std::string& error) {
  api_ = state_.libs.filter(error);
  if (!api_) return false;
  const RunSettings& s = state_.settings;
  decoder_ = VideoDecoder::open(*api_, core::Codec::H264, s.videoConfig, s.decodeThreads, error);
  if (!decoder_) return false;
  decoded_ = av::makeFrame(*api_);
  if (!decoded_) error = "out of memory";
  return decoded_ != nullptr;
}

bool VideoWorker::decode(const EncodedUnit& unit, std::string& error) {
  state_.decode.framesIn.fetch_add(1, std::memory_order_relaxed);
  std::string why;
  if (!decoder_->send(unit, why)) {
    // A corrupt unit costs the frames up to the next key, not the pipeline.
    const uint64_t n = state_.decode.errors.fetch_add(1, std::memory_order_relaxed);
    if (n < kLoggedDecodeErrors || ++loggedErrors_ % 100 == 0)
      spdlog::warn("caster {}: decode: unit at {} ms refused ({} so far): {}",
                   state_.settings.source, unit.pts, n + 1, why);
  }
  return receiveFrames(error);
}

bool VideoWorker::receiveFrames(std::string& error) {
  while (true) {
    std::string why;
    switch (decoder_->receive(decoded_.get(), why)) {
      case VideoDecoder::Result::Frame:
        if (!filterFrame(decoded_.get(), error)) return false;
        break;
      case VideoDecoder::Result::Again:
      case VideoDecoder::Result::End:
        return true;
      case VideoDecoder::Result::Failed:
        state_.decode.errors.fetch_add(1, std::memory_order_relaxed);
        if (loggedErrors_++ < kLoggedDecodeErrors)
          spdlog::warn("caster {}: decode: {}", state_.settings.source, why);
        return true;
    }
  }
}

bool VideoWorker::filterFrame(AVFrame* frame, std::string& error) {
  state_.decode.framesOut.fetch_add(1, std::memory_order_relaxed);
  // A damaged unit often decodes anyway, its missing parts concealed: counted too.
  if ((frame->flags & AV_FRAME_FLAG_CORRUPT) || frame->decode_error_flags)
    state_.decode.errors.fetch_add(1, std::memory_order_relaxed);
  // NOTE: a pts not above the last one (a decoder glitch) would make the graph
  // and the encoders go backwards: the frame is dropped.
  if (lastPts_ && frame->pts <= *lastPts_) return true;
  if (lastPts_) {
    state_.decode.mediaMs.fetch_add(frame->pts - *lastPts_, std::memory_order_relaxed);
    state_.filter.mediaMs.fetch_add(frame->pts - *lastPts_, std::memory_order_relaxed);
  }
  lastPts_ = frame->pts;
  const bool key = state_.keys.mark(frame->pts, frame->key_frame != 0);
  if (!graph_) {
    graph_ = buildGraph(frame, overlays_, error);
    if (!graph_ && !overlays_.empty()) {
      // The overlays cannot be drawn (a font or an image missing): the rungs go
      // out without them, and the API shows why.
      spdlog::warn("caster {}: overlays left out: {}", state_.settings.source, error);
      state_.post(MixerEvent{state_.settings.id, 0, true, OverlayResult{0, error}});
      overlays_.clear();
      error.clear();
      graph_ = buildGraph(frame, overlays_, error);
    }
    if (!graph_) return false;
  } else if (rebuild_ && key) {
    rebuild(frame);
  } else if (clockReinitAt_) {
    updateClocks();
  }
  const int64_t start = monotonicNs();
  state_.filter.framesIn.fetch_add(1, std::memory_order_relaxed);
  std::string why;
  if (!graph_->push(frame, why)) {
    // A frame of another size (the source changed resolution mid-stream) cannot go
    // into this graph; the pipeline restarts on the source's new config.
    state_.filter.errors.fetch_add(1, std::memory_order_relaxed);
    api_->av_frame_unref(frame);
    return true;
  }
  api_->av_frame_unref(frame);
  const bool ok = pullRungs(error);
  state_.filter.busyNs.fetch_add(monotonicNs() - start, std::memory_order_relaxed);
  return ok;
}

std::unique_ptr<FilterGraph> VideoWorker::buildGraph(const AVFrame* frame,
                                                     const std::vector<OverlaySpec>& overlays,
                                                     std::string& error) {
  const RunSettings& s = state_.settings;
  GraphSource source;
  source.width = frame->width;
  source.height = frame->height;
  const char* pixFmt = api_->av_get_pix_fmt_name(static_cast<AVPixelFormat>(frame->format));
  source.pixFmt = pixFmt ? pixFmt : "";
  if (frame->sample_aspect_ratio.num > 0)
    source.sar = {frame->sample_aspect_ratio.num, frame->sample_aspect_ratio.den};
  source.fps = s.plan.sourceFps > 0 ? s.plan.sourceFps : 30;
  GraphAssets assets;
  assets.fonts = s.fonts;
  std::string why;
  std::vector<std::pair<std::string, LogoImage>> logos;
  if (!loadAssets(frame, overlays, assets, logos, error)) return nullptr;
  auto spec = GraphSpec::build(source, s.plan, overlays, assets, why);
  if (!spec) {
    error = "filter: " + why;
    return nullptr;
  }
  InputFormat input{frame->width,
                    frame->height,
                    static_cast<AVPixelFormat>(frame->format),
                    {1, 1000},
                    {source.sar.num, source.sar.den}};
  auto graph = FilterGraph::build(*api_, *spec, input, why);
  if (!graph) {
    error = "filter: " + why;
    return nullptr;
  }
  for (const auto& [id, logo] : logos) {
    if (!graph->setImage(id, logo.frame(), why)) {
      error = "overlay " + id + ": " + why;
      return nullptr;
    }
  }
  clockReinitAt_ = nextClockReinit(assets);
  state_.rebuilds.fetch_add(1, std::memory_order_relaxed);
  spdlog::info("caster {}: graph for {}x{} {}: {} rungs, {} overlays", s.source, frame->width,
               frame->height, source.pixFmt, graph->rungs(), overlays.size());
  return graph;
}

bool VideoWorker::loadAssets(const AVFrame* frame, const std::vector<OverlaySpec>& overlays,
                             GraphAssets& assets,
                             std::vector<std::pair<std::string, LogoImage>>& logos,
                             std::string& error) {
  const RunSettings& s = state_.settings;
  // NOTE: the wall clock at pts 0 is fixed by the first graph, so a rebuild's clock
  // goes on from the same second.
  const int64_t nowMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  if (!epochMsAtPtsZero_) epochMsAtPtsZero_ = nowMs - frame->pts;
  const int topWidth = s.plan.rungs.front().width;
  for (const OverlaySpec& o : overlays) {
    std::string why;
    if (o.type == OverlayType::Image) {
      auto path = assetPath(s.fonts.assetsDir, o.file, why);
      const double w = o.unit == PositionUnit::Fraction ? o.width * topWidth : o.width;
      std::optional<LogoImage> logo;
      if (path)
        logo = LogoImage::load(*api_, *path, static_cast<int>(std::lround(w)), o.opacity, why);
      if (!logo) {
        error = "overlay " + o.id + ": " + why;
        return false;
      }
      assets.images[o.id] = logo->size();
      logos.emplace_back(o.id, std::move(*logo));
    } else if (o.type == OverlayType::Clock) {
      auto zone = ClockZone::parse(o.tz, why);
      if (!zone) {
        error = "overlay " + o.id + ": " + why;
        return false;
      }
      assets.clocks[o.id] = zone->stateAt(*epochMsAtPtsZero_, nowMs / 1000);
    }
  }
  return true;
}

void VideoWorker::updateClocks() {
  // A zone's offset changed (daylight saving): one reinit of each clock's text.
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  if (!clockReinitAt_ || now < *clockReinitAt_ || !graph_ || !epochMsAtPtsZero_) return;
  GraphAssets assets;
  for (const OverlaySpec& o : overlays_) {
    if (o.type != OverlayType::Clock) continue;
    std::string why;
    auto zone = ClockZone::parse(o.tz, why);
    if (!zone) continue;
    ClockState state = zone->stateAt(*epochMsAtPtsZero_, now);
    const OverlayCommand c = OverlaySet::clockCommand(o, state);
    if (!graph_->sendCommand(c.target, c.command, c.argument, why))
      spdlog::warn("caster {}: clock {}: {}", state_.settings.source, o.id, why);
    assets.clocks[o.id] = std::move(state);
  }
  clockReinitAt_ = nextClockReinit(assets);
}

void VideoWorker::applyOverlays() {
  for (OverlayUpdate& u : state_.takeOverlays()) {
    if (!graph_) {  // nothing built yet: the first graph shows the new list
      overlays_ = std::move(u.overlays);
      state_.post(MixerEvent{state_.settings.id, 0, true, OverlayResult{u.revision, ""}});
      continue;
    }
    std::string error;
    bool rebuild = u.change.needsRebuild;
    for (const OverlayCommand& c : u.change.commands) {
      std::string why;
      state_.commands.fetch_add(1, std::memory_order_relaxed);
      // NOTE: a refused command (a text drawtext cannot take) leaves the filter as
      // it was; a rebuild then shows the new list, or fails with the reason.
      if (!graph_->sendCommand(c.target, c.command, c.argument, why)) rebuild = true;
    }
    if (rebuild) {
      rebuild_ = std::move(u);
      // NOTE: the graph changes only at a key of every rung, so no rung shows a GOP
      // that starts with the old overlays and ends with the new.
      state_.keys.requestKeyframe();
      continue;
    }
    overlays_ = std::move(u.overlays);
    state_.post(MixerEvent{state_.settings.id, 0, true, OverlayResult{u.revision, error}});
  }
}

void VideoWorker::rebuild(const AVFrame* frame) {
  OverlayUpdate u = std::move(*rebuild_);
  rebuild_.reset();
  std::string error;
  auto graph = buildGraph(frame, u.overlays, error);
  if (graph) {
    // NOTE: the old graph holds no frame (every output was pulled after each push),
    // so the new one takes over at this frame without a gap in any rung.
    graph_ = std::move(graph);
    overlays_ = std::move(u.overlays);
  } else {
    spdlog::warn("caster {}: overlays revision {} not applied: {}", state_.settings.source,
                 u.revision, error);
  }
  state_.post(MixerEvent{state_.settings.id, 0, true, OverlayResult{u.revision, error}});
}

bool VideoWorker::pullRungs(std::string& error) {
  for (size_t r = 0; r < graph_->rungs(); ++r) {
    RungLane& lane = *state_.lanes[r];
    while (true) {
      av::FramePtr out = av::makeFrame(*api_);
      if (!out) {
        error = "filter: out of memory";
        return false;
      }
      std::string why;
      const FilterGraph::Pull got = graph_->pull(r, out.get(), why);
      if (got == FilterGraph::Pull::Failed) {
        error = "filter: " + why;
        return false;
      }
      if (got != FilterGraph::Pull::Frame) break;
      state_.filter.framesOut.fetch_add(1, std::memory_order_relaxed);
      const int64_t pts = out->pts;
      if (lane.queue.tryPush(out)) {
        lane.counters.framesIn.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      // NOTE: the rung's encoder is behind; it now skips to its next scheduled key,
      // so the frames it still gets decode (a whole GOP lost, never a broken one).
      lane.counters.dropped.fetch_add(1, std::memory_order_relaxed);
      if (state_.keys.dropUntilNextKey(r, pts)) {
        const uint64_t gaps = lane.counters.droppedGops.fetch_add(1, std::memory_order_relaxed) + 1;
        if (gaps <= 5 || gaps % 50 == 0)
          spdlog::warn(
              "caster {}: rung {} is behind (queue of {} full): it skips to its next key at "
              "{} ms ({} such gaps)",
              state_.settings.source, state_.settings.plan.rungs[r].label(), lane.queue.capacity(),
              pts, gaps);
      }
    }
  }
  return true;
}

bool VideoWorker::drain(std::string& error) {
  std::string why;
  if (decoder_->flush(why)) {
    if (!receiveFrames(error)) return false;
  }
  if (!graph_) return true;
  if (!graph_->flush(why)) {
    error = "filter: " + why;
    return false;
  }
  return pullRungs(error);
}

void VideoWorker::fail(const std::string& error) {
  state_.post(MixerEvent{state_.settings.id, 0, true, StageError{"decode", error}});
  state_.endLanes();
}

}  // namespace mixer
