// PeerTransport: the transport of one WebRTC peer connection over the server's UDP
// socket: ICE-lite checks (the peer's address), DTLS (keys, the data channel's
// bytes), SRTP/SRTCP, and the SCTP association when the answer accepted a data
// channel. Its role (a WHIP ingest or a WHEP viewer) gets the decrypted RTP and
// RTCP and sends through it. Owned by its session; loop thread.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/loop/event_loop.hpp"
#include "core/loop/timer.hpp"
#include "core/loop/udp_socket.hpp"
#include "protocols/webrtc/dtls_identity.hpp"
#include "protocols/webrtc/dtls_transport.hpp"
#include "protocols/webrtc/ice_lite_agent.hpp"
#include "protocols/webrtc/sctp_association.hpp"
#include "protocols/webrtc/sdp_negotiator.hpp"
#include "protocols/webrtc/srtp_session.hpp"

namespace webrtc {

struct TransportLimits {
  int64_t consentTimeoutMs = 30000;
  int64_t handshakeTimeoutMs = 15000;
  size_t mtu = 1200;
};

class PeerTransport {
 public:
  struct Callbacks {
    std::function<void()> connected;                        // DTLS done, SRTP keyed
    std::function<void(std::vector<uint8_t>& rtp)> rtp;     // decrypted, whole packet
    std::function<void(std::vector<uint8_t>& rtcp)> rtcp;   // decrypted compound
    std::function<void(const std::string& reason)> failed;  // the session must close
    // The data channel (when the answer accepted one): a channel the peer opened, and
    // a message on it.
    std::function<void(uint16_t stream, const std::string& label)> channelOpen;
    std::function<void(uint16_t stream, bool text, std::span<const uint8_t>)> channelMessage;
    // The peer closed a channel (reset its stream).
    std::function<void(uint16_t stream)> channelClosed;
  };
  // The process's SCTP stack and how to wake its timer (WebrtcServer); null stack:
  // no data channel.
  struct SctpHost {
    SctpStack* stack = nullptr;
    std::function<void()> wake;
  };

  // `name` labels the log lines ("whep 127.0.0.1:5000 live/demo").
  PeerTransport(core::EventLoop& loop, core::UdpSocket& socket, const DtlsIdentity& identity,
                const Negotiated& negotiated, std::string localUfrag, std::string localPwd,
                TransportLimits limits, std::string name, Callbacks callbacks, SctpHost sctp);
  ~PeerTransport();
  PeerTransport(const PeerTransport&) = delete;
  PeerTransport& operator=(const PeerTransport&) = delete;

  // A datagram the server routed here (by STUN username or by the peer's address).
  void onDatagram(std::span<const uint8_t> datagram, const sockaddr_storage& from);
  // Encrypts in place and sends to the selected address; false when not connected or
  // dropped. The packet is the first `length` bytes of `buffer`, which has at least
  // SrtpSession::kTailRoom more (the SRTP trailer); its bytes are the SRTP packet after.
  bool sendRtp(std::span<uint8_t> buffer, size_t length);
  // Encrypts and sends to the selected address; false when not connected or dropped.
  bool sendRtcp(std::vector<uint8_t> packet);
  // DTLS application data (the SCTP association's packets).
  bool sendDtlsData(std::span<const uint8_t> bytes);
  // A text message on data channel `stream`; false when there is no association up or
  // the message cannot go (too big, buffer full).
  bool sendText(uint16_t stream, std::string_view text);
  // Closes data channel `stream` (resets our outgoing stream; RFC 8831 6.7).
  void closeChannel(uint16_t stream);
  // Sends close_notify (best effort); the owner closes the session.
  void close();

  bool connected() const { return srtp_ != nullptr; }
  // The peer's selected address, once an ICE check selected one.
  const sockaddr_storage* remote() const { return remote_ ? &*remote_ : nullptr; }
  const std::string& localUfrag() const { return localUfrag_; }
  const std::string& name() const { return name_; }

  struct Stats {
    uint64_t stunIn = 0, stunBad = 0, dtlsIn = 0, rtpIn = 0, rtcpIn = 0, srtpErrors = 0;
    uint64_t rtpOut = 0, rtcpOut = 0, sendDropped = 0, unknownIn = 0;
  };
  const Stats& stats() const { return stats_; }

 private:
  void onStun(std::span<const uint8_t> datagram, const sockaddr_storage& from);
  void onDtls(std::span<const uint8_t> datagram);
  void onSrtp(std::span<const uint8_t> datagram, bool rtcp);
  void onDtlsConnected();
  void startSctp();
  void sendRaw(std::span<const uint8_t> bytes);
  void checkLiveness();
  void fail(const std::string& reason);

  core::EventLoop& loop_;
  core::UdpSocket& socket_;
  std::string localUfrag_;
  std::string name_;
  TransportLimits limits_;
  Callbacks callbacks_;
  IceLiteAgent ice_;
  std::unique_ptr<DtlsTransport> dtls_;
  std::unique_ptr<SrtpSession> srtp_;
  SctpHost sctpHost_;
  std::optional<Negotiated::Data> data_;  // the accepted m=application, if any
  std::unique_ptr<SctpAssociation> sctp_;
  std::optional<sockaddr_storage> remote_;
  core::Timer dtlsTimer_;
  core::Timer liveness_;  // every second: consent freshness, the handshake's deadline
  int64_t createdMs_;
  bool dtlsStarted_ = false;
  bool failed_ = false;
  bool localDtlsClient_;
  Stats stats_;
};

}  // namespace webrtc
