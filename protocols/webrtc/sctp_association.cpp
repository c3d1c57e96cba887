#include "protocols/webrtc/sctp_association.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <usrsctp.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace webrtc {

namespace {

constexpr size_t kSctpCommonHeaderSize = 12;
constexpr size_t kSctpMaxPacketSize = 65536;
// The one byte that carries an empty message (RFC 8831 §6.6).
constexpr uint8_t kSctpEmptyPayload[1] = {0};
}  // namespace

SctpAssociation::SctpAssociation(SctpStack& stack, uint16_t localPort, uint16_t remotePort,
                                 uint32_t maxMessageSize, bool dtlsClient, Callbacks callbacks,
                                 std::string logName)
    : stack_(stack),
      callbacks_(std::move(callbacks)),
      logName_(std::move(logName)),
      maxMessageSize_(maxMessageSize == 0 || maxMessageSize > kSctpMaxMessageSizeCap
                          ? kSctpMaxMessageSizeCap
                          : maxMessageSize),
      dtlsClient_(dtlsClient),
      outboundStreams_(SctpStack::kStreams),
      log_([this] { return logName_; },
           [this] { return static_cast<uint64_t>(stack_.clockMs()); }) {
  handle_ = stack_.attach(*this);
  if (stack_.inside()) {
    // Made from inside a usrsctp callback: start when that call has returned.
    stack_.defer([&stack = stack_, id = handle_->id, localPort, remotePort] {
      if (SctpAssociation* self = stack.find(id);
          self && !self->createSocket(localPort, remotePort))
        self->fail(self->lastError_);
    });
    return;
  }
  if (!createSocket(localPort, remotePort)) {
    state_ = State::Failed;  // no callback from the constructor: isFailed() tells
    spdlog::warn("{}: {}", logName_, lastError_);
  }
}

SctpAssociation::~SctpAssociation() {
  *alive_ = false;
  shutdownSocket();
  log_.flush();
}

bool SctpAssociation::createSocket(uint16_t localPort, uint16_t remotePort) {
  sock_ = stack_.openSocket(handle_, localPort, remotePort, lastError_);
  return sock_ != nullptr;
}

void SctpAssociation::close() {
  if (handle_ == nullptr) return;
  if (state_ != State::Failed) state_ = State::Closed;  // no sends from now on
  if (stack_.inside()) {
    // After the current usrsctp call, so that the ABORT can still be sent.
    stack_.defer([&stack = stack_, id = handle_->id] {
      if (SctpAssociation* self = stack.find(id)) self->shutdownSocket();
    });
    return;
  }
  shutdownSocket();
}

void SctpAssociation::shutdownSocket() {
  if (handle_ == nullptr) return;
  if (state_ != State::Failed) state_ = State::Closed;
  channels_.clear();
  partials_.clear();
  partialBytes_ = 0;
  pendingOpens_.clear();
  SctpStack::Handle* handle = std::exchange(handle_, nullptr);
  struct socket* sock = std::exchange(sock_, nullptr);
  stack_.detach(handle, sock);
}

void SctpAssociation::onPacket(std::span<const uint8_t> packet) {
  if (sock_ == nullptr) return;
  if (packet.size() < kSctpCommonHeaderSize || packet.size() > kSctpMaxPacketSize) {
    log_.warn("bad packet", "dropped a {}-byte packet (an SCTP packet is {}..{} bytes)",
              packet.size(), kSctpCommonHeaderSize, kSctpMaxPacketSize);
    return;
  }
  if (stack_.inside()) {
    // Delivered from inside usrsctp (a peer in this process answering at once).
    stack_.defer([&stack = stack_, id = handle_->id,
                  copy = std::vector<uint8_t>(packet.begin(), packet.end())] {
      if (SctpAssociation* self = stack.find(id)) self->onPacket(copy);
    });
    return;
  }
  ++stats_.packetsIn;
  SctpStack::Entry entry(stack_);
  // usrsctp checks the CRC32c and drops what does not belong to this association.
  usrsctp_conninput(handle_, packet.data(), packet.size(), 0);
}

