// danmaku_bench: the cost of drawing danmaku on a 1080p yuv420p program frame
// (issue 18 point 10), in ns per frame, against the floor of a plain copy of the
// frame: with no message, and with `--rate` messages a second (default 40) on a
// 30 fps program clock, sprites rendered as they come in (glyph cache warm after
// the first seconds). One thread, no server; CPU time of the thread. Owner: bench; main thread.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "mixer/danmaku_renderer.hpp"  // AVFrame too (the renderer draws on one)

namespace {

constexpr int kW = 1920, kH = 1080, kFps = 30;

struct Canvas {
  std::vector<uint8_t> y, u, v;
  AVFrame frame{};
  Canvas() : y(kW * kH, 60), u(kW * kH / 4, 128), v(kW * kH / 4, 128) {
    frame.width = kW;
    frame.height = kH;
    frame.format = AV_PIX_FMT_YUV420P;
    frame.data[0] = y.data();
    frame.data[1] = u.data();
    frame.data[2] = v.data();
    frame.linesize[0] = kW;
    frame.linesize[1] = frame.linesize[2] = kW / 2;
  }
};

// NOTE: this thread's CPU time, not the wall clock: on a shared machine the wall
// clock counts the time other processes had the core.
int64_t benchNowNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

// A message like a room's: Latin, CJK and emoji-free Hangul mixed, 6..24 code points.
std::string benchText(int i) {
  static const char* parts[] = {"nice play", "弹幕", "666",      "哈哈哈哈", "한국어",
                                "かわいい",  "GG",   "前方高能", "lol",      "主播好强"};
  std::string t = "u" + std::to_string(i % 997) + ": ";
  for (int k = 0; k < 2 + i % 4; ++k) t += std::string(parts[(i * 7 + k * 3) % 10]) + " ";
  return t;
}

// ns per frame over `frames` frames of `seconds` warm-up first, with `rate` msgs/s.
double benchDraw(const std::string& font, double rate, int seconds, double& onScreen) {
  mixer::DanmakuSpec spec;
  spec.fontSize = 40;
  spec.speed = 240;
  spec.lanes = 16;
  spec.maxOnScreen = 500;
  std::string error;
  auto r = mixer::DanmakuRenderer::open(kW, kH, spec, font, error);
  if (!r) {
    std::fprintf(stderr, "danmaku_bench: %s\n", error.c_str());
    std::exit(1);
  }
  Canvas c;
  const int warm = 10 * kFps, frames = seconds * kFps;
  int64_t busy = 0;
  double sent = 0, sum = 0;
  int n = 0;
  for (int f = 0; f < warm + frames; ++f) {
    const int64_t pts = int64_t{f} * 1000 / kFps;
    const int64_t start = benchNowNs();
    for (sent += rate / kFps; sent >= 1; sent -= 1) r->add({benchText(n++), 0xFFFFFF, pts});
    r->draw(&c.frame, pts);
    if (f >= warm) {
      busy += benchNowNs() - start;
      sum += static_cast<double>(r->onScreen());
    }
  }
  onScreen = sum / frames;
  return static_cast<double>(busy) / frames;
}

double benchCopy(int frames) {
  Canvas a, b;
  std::memcpy(b.y.data(), a.y.data(), a.y.size());  // the pages mapped before timing
  int64_t busy = 0;
  for (int f = 0; f < frames; ++f) {
    const int64_t start = benchNowNs();
    std::memcpy(b.y.data(), a.y.data(), a.y.size());
    std::memcpy(b.u.data(), a.u.data(), a.u.size());
    std::memcpy(b.v.data(), a.v.data(), a.v.size());
    busy += benchNowNs() - start;
    a.y[f % a.y.size()] ^= b.y[(f * 7) % b.y.size()];  // keep the copies
  }
  return static_cast<double>(busy) / frames;
}

}  // namespace

int main(int argc, char** argv) {
  std::string font = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";
  double rate = 40;
  int seconds = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    if (k == "--font")
      font = argv[i + 1];
    else if (k == "--rate")
      rate = std::atof(argv[i + 1]);
    else if (k == "--seconds")
      seconds = std::max(1, std::atoi(argv[i + 1]));
  }
  double idle = 0, busy = 0;
  const double floor = benchCopy(seconds * kFps);
  const double none = benchDraw(font, 0, seconds, idle);
  const double loaded = benchDraw(font, rate, seconds, busy);
  const double frameNs = 1e9 / kFps;
  std::printf("danmaku on 1080p%d, %d s of program time after a 10 s warm-up\n", kFps, seconds);
  std::printf("floor: plain frame copy        %10.0f ns/frame\n", floor);
  std::printf("danmaku, no message            %10.0f ns/frame\n", none);
  std::printf(
      "danmaku, %.0f msgs/s (%.1f on screen) %10.0f ns/frame  = %.2fx the copy, %.2f%% of a core\n",
      rate, busy, loaded, loaded / floor, 100 * loaded / frameNs);
  return 0;
}
