// roomcast-room-load: the chat room load client of bench/. R rooms x M WebSocket
// members on one libuv loop, senders at a message rate; prints a summary and a
// `RESULT {json}` line. Main thread.
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <ctime>
#include <exception>

#include "bench/room/room_load_options.hpp"
#include "bench/room/room_load_runner.hpp"
#include "bench/room/room_load_self_test.hpp"
#include "core/auth/user_sig.hpp"
#include "core/loop/event_loop.hpp"

namespace {

// NOTE: every member is a socket: raise the soft limit to what is needed, up to the
// hard limit (root may raise the hard limit too), and refuse to start otherwise
// rather than fail thousands of connects with EMFILE.
bool raiseFileLimit(int connections, std::string& error) {
  const rlim_t want = static_cast<rlim_t>(connections) + 64;
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return true;
  if (lim.rlim_cur >= want) return true;
  if (lim.rlim_max < want) {
    rlimit raised{want, want};
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) return true;
  }
  lim.rlim_cur = std::min(want, lim.rlim_max);
  setrlimit(RLIMIT_NOFILE, &lim);
  getrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur >= want) return true;
  error = "RLIMIT_NOFILE is " + std::to_string(lim.rlim_cur) + " (hard " +
          std::to_string(lim.rlim_max) + ") but " + std::to_string(connections) +
          " connections need " + std::to_string(want) + ": raise it (ulimit -Hn / -n)";
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  std::string error;
  auto options = bench::parseRoomLoadOptions(argc, argv, error);
  if (!options) {
    if (!error.empty()) std::fprintf(stderr, "roomcast-room-load: %s\n", error.c_str());
    std::fputs(bench::kRoomLoadUsage, error.empty() ? stdout : stderr);
    return error.empty() ? 0 : 2;
  }
  if (options->selfTest) return bench::runRoomLoadSelfTest();
  if (!options->printUserSig.empty()) {
    std::printf("%s\n", core::generateUserSig(options->appId, options->key, options->printUserSig,
                                              86400, std::time(nullptr))
                            .c_str());
    return 0;
  }
  std::signal(SIGPIPE, SIG_IGN);
  if (!raiseFileLimit(options->connections(), error)) {
    std::fprintf(stderr, "roomcast-room-load: %s\n", error.c_str());
    return 1;
  }
  try {
    core::EventLoop loop;
    bench::RoomLoadReport report;
    {
      bench::RoomLoadRunner runner(loop, *options);
      report = runner.run();
    }
    report.print(stdout);
    std::printf("RESULT %s\n", report.json().c_str());
    std::fflush(stdout);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "roomcast-room-load: %s\n", e.what());
    return 1;
  }
  return 0;
}