void SctpAssociation::handleOutput(std::span<const uint8_t> packet) {
  ++stats_.packetsOut;
  if (callbacks_.send) callbacks_.send(packet);
}

bool SctpAssociation::sendText(uint16_t stream, std::string_view text) {
  return sendUser(stream, true, {reinterpret_cast<const uint8_t*>(text.data()), text.size()});
}

bool SctpAssociation::sendBinary(uint16_t stream, std::span<const uint8_t> bytes) {
  return sendUser(stream, false, bytes);
}

bool SctpAssociation::refuse(std::string reason) {
  lastError_ = std::move(reason);
  ++stats_.refusedOut;
  return false;
}

bool SctpAssociation::sendUser(uint16_t stream, bool text, std::span<const uint8_t> bytes) {
  if (state_ != State::Up) {
    return refuse(fmt::format("stream {}: association {}", stream,
                              state_ == State::Connecting ? "not up yet" : "closed"));
  }
  auto it = channels_.find(stream);
  if (it == channels_.end() || it->second.closing) {
    return refuse(fmt::format("stream {}: no open channel", stream));
  }
  if (bytes.size() > maxMessageSize_) {
    log_.warn("message too big", "stream {}: refused to send {} bytes (max-message-size {})",
              stream, bytes.size(), maxMessageSize_);
    return refuse(fmt::format("stream {}: message of {} bytes exceeds max-message-size {}", stream,
                              bytes.size(), maxMessageSize_));
  }
  uint32_t ppid = text ? (bytes.empty() ? kPpidStringEmpty : kPpidString)
                       : (bytes.empty() ? kPpidBinaryEmpty : kPpidBinary);
  if (bytes.empty()) bytes = kSctpEmptyPayload;
  ++stats_.messagesOut;
  return sendMessage(outgoingFor(stream, it->second, ppid), bytes);
}

SctpAssociation::Outgoing SctpAssociation::outgoingFor(uint16_t stream, const Channel& channel,
                                                       uint32_t ppid) const {
  Outgoing out;
  out.stream = stream;
  out.ppid = ppid;
  // RFC 8832 §6: the opener sends ordered until the peer's ACK (or data) arrives.
  out.unordered = dcepUnordered(channel.type) && (!channel.ours || channel.acked);
  switch (static_cast<uint8_t>(channel.type) & 0x7F) {
    case 0x01:
      out.prPolicy = SCTP_PR_SCTP_RTX;
      out.prValue = channel.reliability;
      break;
    case 0x02:
      out.prPolicy = SCTP_PR_SCTP_TTL;
      out.prValue = channel.reliability;
      break;
    default:
      out.prPolicy = SCTP_PR_SCTP_NONE;
      break;
  }
  return out;
}

bool SctpAssociation::sendMessage(const Outgoing& out, std::span<const uint8_t> bytes) {
  if (handle_ == nullptr) return refuse(fmt::format("stream {}: association closed", out.stream));
  if (!stack_.inside()) return sendNow(out, bytes);
  stack_.defer([&stack = stack_, id = handle_->id, out,
                copy = std::vector<uint8_t>(bytes.begin(), bytes.end())] {
    if (SctpAssociation* self = stack.find(id)) self->sendNow(out, copy);
  });
  return true;
}

