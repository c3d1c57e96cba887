#include "bench/load_report.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace bench {
namespace {

double percentile(const std::vector<double>& sorted, double p) {
  // NOTE: nearest rank: the smallest value with at least p% of values <= it.
  const size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * sorted.size()));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

std::string jsonDistribution(const char* name, const Distribution& d) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "\"%s\":{\"n\":%zu,\"min\":%.1f,\"p50\":%.1f,\"p95\":%.1f,\"max\":%.1f}", name,
                d.count, d.min, d.p50, d.p95, d.max);
  return buf;
}

std::string jsonEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (static_cast<unsigned char>(c) >= 0x20) out.push_back(c);
  }
  return out;
}

void printRow(std::FILE* out, const char* label, const Distribution& d, const char* unit) {
  if (d.count == 0) {
    std::fprintf(out, "  %-22s   (no samples)\n", label);
    return;
  }
  std::fprintf(out, "  %-22s %9.1f %9.1f %9.1f %9.1f  %s (n=%zu)\n", label, d.min, d.p50, d.p95,
               d.max, unit, d.count);
}

}  // namespace

Distribution distributionOf(std::vector<double>& values) {
  Distribution d;
  d.count = values.size();
  if (values.empty()) return d;
  std::sort(values.begin(), values.end());
  d.min = values.front();
  d.p50 = percentile(values, 50);
  d.p95 = percentile(values, 95);
  d.max = values.back();
  return d;
}

LoadReport LoadReport::build(const LoadOptions& options,
                             const std::vector<const ViewerStats*>& stats, double runStartMs,
                             double windowStartMs, double runEndMs, double cpuSeconds) {
  LoadReport r;
  r.options = options;
  r.runSeconds = (runEndMs - runStartMs) / 1000.0;
  r.clientCpuSeconds = cpuSeconds;
  const bool window = windowStartMs >= 0 && runEndMs - windowStartMs >= 1000;
  if (window) r.windowSeconds = (runEndMs - windowStartMs) / 1000.0;
  r.requested = static_cast<int>(stats.size());
  int64_t newest = INT64_MIN;
  for (const auto* s : stats)
    if (s->hasMedia) newest = std::max(newest, s->newestTs);
  std::vector<double> play, key, kbps, lagEnd, lagMax;
  std::map<std::string, int> errors;
  uint64_t totalBytes = 0;
  for (const auto* s : stats) {
    totalBytes += s->bytes;
    const bool early = s->endedAtMs >= 0;
    if (s->playStartMs >= 0) ++r.played, play.push_back(s->playStartMs);
    if (s->firstKeyframeMs >= 0) ++r.gotKeyframe, key.push_back(s->firstKeyframeMs);
    if (s->firstKeyframeMs < 0) ++r.neverStarted;
    if (early) ++r.disconnectedEarly;
    if (!s->error.empty()) ++errors[s->error];
    if (s->connectStartMs >= 0) {
      // A viewer that ended early counts with the bytes it got over the whole window.
      const double from = window ? windowStartMs : s->connectStartMs;
      const uint64_t bytes = window ? s->bytes - s->bytesAtWindow : s->bytes;
      const double seconds = (runEndMs - from) / 1000.0;
      if (seconds > 0) kbps.push_back(bytes * 8.0 / 1000.0 / seconds);
    }
    if (s->hasMedia && !early) {
      lagEnd.push_back(static_cast<double>(newest - s->newestTs));
      lagMax.push_back(std::max(s->maxLagMs, lagEnd.back()));
    }
  }
  r.totalMbps = r.runSeconds > 0 ? totalBytes * 8.0 / 1e6 / r.runSeconds : 0;
  r.playStartMs = distributionOf(play);
  r.firstKeyframeMs = distributionOf(key);
  r.bitrateKbps = distributionOf(kbps);
  r.lagEndMs = distributionOf(lagEnd);
  r.lagMaxMs = distributionOf(lagMax);
  for (auto& [reason, count] : errors) r.errors.emplace_back(reason, count);
  std::sort(r.errors.begin(), r.errors.end(),
            [](const auto& a, const auto& b) { return a.second > b.second; });
  return r;
}

