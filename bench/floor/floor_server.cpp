#include "bench/floor/floor_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include "core/format/amf0.hpp"
#include "core/format/flv_tag.hpp"
#include "protocols/rtmp/chunk_writer.hpp"
#include "protocols/rtmp/rtmp_commands.hpp"
#include "protocols/rtmp/rtmp_message.hpp"

namespace bench {
namespace {

using core::Amf0Value;
namespace msg = rtmp::msg;

constexpr uint32_t kWindowAckSize = 2500000;
constexpr size_t kMaxBacklog = 16 * 1024 * 1024;  // roomcast's viewer byte limit
constexpr int kMaxEvents = 256;

uint64_t monoMs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

uint32_t csidOf(uint8_t type) {
  return type == core::kFlvTagVideo   ? rtmp::kVideoCsid
         : type == core::kFlvTagAudio ? rtmp::kAudioCsid
                                      : rtmp::kDataCsid;
}

std::array<uint8_t, 64 * 1024> gReadBuffer;

}  // namespace

FloorServer::FloorServer(FloorOptions options, const FlvReplay& replay)
    : options_(std::move(options)), replay_(replay) {
  listen_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listen_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(options_.port);
  if (listen_ < 0 || ::inet_pton(AF_INET, options_.host.c_str(), &addr.sin_addr) != 1 ||
      ::bind(listen_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_, 4096) != 0)
    throw std::runtime_error("cannot listen on " + options_.host + ":" +
                             std::to_string(options_.port) + ": " + std::strerror(errno));
  socklen_t len = sizeof addr;
  ::getsockname(listen_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listen_;
  ::epoll_ctl(epoll_, EPOLL_CTL_ADD, listen_, &ev);
}

FloorServer::~FloorServer() {
  for (auto& [fd, conn] : conns_) ::close(fd);
  ::close(epoll_);
  ::close(listen_);
}

uint64_t FloorServer::dueAtMs(uint64_t index) const {
  return startMs_ + replay_.timestampMs(index);
}

void FloorServer::run(const volatile std::sig_atomic_t& stop) {
  startMs_ = monoMs();
  std::array<epoll_event, kMaxEvents> events{};
  while (!stop) {
    const uint64_t now = monoMs();
    collectDue(now);
    if (windowOpen_ && now >= flushAtMs_) {
      writeBatch();
      continue;
    }
    uint64_t wake = dueAtMs(next_);
    if (windowOpen_) wake = std::min(wake, flushAtMs_);
    const int timeout = wake > now ? static_cast<int>(wake - now) : 0;
    const int n = ::epoll_wait(epoll_, events.data(), kMaxEvents, timeout);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == listen_) {
        acceptAll();
        continue;
      }
      auto it = conns_.find(fd);
      if (it != conns_.end()) onReadable(*it->second);
    }
  }
}

void FloorServer::collectDue(uint64_t nowMs) {
  while (dueAtMs(next_) <= nowMs) {
    const ReplayTag& tag = replay_.tag(next_);
    if (tag.keyframe && batchKeyAt_ == SIZE_MAX) batchKeyAt_ = batch_.size();
    rtmp::appendMessage(batch_, csidOf(tag.type), tag.type,
                        static_cast<uint32_t>(replay_.timestampMs(next_)), rtmp::kMediaStreamId,
                        tag.body, options_.chunkSize);
    // NOTE: like roomcast's WriteCoalescer, the window opens when the first
    // message arrives and every message arriving within it joins the batch.
    if (!windowOpen_) {
      windowOpen_ = true;
      flushAtMs_ = nowMs + static_cast<uint64_t>(options_.mergeMs);
    }
    ++next_;
  }
}

void FloorServer::writeBatch() {
  std::vector<int> gone;
  for (auto& [fd, c] : conns_) {
    if (!c->playing) continue;
    std::span<const uint8_t> data(batch_);
    if (c->waitKeyframe) {
      if (batchKeyAt_ == SIZE_MAX) continue;
      data = data.subspan(batchKeyAt_);
      c->waitKeyframe = false;
    }
    if (!send(*c, data)) gone.push_back(fd);
  }
  for (int fd : gone) closeConn(fd);
  ++stats_.batches;
  batch_.clear();
  batchKeyAt_ = SIZE_MAX;
  windowOpen_ = false;
}

bool FloorServer::send(Conn& c, std::span<const uint8_t> bytes) {
  if (!c.backlog.empty()) {
    c.backlog.insert(c.backlog.end(), bytes.begin(), bytes.end());
    bytes = c.backlog;
  }
  if (bytes.empty()) return true;
  const ssize_t n = ::write(c.fd, bytes.data(), bytes.size());
  ++stats_.writes;
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return false;
  const size_t taken = n > 0 ? static_cast<size_t>(n) : 0;
  stats_.bytes += taken;
  if (taken == bytes.size()) {
    c.backlog.clear();
    return true;
  }
  ++stats_.shortWrites;
  if (c.backlog.empty()) {
    c.backlog.assign(bytes.begin() + static_cast<ptrdiff_t>(taken), bytes.end());
  } else {
    c.backlog.erase(c.backlog.begin(), c.backlog.begin() + static_cast<ptrdiff_t>(taken));
  }
  if (c.backlog.size() <= kMaxBacklog) return true;
  ++stats_.dropped;
  return false;
}