bool SctpAssociation::sendNow(const Outgoing& out, std::span<const uint8_t> bytes) {
  if (sock_ == nullptr || state_ != State::Up) {
    return refuse(fmt::format("stream {}: association closed", out.stream));
  }
  struct sctp_sendv_spa spa {};
  spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
  spa.sendv_sndinfo.snd_sid = out.stream;
  spa.sendv_sndinfo.snd_flags = out.unordered ? SCTP_UNORDERED : 0;
  spa.sendv_sndinfo.snd_ppid = htonl(out.ppid);
  if (out.prPolicy != SCTP_PR_SCTP_NONE) {
    spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
    spa.sendv_prinfo.pr_policy = out.prPolicy;
    spa.sendv_prinfo.pr_value = out.prValue;
  }
  // NOTE: no SCTP_EXPLICIT_EOR: each sendv is one whole message, and usrsctp takes it
  // only if it fits the send buffer at once (all or nothing), never a part of it.
  SctpStack::Entry entry(stack_);
  ssize_t sent = usrsctp_sendv(sock_, bytes.data(), bytes.size(), nullptr, 0, &spa, sizeof spa,
                               SCTP_SENDV_SPA, 0);
  if (sent >= 0) return true;
  int err = errno;
  std::string why = err == EWOULDBLOCK ? std::string("send buffer full") : std::strerror(err);
  log_.warn("send failed", "stream {}: could not send {} bytes: {}", out.stream, bytes.size(), why);
  return refuse(
      fmt::format("stream {}: send of {} bytes failed: {}", out.stream, bytes.size(), why));
}

void SctpAssociation::sendDcep(uint16_t stream, std::vector<uint8_t> bytes) {
  Outgoing out;  // DCEP messages go reliable and ordered (RFC 8832 §6)
  out.stream = stream;
  out.ppid = kPpidDcep;
  sendMessage(out, bytes);
}

std::optional<uint16_t> SctpAssociation::openChannel(const std::string& label,
                                                     const std::string& protocol) {
  return openChannel(DcepOpen{DcepChannelType::Reliable, kDcepPriorityNormal, 0, label, protocol});
}

std::optional<uint16_t> SctpAssociation::openChannel(const DcepOpen& open) {
  if (state_ != State::Connecting && state_ != State::Up) {
    lastError_ = "open channel: association closed";
    return std::nullopt;
  }
  if (open.label.size() > 0xFFFF || open.protocol.size() > 0xFFFF) {
    lastError_ = "open channel: label or protocol longer than 65535 bytes";
    return std::nullopt;
  }
  // RFC 8832 §6: the DTLS client opens even streams, the server odd ones.
  for (uint32_t s = dtlsClient_ ? 0 : 1; s < outboundStreams_; s += 2) {
    uint16_t stream = static_cast<uint16_t>(s);
    if (channels_.contains(stream) || resetting_.contains(stream)) continue;
    Channel channel;
    channel.label = open.label;
    channel.protocol = open.protocol;
    channel.type = open.channelType;
    channel.reliability = open.reliabilityParameter;
    channel.priority = open.priority;
    channel.ours = true;
    channels_.emplace(stream, std::move(channel));
    if (state_ == State::Up) {
      sendDcep(stream, buildDcepOpen(open));
    } else {
      pendingOpens_.push_back(stream);
    }
    return stream;
  }
  lastError_ = "open channel: no free stream";
  return std::nullopt;
}

void SctpAssociation::closeChannel(uint16_t stream) {
  auto it = channels_.find(stream);
  if (it == channels_.end() || it->second.closing) return;
  it->second.closing = true;
  if (state_ == State::Up) resetOutgoing(stream);
}

void SctpAssociation::resetOutgoing(uint16_t stream) {
  if (handle_ == nullptr) return;
  resetting_.insert(stream);
  if (stack_.inside()) {
    stack_.defer([&stack = stack_, id = handle_->id, stream] {
      if (SctpAssociation* self = stack.find(id)) self->resetOutgoingNow(stream);
    });
    return;
  }
  resetOutgoingNow(stream);
}

void SctpAssociation::resetOutgoingNow(uint16_t stream) {
  if (sock_ == nullptr) return;
  // struct sctp_reset_streams ends in a flexible array of stream numbers.
  std::vector<uint8_t> request(sizeof(struct sctp_reset_streams) + sizeof(uint16_t));
  struct sctp_reset_streams head {};
  head.srs_assoc_id = SCTP_FUTURE_ASSOC;
  head.srs_flags = SCTP_STREAM_RESET_OUTGOING;
  head.srs_number_streams = 1;
  std::memcpy(request.data(), &head, sizeof head);
  std::memcpy(request.data() + sizeof head, &stream, sizeof stream);
  SctpStack::Entry entry(stack_);
  if (usrsctp_setsockopt(sock_, IPPROTO_SCTP, SCTP_RESET_STREAMS, request.data(),
                         static_cast<socklen_t>(request.size())) < 0) {
    log_.warn("reset failed", "stream {}: stream reset refused: {}", stream, std::strerror(errno));
    resetting_.erase(stream);
  }
}

