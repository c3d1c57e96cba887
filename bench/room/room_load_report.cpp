#include "bench/room/room_load_report.hpp"

#include <algorithm>
#include <cmath>

namespace bench {
namespace {

double nearestRank(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * sorted.size()));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

std::string jsonEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (static_cast<unsigned char>(c) >= 0x20) out.push_back(c);
  }
  return out;
}

}  // namespace

RoomLoadReport RoomLoadReport::build(const RoomLoadOptions& options, RoomLoadStats& stats,
                                     double rampSeconds, double windowSeconds, int membersAtEnd,
                                     double clientCpuWindow, double clientCpuTotal) {
  RoomLoadReport r;
  r.options = options;
  r.connections = options.connections();
  r.joined = stats.joined;
  r.failed = stats.failed;
  r.dropped = stats.dropped;
  r.rampSeconds = rampSeconds;
  std::sort(stats.joinMs.begin(), stats.joinMs.end());
  r.joinP50Ms = nearestRank(stats.joinMs, 50);
  r.joinP99Ms = nearestRank(stats.joinMs, 99);
  r.joinMaxMs = stats.joinMs.empty() ? 0 : stats.joinMs.back();
  r.windowSeconds = windowSeconds;
  r.deliveries = stats.deliveries;
  r.deliveriesPerSec = windowSeconds > 0 ? stats.deliveries / windowSeconds : 0;
  r.sent = stats.sent;
  r.sentInWindow = stats.sentInWindow;
  r.acked = stats.acked;
  r.ackErrors = stats.ackErrors;
  r.malformed = stats.malformedMessages;
  r.deliveriesPerMessage =
      stats.sentInWindow ? static_cast<double>(stats.deliveries) / stats.sentInWindow : 0;
  r.membersAtEnd = membersAtEnd;
  const auto& h = stats.latency;
  const double ps[5] = {50, 90, 99, 99.9, 100};
  for (int i = 0; i < 5; ++i) r.latencyMs[i] = h.percentile(ps[i]) / 1000.0;
  r.latencyMs[5] = h.mean() / 1000.0;
  r.loopLagMs[0] = stats.loopLag.percentile(50) / 1000.0;
  r.loopLagMs[1] = stats.loopLag.percentile(99) / 1000.0;
  r.loopLagMs[2] = stats.loopLag.max() / 1000.0;
  r.clientCpuWindow = clientCpuWindow;
  r.clientCpuTotal = clientCpuTotal;
  for (auto& [reason, count] : stats.errors) r.errors.emplace_back(reason, count);
  std::sort(r.errors.begin(), r.errors.end(),
            [](const auto& a, const auto& b) { return a.second > b.second; });
  return r;
}

void RoomLoadReport::print(std::FILE* out) const {
  const auto& o = options;
  const double cpuPct = windowSeconds > 0 ? 100.0 * clientCpuWindow / windowSeconds : 0;
  std::fprintf(out,
               "roomcast-room-load ws://%s:%u%s: %d room(s) x (%d members + %d senders), "
               "%g msg/s per room\n",
               o.host.c_str(), o.port, o.path.c_str(), o.rooms, o.members, o.senders, o.rate);
  std::fprintf(out,
               "  connections: %d requested, %d joined, %d failed, %d dropped later; ramp %.1f s"
               " (join p50 %.0f ms, p99 %.0f ms, max %.0f ms)\n",
               connections, joined, failed, dropped, rampSeconds, joinP50Ms, joinP99Ms, joinMaxMs);
  std::fprintf(out,
               "  window: %.1f s after a %.1f s warm-up; messages sent %llu in the window (%llu in "
               "all), acked ok %llu, refused %llu\n",
               windowSeconds, o.warmupSec, static_cast<unsigned long long>(sentInWindow),
               static_cast<unsigned long long>(sent), static_cast<unsigned long long>(acked),
               static_cast<unsigned long long>(ackErrors));
  std::fprintf(out,
               "  deliveries: %llu in the window = %.0f /s; %.1f per message sent "
               "(members connected at the end: %d)\n",
               static_cast<unsigned long long>(deliveries), deliveriesPerSec, deliveriesPerMessage,
               membersAtEnd);
  std::fprintf(out,
               "  latency ms (send -> receive): p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  "
               "max %.2f  mean %.2f\n",
               latencyMs[0], latencyMs[1], latencyMs[2], latencyMs[3], latencyMs[4], latencyMs[5]);
  std::fprintf(out, "  client CPU: %.2f s in the window (%.0f%% of one core), %.2f s in all\n",
               clientCpuWindow, cpuPct, clientCpuTotal);
  std::fprintf(out,
               "  client loop busy (lateness of its 2 ms tick): p50 %.2f  p99 %.2f  max %.2f ms\n",
               loopLagMs[0], loopLagMs[1], loopLagMs[2]);
  if (malformed)
    std::fprintf(out, "  %llu message(s) with the marker but no timestamp\n",
                 static_cast<unsigned long long>(malformed));
  for (size_t i = 0; i < errors.size() && i < 6; ++i)
    std::fprintf(out, "  error x%d: %s\n", errors[i].second, errors[i].first.c_str());
  if (cpuPct > 90)
    std::fprintf(out,
                 "  WARNING: the load client used %.0f%% of a core: it may be the bottleneck,"
                 " and its latency includes its own queueing\n",
                 cpuPct);
}

std::string RoomLoadReport::json() const {
  char buf[1536];
  std::snprintf(buf, sizeof buf,
                "{\"rooms\":%d,\"members\":%d,\"senders\":%d,\"rate\":%g,\"connections\":%d,"
                "\"joined\":%d,\"failed\":%d,\"dropped\":%d,\"ramp_s\":%.2f,\"join_p50_ms\":%.1f,"
                "\"join_p99_ms\":%.1f,\"window_s\":%.3f,\"warmup_s\":%.1f,\"deliveries\":%llu,"
                "\"deliveries_per_s\":%.1f,\"sent\":%llu,\"sent_in_window\":%llu,\"acked\":%llu,"
                "\"ack_errors\":%llu,\"deliveries_per_message\":%.2f,\"members_at_end\":%d,"
                "\"latency_ms\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f,"
                "\"mean\":%.3f},\"client_loop_lag_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f},"
                "\"client_cpu_window_s\":%.3f,\"client_cpu_total_s\":%.3f,\"errors\":[",
                options.rooms, options.members, options.senders, options.rate, connections, joined,
                failed, dropped, rampSeconds, joinP50Ms, joinP99Ms, windowSeconds,
                options.warmupSec, static_cast<unsigned long long>(deliveries), deliveriesPerSec,
                static_cast<unsigned long long>(sent),
                static_cast<unsigned long long>(sentInWindow),
                static_cast<unsigned long long>(acked), static_cast<unsigned long long>(ackErrors),
                deliveriesPerMessage, membersAtEnd, latencyMs[0], latencyMs[1], latencyMs[2],
                latencyMs[3], latencyMs[4], latencyMs[5], loopLagMs[0], loopLagMs[1], loopLagMs[2],
                clientCpuWindow, clientCpuTotal);
  std::string s = buf;
  for (size_t i = 0; i < errors.size() && i < 6; ++i) {
    if (i) s += ",";
    s += "{\"reason\":\"" + jsonEscape(errors[i].first) +
         "\",\"count\":" + std::to_string(errors[i].second) + "}";
  }
  return s + "]}";
}

}  // namespace bench