void LoadReport::print(std::FILE* out) const {
  const bool rtmp = options.target.protocol == LoadProtocol::Rtmp;
  const double cpuPct = runSeconds > 0 ? 100.0 * clientCpuSeconds / runSeconds : 0;
  std::fprintf(out, "roomcast_load %s: %d viewers, %.1f s (ramp %.1f ms/viewer), %s reads\n",
               options.target.url.c_str(), requested, runSeconds, options.rampMs,
               readerName().c_str());
  std::fprintf(out,
               "  %s: %d/%d   first keyframe: %d/%d   never started: %d   "
               "disconnected early: %d\n",
               rtmp ? "Play.Start" : "HTTP 200", played, requested, gotKeyframe, requested,
               neverStarted, disconnectedEarly);
  std::fprintf(out, "  received: %.1f Mbit/s in total   client CPU: %.2f s (%.0f%% of one core)\n",
               totalMbps, clientCpuSeconds, cpuPct);
  std::fprintf(out, "  %-22s %9s %9s %9s %9s\n", "", "min", "median", "p95", "max");
  printRow(out, rtmp ? "Play.Start" : "HTTP 200 head", playStartMs, "ms");
  printRow(out, "first keyframe", firstKeyframeMs, "ms");
  printRow(out, "bitrate", bitrateKbps, "kbit/s");
  if (windowSeconds > 0)
    std::fprintf(out, "  %-22s (bitrate over the last %.1f s, after the ramp + 2 s)\n", "",
                 windowSeconds);
  printRow(out, "lag at end", lagEndMs, "ms");
  printRow(out, "lag, worst 1 s sample", lagMaxMs, "ms");
  for (size_t i = 0; i < errors.size() && i < 5; ++i)
    std::fprintf(out, "  error x%d: %s\n", errors[i].second, errors[i].first.c_str());
  if (cpuPct > 90)
    std::fprintf(out,
                 "  WARNING: the load client used %.0f%% of a core: it may be the "
                 "bottleneck, not the server\n",
                 cpuPct);
}

std::string LoadReport::readerName() const {
  if (options.reader == ReaderMode::Eager) return "eager";
  return "batched(" + std::to_string(options.lowWater) + ")";
}

std::string LoadReport::json() const {
  char head[512];
  std::snprintf(head, sizeof head,
                "{\"url\":\"%s\",\"protocol\":\"%s\",\"viewers\":%d,\"duration_s\":%.2f,"
                "\"played\":%d,\"got_keyframe\":%d,\"never_started\":%d,"
                "\"disconnected_early\":%d,\"total_mbps\":%.2f,\"client_cpu_s\":%.3f,"
                "\"bitrate_window_s\":%.2f,\"reader\":\"%s\",",
                jsonEscape(options.target.url).c_str(),
                options.target.protocol == LoadProtocol::Rtmp ? "rtmp" : "http-flv", requested,
                runSeconds, played, gotKeyframe, neverStarted, disconnectedEarly, totalMbps,
                clientCpuSeconds, windowSeconds, readerName().c_str());
  std::string s = head;
  s += jsonDistribution("play_start_ms", playStartMs) + ",";
  s += jsonDistribution("first_keyframe_ms", firstKeyframeMs) + ",";
  s += jsonDistribution("bitrate_kbps", bitrateKbps) + ",";
  s += jsonDistribution("lag_end_ms", lagEndMs) + ",";
  s += jsonDistribution("lag_max_ms", lagMaxMs) + ",\"errors\":[";
  for (size_t i = 0; i < errors.size() && i < 5; ++i) {
    if (i) s += ",";
    s += "{\"reason\":\"" + jsonEscape(errors[i].first) +
         "\",\"viewers\":" + std::to_string(errors[i].second) + "}";
  }
  return s + "]}";
}

}  // namespace bench