// ---- Receiving ----

void SctpAssociation::handleInbound(const Inbound& in) {
  if (in.eof) {
    fail("the association was shut down");
  } else if (in.notification) {
    if (in.endOfRecord) handleNotification(in.data);
  } else {
    handleData(in);
  }
}

void SctpAssociation::handleData(const Inbound& in) {
  auto it = partials_.find(in.stream);
  if (it == partials_.end() && in.endOfRecord) {  // the usual case: one whole message
    if (in.data.size() > kSctpMaxMessageSizeCap) {
      ++stats_.refusedIn;
      log_.warn("message too big", "stream {}: refused a message of {} bytes (max-message-size {})",
                in.stream, in.data.size(), kSctpMaxMessageSizeCap);
      return;
    }
    dispatch(in.stream, in.ppid, in.data);
    return;
  }
  if (it == partials_.end())
    it = partials_.emplace(in.stream, Partial{in.ppid, {}, 0, false}).first;
  Partial& p = it->second;
  p.received += in.data.size();
  // NOTE: bounded twice: a message by what we announce, all pieces held by twice that
  // (usrsctp delivers one partial message at a time unless fragments interleave).
  if (!p.refused && (p.received > kSctpMaxMessageSizeCap ||
                     partialBytes_ + in.data.size() > 2 * size_t{kSctpMaxMessageSizeCap})) {
    p.refused = true;
    partialBytes_ -= p.bytes.size();
    std::vector<uint8_t>().swap(p.bytes);
  }
  if (!p.refused) {
    p.bytes.insert(p.bytes.end(), in.data.begin(), in.data.end());
    partialBytes_ += in.data.size();
  }
  if (!in.endOfRecord) return;
  Partial done = std::move(p);
  partials_.erase(it);
  partialBytes_ -= done.bytes.size();
  if (done.refused) {
    ++stats_.refusedIn;
    log_.warn("message too big", "stream {}: refused a message of {} bytes (max-message-size {})",
              in.stream, done.received, kSctpMaxMessageSizeCap);
    return;
  }
  dispatch(in.stream, done.ppid, done.bytes);
}

void SctpAssociation::dispatch(uint16_t stream, uint32_t ppid, std::span<const uint8_t> bytes) {
  if (ppid == kPpidDcep) {
    handleDcep(stream, bytes);
    return;
  }
  bool text = ppid == kPpidString || ppid == kPpidStringEmpty;
  if (!text && ppid != kPpidBinary && ppid != kPpidBinaryEmpty) {
    ++stats_.refusedIn;
    log_.warn("bad ppid", "stream {}: refused a message with PPID {} ({})", stream, ppid,
              ppid == kPpidStringPartial || ppid == kPpidBinaryPartial
                  ? "deprecated partial message, RFC 8831 §8"
                  : "not a data channel PPID");
    return;
  }
  auto it = channels_.find(stream);
  if (it == channels_.end()) {
    ++stats_.refusedIn;
    log_.warn("no channel", "stream {}: refused a message on a stream without a channel", stream);
    return;
  }
  it->second.acked = true;  // user data before the ACK also shows the channel open
  if (ppid == kPpidStringEmpty || ppid == kPpidBinaryEmpty) bytes = {};
  ++stats_.messagesIn;
  if (callbacks_.message) callbacks_.message(stream, text, bytes);
}

