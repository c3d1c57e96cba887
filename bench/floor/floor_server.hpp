// FloorServer: the fan-out floor. A minimal RTMP server on raw epoll that replays
// one FLV file as a live stream and writes each batch of messages to every player
// with one write() per socket: the cheapest way to send the bytes roomcast sends,
// with roomcast's batching (a batch closes `mergeMs` after its first message is
// due). A publisher is accepted and its bytes read and thrown away, so a run with
// the same pusher as the servers loads the machine alike. Owned by main(); one
// thread.
#pragma once

#include <csignal>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench/floor/flv_replay.hpp"
#include "protocols/rtmp/chunk_reader.hpp"
#include "protocols/rtmp/handshake.hpp"

namespace bench {

struct FloorOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  int mergeMs = 30;  // roomcast's viewer.merge_write_ms; 0 = one write per message
  uint32_t chunkSize = 4096;
};

struct FloorStats {
  uint64_t batches = 0;      // batches written (to every player)
  uint64_t writes = 0;       // write()/writev() calls on player sockets
  uint64_t bytes = 0;        // bytes the kernel took
  uint64_t shortWrites = 0;  // writes the kernel took only part of (or none)
  uint64_t playersMax = 0;
  uint64_t dropped = 0;      // players closed for a backlog over the limit
  uint64_t ingestBytes = 0;  // bytes read from publishers and discarded
};

class FloorServer {
 public:
  FloorServer(FloorOptions options, const FlvReplay& replay);
  ~FloorServer();
  FloorServer(const FloorServer&) = delete;
  FloorServer& operator=(const FloorServer&) = delete;

  uint16_t port() const { return port_; }
  // Runs until `stop` becomes non-zero (set by a signal handler).
  void run(const volatile std::sig_atomic_t& stop);
  const FloorStats& stats() const { return stats_; }

 private:
  struct Conn {
    int fd = -1;
    rtmp::ServerHandshake handshake;
    rtmp::ChunkReader reader;
    bool handshakeDone = false;
    bool playing = false;
    bool publishing = false;  // its bytes are read and discarded
    bool waitKeyframe = true;
    std::vector<uint8_t> backlog;  // bytes the kernel did not take yet
  };

  void acceptAll();
  void onReadable(Conn& c);
  bool onChunks(Conn& c, std::span<const uint8_t> bytes);
  bool onCommand(Conn& c, std::span<const uint8_t> amf);
  bool startPlaying(Conn& c);
  // Writes `bytes` after the connection's backlog; false if the player must go.
  bool send(Conn& c, std::span<const uint8_t> bytes);
  void closeConn(int fd);
  // Appends every message due by `nowMs` to the batch; opens the merge window.
  void collectDue(uint64_t nowMs);
  void writeBatch();
  uint64_t dueAtMs(uint64_t index) const;

  FloorOptions options_;
  const FlvReplay& replay_;
  int epoll_ = -1;
  int listen_ = -1;
  uint16_t port_ = 0;
  std::unordered_map<int, std::unique_ptr<Conn>> conns_;
  uint64_t startMs_ = 0;
  uint64_t next_ = 0;  // next media tag of the replay
  uint64_t players_ = 0;
  std::vector<uint8_t> batch_;
  size_t batchKeyAt_ = SIZE_MAX;  // offset of the batch's first video keyframe
  bool windowOpen_ = false;
  uint64_t flushAtMs_ = 0;
  FloorStats stats_;
};

}  // namespace bench
