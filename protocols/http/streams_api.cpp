#include "protocols/http/streams_api.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/format/json_text.hpp"

namespace http {
namespace {

using nlohmann::json;

double round2(double v) {
  return std::round(v * 100) / 100;
}

json event(const std::optional<core::StreamHealth::Event>& e, const char* length) {
  if (!e) return nullptr;
  return {{"at_ms", e->atUnixMs}, {length, e->ms}};
}

// "health" (M5): measured at the hub's input; times are Unix ms.
json health(const core::Stream& s) {
  const auto r = s.health().report(s.hasPublisher());
  json keyframes = {{"last", nullptr}, {"mean", nullptr}};
  if (r.keyframeIntervalLastMs) keyframes["last"] = *r.keyframeIntervalLastMs;
  if (r.keyframeIntervalMeanMs) keyframes["mean"] = round2(*r.keyframeIntervalMeanMs);
  return {{"fps_1s", round2(r.fps1s)},
          {"fps_10s", round2(r.fps10s)},
          {"bitrate_kbps_1s", r.bitsPerSecond1s / 1000},
          {"bitrate_kbps_10s", r.bitsPerSecond10s / 1000},
          {"gaps", r.gaps},
          {"last_gap", event(r.lastGap, "size_ms")},
          {"stalls", r.stalls},
          {"last_stall", event(r.lastStall, "duration_ms")},
          {"stalled_for_ms", r.stalledForMs},
          {"keyframe_interval_ms", keyframes}};
}

json describe(const core::StreamRegistry& registry, const core::Stream& s,
              const std::vector<std::string>& protocols, const ViewerCounter& extra) {
  const auto& info = s.info();
  json renditions = json::array();  // of a source: the mixer's ladder, tallest first
  if (!s.derived())
    for (const core::Stream* r : registry.group(s.key()))
      if (r != &s) renditions.push_back(r->key());
  json video = nullptr, audio = nullptr;
  if (!info.videoCodec.empty())
    video = {{"codec", info.videoCodec},
             {"profile", info.videoProfile},
             {"width", info.width},
             {"height", info.height},
             {"fps", round2(info.fps)}};
  if (!info.audioCodec.empty())
    audio = {{"codec", info.audioCodec},
             {"profile", info.audioProfile},
             {"sample_rate", info.sampleRate},
             {"channels", info.channels}};
  if (!info.audioVariant.empty()) {
    // The same audio in a second codec, made by the mixer for the protocols that
    // cannot carry the publisher's (Opus for WHEP, AAC for RTMP/FLV/HLS/recording).
    if (audio.is_null()) audio = json::object();
    audio["variant"] = {{"codec", info.audioVariant}, {"made_by", "mixer"}};
  }
  json viewers = json::object();
  for (const auto& p : protocols) viewers[p] = 0;
  int total = 0;
  auto counts = s.viewersByProtocol();
  if (extra)
    for (const auto& [protocol, n] : extra(s)) counts[protocol] += n;
  for (const auto& [protocol, n] : counts) {
    viewers[protocol] = n;
    total += n;
  }
  return {{"key", s.key()},
          {"app", s.app()},
          {"name", s.name()},
          {"live", s.hasPublisher()},
          {"publisher", s.hasPublisher() ? json(s.publisherPeer()) : json(nullptr)},
          {"video", video},
          {"audio", audio},
          {"codecs", info.codecs.empty() ? json(nullptr) : json(info.codecs)},
          {"bitrate_in_kbps", s.bitrateInBps() / 1000},
          {"bitrate_out_kbps", s.bitrateOutBps() / 1000},
          {"viewers", viewers},
          {"viewers_total", total},
          {"uptime_s", s.uptimeMs() / 1000},
          {"origin", core::toString(s.origin())},
          {"group", s.groupKey()},
          {"label", s.label()},
          {"renditions", renditions},
          {"keyframe_requests",
           {{"received", s.keyframeRequests().received},
            {"forwarded", s.keyframeRequests().forwarded}}},
          {"health", health(s)}};
}

}  // namespace

void registerStreamsApi(HttpServer& server, const core::StreamRegistry& registry,
                        std::vector<std::string> protocols, ViewerCounter extraViewers) {
  server.routePrefix(
      "GET", "/api/v1/streams",
      [&registry, protocols, extraViewers](const HttpRequest& req, HttpExchange&) {
        if (req.path == "/api/v1/streams" || req.path == "/api/v1/streams/") {
          json list = json::array();
          for (const core::Stream* s : registry.streams())
            list.push_back(describe(registry, *s, protocols, extraViewers));
          return HttpResponse::json(200, core::dumpJson(json{{"streams", list}}) + "\n");
        }
        const std::string key = req.path.substr(std::string("/api/v1/streams/").size());
        const core::Stream* s = registry.find(key);
        if (!s) return HttpResponse::error(404, "stream not found: " + key);
        return HttpResponse::json(
            200, core::dumpJson(describe(registry, *s, protocols, extraViewers)) + "\n");
      });
}

}  // namespace http