void SctpAssociation::handleDcep(uint16_t stream, std::span<const uint8_t> bytes) {
  std::string error;
  auto message = parseDcep(bytes, error);
  if (!message) {
    ++stats_.refusedIn;
    log_.warn("bad dcep", "stream {}: refused a DCEP message: {}", stream, error);
    // RFC 8832 §6: an OPEN that cannot be accepted closes the stream.
    if (!bytes.empty() && bytes[0] == kDcepTypeOpen && !channels_.contains(stream) &&
        !resetting_.contains(stream)) {
      resetOutgoing(stream);
    }
    return;
  }
  if (message->type == kDcepTypeAck) {
    auto it = channels_.find(stream);
    if (it != channels_.end() && it->second.ours) it->second.acked = true;
    return;
  }
  if (channels_.contains(stream) || resetting_.contains(stream)) {
    ++stats_.refusedIn;
    log_.warn("bad dcep", "stream {}: refused DATA_CHANNEL_OPEN: the stream is in use", stream);
    return;
  }
  DcepOpen& open = message->open;
  Channel channel;
  channel.label = open.label;
  channel.protocol = open.protocol;
  channel.type = open.channelType;
  channel.reliability = open.reliabilityParameter;
  channels_.emplace(stream, std::move(channel));
  sendDcep(stream, buildDcepAck());  // before anything the channelOpen callback sends
  spdlog::debug("{}: stream {}: channel \"{}\" opened by the peer", logName_, stream, open.label);
  if (callbacks_.channelOpen) callbacks_.channelOpen(stream, open.label, open.protocol);
}

void SctpAssociation::handleNotification(std::span<const uint8_t> bytes) {
  // Every notification opens with sn_type (16 bits), sn_flags (16), sn_length (32).
  uint16_t type = 0;
  uint32_t length = 0;
  if (bytes.size() < 8) return;
  std::memcpy(&type, bytes.data(), sizeof type);
  std::memcpy(&length, bytes.data() + 4, sizeof length);
  if (length > bytes.size()) return;
  bytes = bytes.first(length);
  switch (type) {
    case SCTP_ASSOC_CHANGE:
      handleAssocChange(bytes);
      break;
    case SCTP_STREAM_RESET_EVENT:
      handleStreamReset(bytes);
      break;
    case SCTP_SHUTDOWN_EVENT:
      fail("the peer shut the association down");
      break;
    case SCTP_PARTIAL_DELIVERY_EVENT: {
      struct sctp_pdapi_event pd {};
      if (bytes.size() < sizeof pd) break;
      std::memcpy(&pd, bytes.data(), sizeof pd);
      auto it = partials_.find(static_cast<uint16_t>(pd.pdapi_stream));
      if (pd.pdapi_indication == SCTP_PARTIAL_DELIVERY_ABORTED && it != partials_.end()) {
        partialBytes_ -= it->second.bytes.size();
        partials_.erase(it);
      }
      break;
    }
    case SCTP_SEND_FAILED_EVENT: {
      struct sctp_send_failed_event failed {};
      if (bytes.size() < sizeof failed) break;
      std::memcpy(&failed, bytes.data(), sizeof failed);
      log_.warn("send failed", "stream {}: a message was not delivered (error {})",
                failed.ssfe_info.snd_sid, failed.ssfe_error);
      break;
    }
    case SCTP_REMOTE_ERROR: {
      struct sctp_remote_error remote {};
      if (bytes.size() < sizeof remote) break;
      std::memcpy(&remote, bytes.data(), sizeof remote);
      log_.warn("remote error", "the peer reported an SCTP error (cause {})", remote.sre_error);
      break;
    }
    default:
      break;
  }
}

void SctpAssociation::handleAssocChange(std::span<const uint8_t> bytes) {
  struct sctp_assoc_change change {};
  if (bytes.size() < sizeof change) return;
  std::memcpy(&change, bytes.data(), sizeof change);
  switch (change.sac_state) {
    case SCTP_COMM_UP:
      onUp(change.sac_outbound_streams);
      break;
    case SCTP_COMM_LOST:
      fail(fmt::format("association lost: aborted or unreachable (error {})", change.sac_error));
      break;
    case SCTP_RESTART:
      fail("the peer restarted the association");
      break;
    case SCTP_SHUTDOWN_COMP:
      fail("the association was shut down");
      break;
    case SCTP_CANT_STR_ASSOC:
      fail("the association could not be set up (no answer to INIT)");
      break;
    default:
      break;
  }
}

