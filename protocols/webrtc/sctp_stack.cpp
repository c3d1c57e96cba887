#include "protocols/webrtc/sctp_stack.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <usrsctp.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "protocols/webrtc/sctp_association.hpp"

namespace webrtc {

namespace {

// A retired Handle stays allocated this long (timer time) after its association is gone.
constexpr int64_t kSctpRetiredHandleGraceMs = 60'000;
// ~SctpStack: usrsctp frees a closed socket's endpoint from a timer (SCTP_INP_KILL_TIMEOUT,
// 20 ms in 0.9.5): advance its clock in steps until usrsctp_finish succeeds.
constexpr int kSctpFinishAttempts = 200;
constexpr uint32_t kSctpFinishStepMs = 50;
// NOTE: RFC 8831 §6.2 says SHOULD 65535 streams. usrsctp allocates its per-stream state
// for every negotiated stream when the association starts (tens of bytes each way per
// stream: megabytes per association at 65535), while a WHEP/WHIP session needs a handful
// of channels and browsers number theirs from 0/1 upwards: SctpStack::kStreams (1024).

// SCTP packets of at most 1135 bytes: with DTLS 1.2 AES-GCM (37 bytes), UDP (8) and
// IPv4 (20) a datagram stays within 1200 bytes at the IP layer (RFC 8831 §5: no path MTU
// discovery, initial path MTU SHOULD NOT exceed 1200 bytes). usrsctp's path MTU for
// AF_CONN excludes the 12-byte common header.
constexpr uint32_t kSctpPathMtu = 1135 - 12;
// Room for two of the largest messages: a full buffer refuses a send (non-blocking)
// instead of queueing without bound behind a slow peer.
constexpr int kSctpSendBufferBytes = 2 * kSctpMaxMessageSizeCap;
constexpr uint16_t kSctpEvents[] = {SCTP_ASSOC_CHANGE,      SCTP_REMOTE_ERROR,
                                    SCTP_SHUTDOWN_EVENT,    SCTP_PARTIAL_DELIVERY_EVENT,
                                    SCTP_SEND_FAILED_EVENT, SCTP_STREAM_RESET_EVENT};

// usrsctp's conn_output: one SCTP packet for the association registered as `addr`.
int sctpStackOutput(void* addr, void* buffer, size_t length, uint8_t /*tos*/,
                    uint8_t /*setDf*/) noexcept {
  auto* handle = static_cast<SctpStack::Handle*>(addr);
  if (handle == nullptr || buffer == nullptr) return 0;
  try {
    SctpAssociation* association = handle->stack->find(handle->id);
    if (association == nullptr) return 0;  // closed: the packet goes nowhere
    association->handleOutput({static_cast<const uint8_t*>(buffer), length});
  } catch (const std::exception& e) {
    spdlog::error("sctp: output callback threw: {}", e.what());
  } catch (...) {
    spdlog::error("sctp: output callback threw");
  }
  return 0;
}

// usrsctp's debug printer (SCTP_PRINTF: teardown races, allocation failures).
void sctpStackDebugPrint(const char* format, ...) {
  char line[512];
  va_list args;
  va_start(args, format);
  // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start is above (false positive)
  int n = std::vsnprintf(line, sizeof line, format, args);
  va_end(args);
  if (n <= 0) return;
  size_t len = std::strlen(line);
  while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
  spdlog::debug("usrsctp: {}", line);
}

// One usrsctp tunable: false + error when usrsctp refuses the value.
bool sctpStackSet(int (*setter)(uint32_t), uint32_t value, const char* name, std::string& error) {
  if (setter(value) == 0) return true;
  error = std::string("usrsctp: cannot set ") + name + ": " + std::strerror(errno);
  return false;
}

// usrsctp's receive callback: a message (or a piece of one), a notification, or the end
// of the association (data == nullptr). usrsctp malloc()ed `data`: ours to free.
int sctpStackReceive(struct socket* /*sock*/, union sctp_sockstore /*addr*/, void* data,
                     size_t length, struct sctp_rcvinfo rcv, int flags, void* ulpInfo) noexcept {
  std::unique_ptr<void, void (*)(void*)> owned(data, &std::free);
  auto* handle = static_cast<SctpStack::Handle*>(ulpInfo);
  if (handle == nullptr) return 1;
  try {
    SctpAssociation* association = handle->stack->find(handle->id);
    if (association == nullptr) return 1;  // closed: dropped
    SctpAssociation::Inbound in;
    in.data = {static_cast<const uint8_t*>(data), data != nullptr ? length : 0};
    in.stream = rcv.rcv_sid;
    in.ppid = ntohl(rcv.rcv_ppid);
    in.notification = (flags & MSG_NOTIFICATION) != 0;
    in.endOfRecord = (flags & MSG_EOR) != 0;
    in.eof = data == nullptr;
    association->handleInbound(in);
  } catch (const std::exception& e) {
    spdlog::error("sctp: receive callback threw: {}", e.what());
  } catch (...) {
    spdlog::error("sctp: receive callback threw");
  }
  return 1;
}

struct sockaddr_conn sctpStackConnAddress(uint16_t port, void* addr) {
  struct sockaddr_conn a {};
  a.sconn_family = AF_CONN;
  a.sconn_port = htons(port);
  a.sconn_addr = addr;
  return a;
}

template <typename T>
bool sctpStackSetOption(struct socket* sock, int level, int name, const T& value, const char* what,
                        std::string& error) {
  if (usrsctp_setsockopt(sock, level, name, &value, sizeof value) == 0) return true;
  error = fmt::format("usrsctp: setsockopt {}: {}", what, std::strerror(errno));
  return false;
}

// The options of every association's socket (see the constants above).
bool sctpStackConfigure(struct socket* sock, std::string& error) {
  if (usrsctp_set_non_blocking(sock, 1) < 0) {  // connect must not wait: no threads
    error = fmt::format("usrsctp: non-blocking: {}", std::strerror(errno));
    return false;
  }
  const int on = 1;
  struct sctp_assoc_value resets {};
  resets.assoc_id = SCTP_FUTURE_ASSOC;
  resets.assoc_value = SCTP_ENABLE_RESET_STREAM_REQ;  // accept the peer's stream resets
  struct sctp_initmsg init {};
  init.sinit_num_ostreams = SctpStack::kStreams;
  init.sinit_max_instreams = SctpStack::kStreams;
  struct sctp_paddrparams mtu {};
  mtu.spp_assoc_id = SCTP_FUTURE_ASSOC;
  mtu.spp_flags = SPP_PMTUD_DISABLE;
  mtu.spp_pathmtu = kSctpPathMtu;
  bool ok =
      sctpStackSetOption(sock, IPPROTO_SCTP, SCTP_RECVRCVINFO, on, "RECVRCVINFO", error) &&
      sctpStackSetOption(sock, IPPROTO_SCTP, SCTP_NODELAY, on, "NODELAY", error) &&
      sctpStackSetOption(sock, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, resets,
                         "ENABLE_STREAM_RESET", error) &&
      sctpStackSetOption(sock, IPPROTO_SCTP, SCTP_INITMSG, init, "INITMSG", error) &&
      sctpStackSetOption(sock, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, mtu, "PEER_ADDR_PARAMS",
                         error) &&
      sctpStackSetOption(sock, SOL_SOCKET, SO_SNDBUF, kSctpSendBufferBytes, "SO_SNDBUF", error);
  for (uint16_t type : kSctpEvents) {
    struct sctp_event event {};
    event.se_assoc_id = SCTP_FUTURE_ASSOC;
    event.se_type = type;
    event.se_on = 1;
    ok = ok && sctpStackSetOption(sock, IPPROTO_SCTP, SCTP_EVENT, event, "EVENT", error);
  }
  return ok;
}

}  // namespace

std::unique_ptr<SctpStack> SctpStack::create(std::string& error) {
  // Port 0: no UDP encapsulation socket; we carry SCTP packets ourselves (AF_CONN).
  usrsctp_init_nothreads(0, &sctpStackOutput, &sctpStackDebugPrint);
  std::unique_ptr<SctpStack> stack(new SctpStack());
  // NOTE: the settings, with their reasons:
  // - ECN off: the ECN bits live in the outer IP header, which DTLS over ICE neither
  //   exposes to nor takes from SCTP (conn_output's tos and conninput's ecn_bits stay
  //   unused), so ECN could never signal anything.
  // - ASCONF and auto-ASCONF off: an association over DTLS is single-homed (RFC 8261 §1),
  //   and RFC 8831 §6.2 needs of RFC 5061 only the Supported Extensions parameter, which
  //   usrsctp sends for RE-CONFIG without ASCONF.
  // - PR-SCTP and stream reconfiguration on (usrsctp's defaults, set to make the
  //   requirement visible): RFC 8831 §6.2 MUST (partial reliability; closing channels).
  bool ok = sctpStackSet(&usrsctp_sysctl_set_sctp_ecn_enable, 0, "ecn_enable", error) &&
            sctpStackSet(&usrsctp_sysctl_set_sctp_asconf_enable, 0, "asconf_enable", error) &&
            sctpStackSet(&usrsctp_sysctl_set_sctp_auto_asconf, 0, "auto_asconf", error) &&
            sctpStackSet(&usrsctp_sysctl_set_sctp_pr_enable, 1, "pr_enable", error) &&
            sctpStackSet(&usrsctp_sysctl_set_sctp_reconfig_enable, 1, "reconfig_enable", error);
  if (!ok) return nullptr;  // ~SctpStack finishes usrsctp
  return stack;
}

SctpStack::~SctpStack() {
  finish();
}

bool SctpStack::finish() {
  if (finished_) return true;
  if (!associations_.empty()) {
    // NOTE: usrsctp_finish would fail forever (their sockets are open): leave usrsctp
    // running rather than hang the shutdown.
    spdlog::error("sctp: {} associations outlive the SCTP stack; usrsctp not finished",
                  associations_.size());
    return false;
  }
  for (int attempt = 0; attempt < kSctpFinishAttempts; ++attempt) {
    if (usrsctp_finish() == 0) {
      spdlog::debug("sctp: usrsctp finished after {} timer steps", attempt);
      finished_ = true;
      return true;
    }
    usrsctp_handle_timers(kSctpFinishStepMs);
    // Its iterator thread may hold the endpoint list's lock for a moment.
    std::this_thread::yield();
  }
  spdlog::warn("sctp: usrsctp_finish still refused after {} timer steps: endpoints remain",
               kSctpFinishAttempts);
  return false;
}

void SctpStack::onTimer(int64_t elapsedMs) {
  if (elapsedMs > 0) {
    clockMs_ += elapsedMs;
    Entry entry(*this);
    usrsctp_handle_timers(static_cast<uint32_t>(elapsedMs));
  }
  freeRetiredHandles();
}

SctpStack::Handle* SctpStack::attach(SctpAssociation& association) {
  uint64_t id = nextId_++;
  auto handle = std::make_unique<Handle>(Handle{this, id});
  Handle* raw = handle.get();
  associations_.emplace(id, Attached{&association, std::move(handle)});
  return raw;
}

void SctpStack::detach(Handle* handle, struct socket* sock) {
  auto it = associations_.find(handle->id);
  if (it == associations_.end()) return;
  bool now = !inside();
  if (now && sock != nullptr) {
    Entry entry(*this);
    closeSocket(sock);  // its ABORT still goes out through the association's send
    sock = nullptr;
  }
  retired_.push_back({clockMs_ + kSctpRetiredHandleGraceMs, std::move(it->second.handle)});
  associations_.erase(it);
  if (now) {
    Entry entry(*this);
    usrsctp_deregister_address(handle);
    return;
  }
  // NOTE: from inside usrsctp the socket closes after the current call; the association
  // is already unknown, so that ABORT is dropped (the session is ending anyway).
  defer([this, handle, sock] {
    Entry entry(*this);
    closeSocket(sock);
    usrsctp_deregister_address(handle);
  });
}

struct socket* SctpStack::openSocket(Handle* handle, uint16_t localPort, uint16_t remotePort,
                                     std::string& error) {
  Entry entry(*this);
  usrsctp_register_address(handle);
  struct socket* sock =
      usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, &sctpStackReceive, nullptr, 0, handle);
  if (sock == nullptr) {
    error = fmt::format("usrsctp_socket: {}", std::strerror(errno));
    return nullptr;
  }
  // NOTE: both ends' sconn address is the handle: usrsctp_conninput(handle) delivers
  // the peer's packets to this socket, and conn_output gives our packets that address.
  struct sockaddr_conn local = sctpStackConnAddress(localPort, handle);
  struct sockaddr_conn remote = sctpStackConnAddress(remotePort, handle);
  bool ok = sctpStackConfigure(sock, error);
  if (ok && usrsctp_bind(sock, reinterpret_cast<struct sockaddr*>(&local), sizeof local) < 0) {
    error = fmt::format("usrsctp_bind port {}: {}", localPort, std::strerror(errno));
    ok = false;
  }
  // The INIT goes out from here. Both sides connect (simultaneous open, RFC 9260 §5.2.1).
  if (ok && usrsctp_connect(sock, reinterpret_cast<struct sockaddr*>(&remote), sizeof remote) < 0 &&
      errno != EINPROGRESS) {
    error = fmt::format("usrsctp_connect port {}: {}", remotePort, std::strerror(errno));
    ok = false;
  }
  if (ok) return sock;
  usrsctp_close(sock);
  return nullptr;
}

SctpAssociation* SctpStack::find(uint64_t id) const {
  auto it = associations_.find(id);
  return it == associations_.end() ? nullptr : it->second.association;
}

void SctpStack::closeSocket(struct socket* sock) {
  if (sock == nullptr) return;
  // Linger 0: usrsctp_close sends ABORT and frees the association at once, so none of
  // its timers sends later (RFC 9260 §9.1).
  struct linger abortive {};
  abortive.l_onoff = 1;
  abortive.l_linger = 0;
  usrsctp_setsockopt(sock, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
  usrsctp_close(sock);
}

void SctpStack::leave() {
  if (--depth_ > 0 || draining_) return;
  draining_ = true;
  while (!deferred_.empty()) {
    auto ops = std::move(deferred_);
    deferred_.clear();
    // At depth 0 like a call from the loop; each op holds an Entry around its own
    // usrsctp calls, and what those queue joins this loop (draining_).
    for (auto& op : ops) op();
  }
  draining_ = false;
}

void SctpStack::freeRetiredHandles() {
  std::erase_if(retired_, [this](const Retired& r) { return r.freeAtMs <= clockMs_; });
}

}  // namespace webrtc
