#include "protocols/webrtc/peer_transport.hpp"

#include <spdlog/spdlog.h>

#include "protocols/webrtc/packet_demux.hpp"
#include "protocols/webrtc/stun_message.hpp"

namespace webrtc {
namespace {

constexpr size_t kMaxSrtpDatagram = 64 * 1024;

}  // namespace

PeerTransport::PeerTransport(core::EventLoop& loop, core::UdpSocket& socket,
                             const DtlsIdentity& identity, const Negotiated& negotiated,
                             std::string localUfrag, std::string localPwd, TransportLimits limits,
                             std::string name, Callbacks callbacks, SctpHost sctp)
    : loop_(loop),
      socket_(socket),
      localUfrag_(localUfrag),
      name_(std::move(name)),
      limits_(limits),
      callbacks_(std::move(callbacks)),
      ice_(localUfrag, std::move(localPwd), negotiated.remoteUfrag, negotiated.remotePwd,
           limits.consentTimeoutMs),
      dtlsTimer_(loop,
                 [this] {
                   if (dtls_) dtls_->onTimer();
                 }),
      liveness_(loop, [this] { checkLiveness(); }),
      createdMs_(static_cast<int64_t>(loop.nowMs())),
      localDtlsClient_(negotiated.localDtlsClient) {
  if (sctp.stack && negotiated.data) {
    sctpHost_ = std::move(sctp);
    data_ = negotiated.data;
  }
  DtlsTransport::Callbacks dc;
  dc.send = [this](std::span<const uint8_t> bytes) { sendRaw(bytes); };
  dc.armTimer = [this](int64_t delayMs) {
    if (delayMs < 0)
      dtlsTimer_.stop();
    else
      dtlsTimer_.start(static_cast<uint64_t>(delayMs));
  };
  dc.connected = [this] { onDtlsConnected(); };
  dc.failed = [this](const std::string& reason) { fail("dtls: " + reason); };
  // A peer that stops sends close_notify, often before its HTTP DELETE arrives.
  dc.closed = [this] { fail("the client ended it (DTLS close_notify)"); };
  dc.received = [this](std::span<const uint8_t> bytes) {
    if (sctp_) sctp_->onPacket(bytes);
  };
  DtlsTransportOptions options;
  options.mtu = limits.mtu;
  options.handshakeTimeoutMs = limits.handshakeTimeoutMs;
  dtls_ =
      std::make_unique<DtlsTransport>(identity, localDtlsClient_, negotiated.remoteFingerprintAlg,
                                      negotiated.remoteFingerprint, std::move(dc), options);
  liveness_.start(1000, 1000);
}

PeerTransport::~PeerTransport() = default;

void PeerTransport::onDatagram(std::span<const uint8_t> datagram, const sockaddr_storage& from) {
  if (failed_) return;
  switch (classifyDatagram(datagram)) {
    case DatagramKind::Stun:
      onStun(datagram, from);
      return;
    case DatagramKind::Dtls:
      // NOTE: DTLS and SRTP count only from the address ICE selected: a datagram
      // from elsewhere is not this peer's (its keys would not fit anyway).
      if (!remote_ || !core::sameAddress(*remote_, from)) break;
      onDtls(datagram);
      return;
    case DatagramKind::Rtp:
    case DatagramKind::Rtcp:
      if (!remote_ || !core::sameAddress(*remote_, from)) break;
      onSrtp(datagram, classifyDatagram(datagram) == DatagramKind::Rtcp);
      return;
    case DatagramKind::Unknown:
      break;
  }
  ++stats_.unknownIn;
}

void PeerTransport::onStun(std::span<const uint8_t> datagram, const sockaddr_storage& from) {
  ++stats_.stunIn;
  std::string error;
  auto message = StunMessage::parse(datagram, error);
  if (!message) {
    ++stats_.stunBad;
    spdlog::debug("{}: bad STUN from {}: {}", name_, core::formatAddress(from), error);
    return;
  }
  const int64_t now = static_cast<int64_t>(loop_.nowMs());
  IceLiteAgent::Reply reply = ice_.onStun(*message, from, now);
  if (!reply.bytes.empty()) socket_.send(reply.bytes, from);
  if (!reply.valid) {
    ++stats_.stunBad;
    spdlog::debug("{}: STUN check from {} refused: {}", name_, core::formatAddress(from),
                  reply.error);
    return;
  }
  auto selected = ice_.selected();
  if (!selected) return;
  if (!remote_ || !core::sameAddress(*remote_, *selected)) {
    spdlog::info("{}: ICE selected {}", name_, core::formatAddress(*selected));
    remote_ = *selected;
  }
  if (!dtlsStarted_) {
    dtlsStarted_ = true;
    // The DTLS client speaks first; as the server start() waits for its ClientHello.
    dtls_->start();
  }
}

void PeerTransport::onDtls(std::span<const uint8_t> datagram) {
  ++stats_.dtlsIn;
  ice_.onValidTraffic(*remote_, static_cast<int64_t>(loop_.nowMs()));
  dtls_->onDatagram(datagram);
}

void PeerTransport::onSrtp(std::span<const uint8_t> datagram, bool rtcp) {
  if (!srtp_ || datagram.size() > kMaxSrtpDatagram) {
    ++stats_.srtpErrors;
    return;
  }
  std::vector<uint8_t> packet(datagram.begin(), datagram.end());
  const bool ok = rtcp ? srtp_->unprotectRtcp(packet) : srtp_->unprotectRtp(packet);
  if (!ok) {
    // NOTE: replays and packets of a stale key are routine (NACK resends racing):
    // counted, logged at debug only.
    ++stats_.srtpErrors;
    return;
  }
  ice_.onValidTraffic(*remote_, static_cast<int64_t>(loop_.nowMs()));
  if (rtcp) {
    ++stats_.rtcpIn;
    if (callbacks_.rtcp) callbacks_.rtcp(packet);
  } else {
    ++stats_.rtpIn;
    if (callbacks_.rtp) callbacks_.rtp(packet);
  }
}

void PeerTransport::onDtlsConnected() {
  auto keys = dtls_->srtpKeys();
  if (!keys) {
    fail("dtls: no SRTP profile was negotiated");
    return;
  }
  std::string error;
  srtp_ = SrtpSession::create(*keys, error);
  if (!srtp_) {
    fail("srtp: " + error);
    return;
  }
  spdlog::info("{}: DTLS connected, SRTP keyed ({})", name_, srtpProfileName(srtp_->profile()));
  if (data_) startSctp();
  if (callbacks_.connected) callbacks_.connected();
}

void PeerTransport::startSctp() {
  SctpAssociation::Callbacks c;
  // NOTE: SCTP packets go out as DTLS application data. This may run inside the
  // DTLS callback that delivered the peer's packet: SctpStack defers re-entry.
  c.send = [this](std::span<const uint8_t> packet) {
    if (dtls_ && !failed_) dtls_->send(packet);
  };
  c.channelOpen = [this](uint16_t stream, const std::string& label, const std::string&) {
    spdlog::info("{}: data channel \"{}\" opened (stream {})", name_, label, stream);
    if (callbacks_.channelOpen) callbacks_.channelOpen(stream, label);
  };
  c.message = [this](uint16_t stream, bool text, std::span<const uint8_t> bytes) {
    if (callbacks_.channelMessage) callbacks_.channelMessage(stream, text, bytes);
  };
  c.channelClosed = [this](uint16_t stream) {
    spdlog::info("{}: data channel on stream {} closed by the peer", name_, stream);
    if (callbacks_.channelClosed) callbacks_.channelClosed(stream);
  };
  c.failed = [this](const std::string& reason) {
    // The media goes on without the data channel.
    spdlog::warn("{}: data channel failed: {}", name_, reason);
  };
  sctp_ = std::make_unique<SctpAssociation>(*sctpHost_.stack, data_->localSctpPort, data_->sctpPort,
                                            data_->maxMessageSize, localDtlsClient_, std::move(c),
                                            name_);
  if (sctpHost_.wake) sctpHost_.wake();
}

bool PeerTransport::sendText(uint16_t stream, std::string_view text) {
  return sctp_ && !failed_ && sctp_->isConnected() && sctp_->sendText(stream, text);
}

void PeerTransport::closeChannel(uint16_t stream) {
  if (sctp_ && !failed_) sctp_->closeChannel(stream);
}

bool PeerTransport::sendRtp(std::span<uint8_t> buffer, size_t length) {
  if (!srtp_ || !remote_ || failed_) return false;
  if (!srtp_->protectRtp(buffer, length)) {
    ++stats_.srtpErrors;
    return false;
  }
  ++stats_.rtpOut;
  // NOTE: queued: every viewer's copy of a packet leaves in one sendmmsg(2) this
  // loop turn. A drop for a full kernel buffer is counted by the socket then.
  if (!socket_.queue(buffer.first(length), *remote_)) {
    ++stats_.sendDropped;
    return false;
  }
  return true;
}

bool PeerTransport::sendRtcp(std::vector<uint8_t> packet) {
  if (!srtp_ || !remote_ || failed_) return false;
  if (!srtp_->protectRtcp(packet)) {
    ++stats_.srtpErrors;
    return false;
  }
  ++stats_.rtcpOut;
  if (!socket_.queue(packet, *remote_)) {  // after the RTP it reports on
    ++stats_.sendDropped;
    return false;
  }
  return true;
}

bool PeerTransport::sendDtlsData(std::span<const uint8_t> bytes) {
  return dtls_ && !failed_ && dtls_->send(bytes);
}

void PeerTransport::sendRaw(std::span<const uint8_t> bytes) {
  if (!remote_) return;  // nothing selected yet: the peer retransmits
  if (!socket_.send(bytes, *remote_)) ++stats_.sendDropped;
}

void PeerTransport::checkLiveness() {
  const int64_t now = static_cast<int64_t>(loop_.nowMs());
  if (!srtp_ && now - createdMs_ > limits_.handshakeTimeoutMs) {
    fail(remote_
             ? "DTLS handshake not done in " + std::to_string(limits_.handshakeTimeoutMs) + " ms"
             : "no ICE check in " + std::to_string(limits_.handshakeTimeoutMs) + " ms");
    return;
  }
  if (remote_ && ice_.consentExpired(now))
    fail("no valid traffic for " + std::to_string(limits_.consentTimeoutMs) +
         " ms (consent expired)");
}

void PeerTransport::close() {
  if (dtls_ && srtp_ && !failed_) dtls_->close();
  dtlsTimer_.stop();
  liveness_.stop();
}

void PeerTransport::fail(const std::string& reason) {
  if (failed_) return;
  failed_ = true;
  dtlsTimer_.stop();
  liveness_.stop();
  if (callbacks_.failed) callbacks_.failed(reason);
}

}  // namespace webrtc