void SctpAssociation::onUp(uint16_t outboundStreams) {
  if (state_ != State::Connecting) return;
  state_ = State::Up;
  outboundStreams_ = outboundStreams;
  spdlog::debug("{}: association up ({} outbound streams)", logName_, outboundStreams);
  std::vector<uint16_t> opens = std::move(pendingOpens_);
  pendingOpens_.clear();
  for (uint16_t stream : opens) {
    auto it = channels_.find(stream);
    if (it == channels_.end()) continue;
    if (it->second.closing) {  // closed before it was ever sent
      channels_.erase(it);
      continue;
    }
    if (stream >= outboundStreams_) {
      log_.warn("open failed", "stream {}: beyond the {} streams the peer allows", stream,
                outboundStreams_);
      channels_.erase(it);
      continue;
    }
    const Channel& c = it->second;
    sendDcep(stream,
             buildDcepOpen(DcepOpen{c.type, c.priority, c.reliability, c.label, c.protocol}));
  }
  if (callbacks_.connected) callbacks_.connected();
}

void SctpAssociation::handleStreamReset(std::span<const uint8_t> bytes) {
  struct sctp_stream_reset_event event {};
  if (bytes.size() < sizeof event) return;
  std::memcpy(&event, bytes.data(), sizeof event);
  std::vector<uint16_t> streams((bytes.size() - sizeof event) / sizeof(uint16_t));
  if (!streams.empty()) {
    std::memcpy(streams.data(), bytes.data() + sizeof event, streams.size() * sizeof(uint16_t));
  }
  uint16_t flags = event.strreset_flags;
  if (flags & (SCTP_STREAM_RESET_DENIED | SCTP_STREAM_RESET_FAILED)) {
    log_.warn("reset failed", "a stream reset of {} streams was {} by the peer", streams.size(),
              (flags & SCTP_STREAM_RESET_DENIED) ? "denied" : "failed");
    if (flags & SCTP_STREAM_RESET_OUTGOING_SSN) {
      for (uint16_t s : streams) resetting_.erase(s);
    }
    return;
  }
  if (flags & SCTP_STREAM_RESET_OUTGOING_SSN) {  // our reset is done: the streams are free
    if (streams.empty()) resetting_.clear();
    for (uint16_t s : streams) resetting_.erase(s);
  }
  if (flags & SCTP_STREAM_RESET_INCOMING_SSN) {  // the peer closed these (RFC 8831 §6.7)
    if (streams.empty()) {
      for (const auto& [s, channel] : channels_) streams.push_back(s);
    }
    auto alive = alive_;
    for (uint16_t s : streams) {
      peerClosedStream(s);
      if (!*alive) return;
    }
  }
}

void SctpAssociation::peerClosedStream(uint16_t stream) {
  if (auto p = partials_.find(stream); p != partials_.end()) {
    partialBytes_ -= p->second.bytes.size();
    partials_.erase(p);
  }
  auto it = channels_.find(stream);
  if (it == channels_.end()) return;
  bool ourResetSent = it->second.closing;
  channels_.erase(it);
  if (!ourResetSent && state_ == State::Up) resetOutgoing(stream);  // answer with ours
  spdlog::debug("{}: stream {}: channel closed", logName_, stream);
  if (callbacks_.channelClosed) callbacks_.channelClosed(stream);
}

void SctpAssociation::fail(const std::string& reason) {
  if (state_ == State::Failed || state_ == State::Closed) return;
  state_ = State::Failed;
  lastError_ = reason;
  spdlog::info("{}: {}", logName_, reason);
  if (callbacks_.failed) callbacks_.failed(reason);
}

}  // namespace webrtc
