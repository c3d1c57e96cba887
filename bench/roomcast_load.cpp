// roomcast_load: the load client of bench/ (issue point 9). N simulated RTMP or
// HTTP-FLV viewers on one libuv loop; prints a summary and a `RESULT {json}` line.
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <exception>

#include "bench/load_options.hpp"
#include "bench/load_runner.hpp"
#include "core/loop/event_loop.hpp"

namespace {

void raiseFileLimit(int viewers) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  const rlim_t want = static_cast<rlim_t>(viewers) + 64;
  if (lim.rlim_cur >= want) return;
  lim.rlim_cur = std::min(want, lim.rlim_max);
  setrlimit(RLIMIT_NOFILE, &lim);
}

}  // namespace

int main(int argc, char** argv) {
  std::string error;
  auto options = bench::parseLoadOptions(argc, argv, error);
  if (!options) {
    if (!error.empty()) std::fprintf(stderr, "roomcast_load: %s\n", error.c_str());
    std::fputs(bench::kLoadUsage, error.empty() ? stdout : stderr);
    return error.empty() ? 0 : 2;
  }
  std::signal(SIGPIPE, SIG_IGN);
  raiseFileLimit(options->viewers);
  try {
    core::EventLoop loop;
    bench::LoadReport report;
    {
      bench::LoadRunner runner(loop, *options);
      report = runner.run();
    }
    report.print(stdout);
    std::printf("RESULT %s\n", report.json().c_str());
    std::fflush(stdout);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "roomcast_load: %s\n", e.what());
    return 1;
  }
  return 0;
}
