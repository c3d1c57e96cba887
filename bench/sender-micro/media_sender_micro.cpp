// media_sender_micro: times the batched hand-out of one window to many viewers
// (MediaSender::inStep, then sendWhole), the per-viewer hot path of the fan-out.
// Each viewer's TcpConnection writes to its own dup of /dev/null (a real writev,
// no network). Standalone; built and compared old-vs-new by ./run (see there).
#include <fcntl.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "core/loop/event_loop.hpp"
#include "core/loop/tcp_connection.hpp"
#include "core/loop/write_coalescer.hpp"
#include "core/media/media_sender.hpp"

using namespace core;
using Clock = std::chrono::steady_clock;

namespace {

MediaPacket packet(MediaKind kind, int64_t dts, size_t size, bool key = false) {
  MediaPacket p;
  p.kind = kind;
  p.codec = kind == MediaKind::Video ? Codec::H264 : Codec::AAC;
  p.dts = p.pts = dts;
  p.keyframe = key;
  p.payload = SharedBuffer::adopt(std::vector<uint8_t>(size, 0x42));
  return p;
}

const SharedBuffer& form(const MediaPacket& p) {
  return p.wireForm(WireFormat::FlvTag,
                    [](const MediaPacket& q) { return SharedBuffer::copyOf(q.payload.span()); });
}

struct Viewer {
  std::unique_ptr<TcpConnection> conn;
  std::unique_ptr<MediaSender> sender;
  std::vector<char> session;  // stands for the rest of a session, between viewers in memory
};

}  // namespace

int main(int argc, char** argv) {
  const int viewers = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int windows = argc > 2 ? std::atoi(argv[2]) : 1000;
  // 0: no inStep-only pass (one inStep and one sendWhole per viewer, as in the server).
  const bool stepPass = argc > 3 ? std::atoi(argv[3]) != 0 : true;
  EventLoop loop;
  WriteCoalescer coalescer(loop, 30);
  const int devnull = open("/dev/null", O_WRONLY);
  std::vector<Viewer> all(static_cast<size_t>(viewers));
  size_t overflows = 0;
  for (auto& v : all) {
    auto* handle = new uv_tcp_t;
    uv_tcp_init(loop.uv(), handle);
    if (uv_tcp_open(handle, dup(devnull)) != 0) return 2;
    v.conn = std::make_unique<TcpConnection>(loop, handle);
    v.sender = std::make_unique<MediaSender>(*v.conn, coalescer, SendQueue::Limits{}, form,
                                             [&](const std::string&) { ++overflows; });
#ifdef OLD_API
    v.sender->holdRoomEvents = true;
#else
    v.sender->holdRoomEvents(true);
#endif
    v.session.resize(1500 + static_cast<size_t>(rand() % 1000));
    // Past the room events' hold-off, as every viewer after its first 2 s.
    v.sender->send(packet(MediaKind::Video, 0, 100, true));
    v.sender->send(packet(MediaKind::Video, 2000, 100, true));
    v.sender->flush();
  }
  // One window (30 ms): a video frame and two audio frames; bytes built once.
  double stepNs = 0, wholeNs = 0;
  size_t notInStep = 0;
  int64_t dts = 2100;
  for (int w = 0; w < windows; ++w, dts += 30) {
    PacketBatch batch;
    batch.add(packet(MediaKind::Video, dts, 4000, w % 60 == 0), 3 * w);
    batch.add(packet(MediaKind::Audio, dts + 5, 300), 3 * w + 1);
    batch.add(packet(MediaKind::Audio, dts + 26, 300), 3 * w + 2);
    const SharedBuffer& bytes =
        batch.wireForm(PacketBatch::formIndex(WireFormat::FlvTag, false),
                       [](std::vector<uint8_t>& out, const MediaPacket& p) {
                         out.insert(out.end(), form(p).data(), form(p).data() + form(p).size());
                       });
    // inStep alone over every viewer (read-only), then the real hand-out.
    auto t0 = Clock::now();
    size_t in = 0;
    if (stepPass)
      for (auto& v : all) in += v.sender->inStep(batch);
    else
      in = all.size();
    auto t1 = Clock::now();
    for (auto& v : all) {
      if (v.sender->inStep(batch))
        v.sender->sendWhole(batch, bytes);
      else
        ++notInStep;
    }
    auto t2 = Clock::now();
    if (in != all.size()) ++notInStep;
    stepNs += std::chrono::duration<double, std::nano>(t1 - t0).count();
    wholeNs += std::chrono::duration<double, std::nano>(t2 - t1).count();
  }
  const double n = static_cast<double>(viewers) * windows;
  std::printf(
      "%d viewers x %d windows: inStep %.1f ns/viewer-window, inStep+sendWhole %.1f "
      "ns/viewer-window (not in step: %zu, overflows: %zu)\n",
      viewers, windows, stepNs / n, wholeNs / n, notInStep, overflows);
  all.clear();
  uv_run(loop.uv(), UV_RUN_NOWAIT);  // the handles' close callbacks
  return notInStep == 0 && overflows == 0 ? 0 : 1;
}
