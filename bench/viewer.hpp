// Viewer: one simulated player connection of the load client and its measurements.
// Owned by LoadRunner; loop thread only. Subclasses speak RTMP or HTTP-FLV; this base
// owns the socket, the clock and the per-viewer counters.
#pragma once

#include <climits>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "bench/load_options.hpp"
#include "core/loop/event_loop.hpp"
#include "core/loop/tcp_connection.hpp"

namespace bench {

// Monotonic wall clock in ms (uv_hrtime), not the loop's per-iteration cached time.
double clockMs();

struct ViewerStats {
  double connectStartMs = -1;   // clockMs() when the TCP connect began
  double playStartMs = -1;      // since connect start: NetStream.Play.Start / HTTP 200 head
  double firstKeyframeMs = -1;  // since connect start: first video keyframe (not a header)
  double endedAtMs = -1;        // clockMs() when the connection ended early; -1 = still up
  uint64_t bytes = 0;           // every byte read from the socket
  uint64_t bytesAtWindow = 0;   // `bytes` when the steady window began (see LoadRunner)
  uint64_t mediaMessages = 0;
  bool hasMedia = false;
  int64_t newestTs = 0;  // newest media timestamp (unwrapped ms), valid when hasMedia
  double maxLagMs = 0;   // largest lag seen by the per-second samples
  std::string error;     // why it ended early or never started
};

// A video keyframe carrying picture data (an AVC/HEVC sequence header does not count).
// `b0`, `b1`: the first two bytes of the FLV video tag body / RTMP video payload.
bool isVideoKeyframe(uint8_t b0, uint8_t b1, size_t size);

class Viewer : public core::TcpConnection::Handler {
 public:
  Viewer(core::EventLoop& loop, const LoadTarget& target, int id);
  ~Viewer() override;
  Viewer(const Viewer&) = delete;
  Viewer& operator=(const Viewer&) = delete;

  void start();  // begins the TCP connect
  void stop();   // end of the run: closes without counting as an early end
  const ViewerStats& stats() const { return stats_; }
  ViewerStats& stats() { return stats_; }
  bool connected() const { return conn_ && !conn_->closed(); }
  int id() const { return id_; }

  void onData(std::span<const uint8_t> bytes) final {
    stats_.bytes += bytes.size();
    onBytes(bytes);
  }
  void onDisconnect(std::string_view reason) override;

 protected:
  // The socket is up and reading: send the first request.
  virtual void onConnected() = 0;
  // Bytes read from the socket (already counted in stats().bytes).
  virtual void onBytes(std::span<const uint8_t> bytes) = 0;
  // Ends the connection early with a reason (protocol error, refusal).
  void fail(std::string reason);
  bool send(std::vector<uint8_t> bytes);
  void noteMedia(uint32_t timestamp, bool keyframe);
  void notePlayStart();

  core::EventLoop& loop_;
  const LoadTarget& target_;

 private:
  int id_;
  std::unique_ptr<core::TcpConnection> conn_;
  uint32_t lastRawTs_ = 0;
  int64_t currentTs_ = 0;
  bool stopped_ = false;
  ViewerStats stats_;
};

}  // namespace bench
