// fanout_floor: the floor of bench/run-bench. Replays an FLV file as a live RTMP
// stream to every player with one write() per batch per socket (see FloorServer);
// prints `FLOOR {json}` (write counts and sizes) when stopped with SIGTERM/SIGINT.
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "bench/floor/floor_server.hpp"

namespace {

volatile std::sig_atomic_t gStop = 0;

void onSignal(int) {
  gStop = 1;
}

const char* const kUsage =
    "usage: fanout_floor --source FILE.flv --port PORT [--host 127.0.0.1]\n"
    "                    [--merge-ms 30] [--chunk-size 4096]\n"
    "Plays FILE.flv, looped and paced like ffmpeg -re, as rtmp://HOST:PORT/<any app>/<any\n"
    "name> to every player, each batch in one write() per socket. A publisher may\n"
    "push to it: its bytes are read and thrown away.\n";

bool parseInt(const char* text, long lo, long hi, long& out) {
  char* end = nullptr;
  out = std::strtol(text, &end, 10);
  return end && *end == '\0' && end != text && out >= lo && out <= hi;
}

}  // namespace

int main(int argc, char** argv) {
  bench::FloorOptions options;
  std::string source;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    long n = 0;
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    bool ok = value != nullptr;
    if (arg == "--source" && ok) {
      source = value;
    } else if (arg == "--host" && ok) {
      options.host = value;
    } else if (arg == "--port" && ok && (ok = parseInt(value, 0, 65535, n))) {
      options.port = static_cast<uint16_t>(n);
    } else if (arg == "--merge-ms" && ok && (ok = parseInt(value, 0, 1000, n))) {
      options.mergeMs = static_cast<int>(n);
    } else if (arg == "--chunk-size" && ok && (ok = parseInt(value, 128, 65536, n))) {
      options.chunkSize = static_cast<uint32_t>(n);
    } else {
      std::fprintf(stderr, "fanout_floor: bad option %s\n%s", arg.c_str(), kUsage);
      return 2;
    }
    ++i;
  }
  if (source.empty()) {
    std::fprintf(stderr, "fanout_floor: --source is required\n%s", kUsage);
    return 2;
  }
  std::string error;
  auto replay = bench::FlvReplay::load(source, error);
  if (!replay) {
    std::fprintf(stderr, "fanout_floor: %s\n", error.c_str());
    return 1;
  }
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  std::signal(SIGPIPE, SIG_IGN);
  struct sigaction sa {};
  sa.sa_handler = onSignal;  // no SA_RESTART: epoll_wait returns EINTR
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  try {
    bench::FloorServer server(options, *replay);
    std::printf("LISTENING %s:%u (%zu media tags, %llu ms a loop, merge %d ms)\n",
                options.host.c_str(), server.port(), replay->mediaTags(),
                static_cast<unsigned long long>(replay->durationMs()), options.mergeMs);
    std::fflush(stdout);
    server.run(gStop);
    const auto& s = server.stats();
    std::printf(
        "FLOOR {\"batches\":%llu,\"writes\":%llu,\"bytes\":%llu,\"short_writes\":%llu,"
        "\"players_max\":%llu,\"dropped\":%llu,\"mean_write\":%.0f,\"ingest_bytes\":%llu}\n",
        static_cast<unsigned long long>(s.batches), static_cast<unsigned long long>(s.writes),
        static_cast<unsigned long long>(s.bytes), static_cast<unsigned long long>(s.shortWrites),
        static_cast<unsigned long long>(s.playersMax), static_cast<unsigned long long>(s.dropped),
        s.writes ? static_cast<double>(s.bytes) / static_cast<double>(s.writes) : 0.0,
        static_cast<unsigned long long>(s.ingestBytes));
    std::fflush(stdout);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fanout_floor: %s\n", e.what());
    return 1;
  }
  return 0;
}