void FloorServer::acceptAll() {
  for (;;) {
    const int fd = ::accept4(listen_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // as roomcast does
    auto conn = std::make_unique<Conn>();
    conn->fd = fd;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
    conns_[fd] = std::move(conn);
  }
}

void FloorServer::closeConn(int fd) {
  if (auto it = conns_.find(fd); it != conns_.end() && it->second->playing) --players_;
  ::epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
  ::close(fd);
  conns_.erase(fd);
}

void FloorServer::onReadable(Conn& c) {
  const ssize_t n = ::recv(c.fd, gReadBuffer.data(), gReadBuffer.size(), 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
  if (n <= 0) {
    closeConn(c.fd);
    return;
  }
  std::span<const uint8_t> bytes(gReadBuffer.data(), static_cast<size_t>(n));
  if (c.publishing) {
    stats_.ingestBytes += bytes.size();
    return;
  }
  bool ok = true;
  if (!c.handshakeDone) {
    const auto result = c.handshake.feed(bytes);
    const auto out = c.handshake.takeOutput();
    ok = result.status != rtmp::HandshakeStatus::Error && send(c, out);
    if (ok && result.status == rtmp::HandshakeStatus::Done) {
      c.handshakeDone = true;
      const auto leftover = c.handshake.takeLeftover();
      ok = onChunks(c, leftover);
    }
  } else {
    ok = onChunks(c, bytes);
  }
  if (!ok) closeConn(c.fd);
}

bool FloorServer::onChunks(Conn& c, std::span<const uint8_t> bytes) {
  std::vector<rtmp::RtmpMessage> messages;
  if (!c.reader.feed(bytes, messages)) return false;
  for (const auto& m : messages) {
    if (c.publishing) break;
    auto amf = m.payload.span();
    if (m.type == msg::kCommandAmf3 && !amf.empty()) amf = amf.subspan(1);
    if ((m.type == msg::kCommandAmf0 || m.type == msg::kCommandAmf3) && !onCommand(c, amf))
      return false;
  }
  return true;
}

bool FloorServer::onCommand(Conn& c, std::span<const uint8_t> amf) {
  const auto decoded = core::Amf0Decoder::decodeAll(amf);
  if (!decoded.ok() || decoded.values.empty()) return false;
  const auto& v = decoded.values;
  const std::string_view name = v[0].asString();
  const double txn = v.size() > 1 ? v[1].asNumber() : 0;
  const uint32_t cs = options_.chunkSize;
  if (name == "connect") {
    std::vector<uint8_t> out;
    for (const auto& b :
         {rtmp::controlBytes(msg::kWindowAckSize, rtmp::windowAckSizePayload(kWindowAckSize), 128),
          rtmp::controlBytes(
              msg::kSetPeerBandwidth,
              rtmp::setPeerBandwidthPayload(kWindowAckSize, rtmp::LimitType::Dynamic), 128),
          rtmp::controlBytes(msg::kSetChunkSize, rtmp::setChunkSizePayload(cs), 128),
          rtmp::resultMessage(
              txn, Amf0Value::object({{"fmsVer", "FMS/3,5,7,7009"}}),
              Amf0Value::object({{"level", "status"}, {"code", "NetConnection.Connect.Success"}}),
              cs)})
      out.insert(out.end(), b.span().begin(), b.span().end());
    return send(c, out);
  }
  if (name == "createStream")
    return send(c, rtmp::resultMessage(txn, Amf0Value::null(), rtmp::kMediaStreamId, cs).span());
  if ((name == "releaseStream" || name == "FCPublish") && txn != 0)
    return send(c, rtmp::resultMessage(txn, Amf0Value::null(), Amf0Value::undefined(), cs).span());
  if (name == "publish") {
    // NOTE: from here on its bytes are not even parsed (the rest of this read too).
    c.publishing = true;
    return send(c,
                rtmp::statusMessage("status", "NetStream.Publish.Start", "publishing", cs).span());
  }
  if (name == "play" && !c.playing) return startPlaying(c);
  return true;
}

bool FloorServer::startPlaying(Conn& c) {
  const uint32_t cs = options_.chunkSize;
  std::vector<uint8_t> out;
  for (const auto& b :
       {rtmp::controlBytes(msg::kUserControl, rtmp::streamBeginPayload(rtmp::kMediaStreamId), cs),
        rtmp::statusMessage("status", "NetStream.Play.Reset", "reset", cs),
        rtmp::statusMessage("status", "NetStream.Play.Start", "start", cs),
        rtmp::dataMessage({"|RtmpSampleAccess", true, true}, cs)})
    out.insert(out.end(), b.span().begin(), b.span().end());
  const auto ts = static_cast<uint32_t>(replay_.timestampMs(next_));
  for (const ReplayTag& tag : replay_.config())
    rtmp::appendMessage(out, csidOf(tag.type), tag.type, ts, rtmp::kMediaStreamId, tag.body, cs);
  c.playing = true;
  c.waitKeyframe = true;
  stats_.playersMax = std::max(stats_.playersMax, ++players_);
  return send(c, out);
}

}  // namespace bench
