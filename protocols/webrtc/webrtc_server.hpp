// WebrtcServer: WHIP (RFC 9725) at POST /whip/{app}/{name} and WHEP at POST
// /whep/{app}/{name} on the HTTP server; the sessions' media on one UDP socket,
// routed by the peer's address once ICE selected it, else by the STUN USERNAME.
// Owns the sessions; owned by main(); loop thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/auth/url_signer.hpp"
#include "core/loop/event_loop.hpp"
#include "core/loop/text_channel.hpp"
#include "core/loop/timer.hpp"
#include "core/loop/udp_socket.hpp"
#include "core/media/audio_variant_demand.hpp"
#include "core/media/stream_registry.hpp"
#include "core/media/webrtc_renditions.hpp"
#include "protocols/http/http_server.hpp"
#include "protocols/webrtc/dtls_identity.hpp"
#include "protocols/webrtc/peer_transport.hpp"
#include "protocols/webrtc/sctp_stack.hpp"
#include "protocols/webrtc/sdp_session.hpp"
#include "protocols/webrtc/webrtc_session.hpp"

namespace webrtc {

struct WebrtcOptions {
  // The admin check of GET /api/v1/webrtc/sessions (main wires the room's): its
  // refusal, or nullopt to go on. Unset: the list is refused (403), since each
  // session's id ends it by DELETE.
  std::function<std::optional<http::HttpResponse>(const http::HttpRequest&)> adminCheck;
  std::string host = "0.0.0.0";
  uint16_t port = 8000;
  std::vector<std::string> announce;  // candidate IPs; empty: see WebrtcConfig
  size_t maxSessions = 1000;
  size_t maxSessionsPerIp = 20;
  TransportLimits limits;
  std::string bearerToken;
  // The bit rate WHIP publishers are told they may send (REMB) until loss lowers it.
  uint64_t whipMaxKbps = 6000;
  const core::UrlSigner* publishSigner = nullptr;  // WHIP needs a signed URL (or the token)
  const core::UrlSigner* playSigner = nullptr;     // WHEP likewise
  // The mixer's Opus variant for WHEP viewers of an AAC/MP3 stream; null: none
  // (such a stream plays without sound). Outlives the server (main owns both).
  core::AudioVariantDemand* audioVariants = nullptr;
  // Serves a session's "room" data channel (the room protocol; main wires the
  // RoomServer's). Empty: the channel gets the room's events (WHEP) but its
  // requests are refused.
  core::TextChannelFactory roomChannels;
  // A source with B-frames is played from its B-frame-free rendition (the mixer's);
  // null: played as it is (a warning).
  core::WebrtcRenditions* renditions = nullptr;
};

class WebrtcServer {
 public:
  // nullptr and `error` when the UDP port cannot be bound or the DTLS identity
  // cannot be made (a start-up error).
  static std::unique_ptr<WebrtcServer> create(core::EventLoop& loop, http::HttpServer& http,
                                              core::StreamRegistry& registry, WebrtcOptions options,
                                              std::string& error);
  ~WebrtcServer();
  WebrtcServer(const WebrtcServer&) = delete;
  WebrtcServer& operator=(const WebrtcServer&) = delete;

  uint16_t udpPort() const { return socket_->port(); }
  size_t sessions() const { return sessions_.size(); }
  void closeAll(const std::string& reason);

  // For the sessions: their loop, socket, identity, registry and limits.
  core::EventLoop& loop() { return loop_; }
  core::UdpSocket& socket() { return *socket_; }
  const DtlsIdentity& identity() const { return *identity_; }
  core::StreamRegistry& registry() { return registry_; }
  const WebrtcOptions& options() const { return options_; }
  // The data channels' SCTP stack and the wake-up of its timer, for a session's
  // transport (no stack: data channels refused).
  PeerTransport::SctpHost sctpHost();
  // The WHEP video counters of every session since start, for the API: the ended
  // sessions add theirs here when they close (the live ones are added when asked).
  struct WhepTotals {
    uint64_t sessions = 0, nackedSeqs = 0, resent = 0, keyframesFromCache = 0;
    uint64_t keyframeRequests = 0, keyframesOnlyTimes = 0;
  };
  WhepTotals& endedWhepTotals() { return endedWhep_; }
  // A session closed itself: unrouted now, destroyed after this loop turn.
  void remove(WebrtcSession* session);
  // The session's transport selected the peer's address: route it there.
  void routeAddress(WebrtcSession* session, const sockaddr_storage& address);

 private:
  WebrtcServer(core::EventLoop& loop, core::StreamRegistry& registry, WebrtcOptions options);
  void registerRoutes(http::HttpServer& http);
  http::HttpResponse offer(const http::HttpRequest& req, bool whip);
  // Makes the session of an offer that passed the checks (nullptr, `status`, `error`
  // when the offer cannot be answered) and routes it.
  // `id` holds the stream key, the peer's IP and its room login.
  WebrtcSession* open(bool whip, const std::string& app, const std::string& name,
                      WebrtcSession::Identity id, const SdpSession& offer, int& status,
                      std::string& error);
  http::HttpResponse endSession(const http::HttpRequest& req);
  std::string authorize(const http::HttpRequest& req, bool whip, const std::string& app,
                        const std::string& name) const;
  void onDatagram(std::span<const uint8_t> datagram, const sockaddr_storage& from);
  std::vector<LocalEndpoint::Candidate> candidates() const;

  core::EventLoop& loop_;
  core::StreamRegistry& registry_;
  WebrtcOptions options_;
  std::unique_ptr<DtlsIdentity> identity_;
  std::unique_ptr<core::UdpSocket> socket_;
  std::unique_ptr<SctpStack> sctp_;
  // 10 ms while any association exists (usrsctp without threads needs its timers run).
  std::unique_ptr<core::Timer> sctpTimer_;
  uint64_t sctpTickAt_ = 0;
  std::map<std::string, std::unique_ptr<WebrtcSession>> sessions_;  // by id
  std::map<std::string, WebrtcSession*> byUfrag_;                   // our ICE ufrag
  std::map<core::AddressKey, WebrtcSession*> byAddress_;            // the selected peer
  std::map<std::string, size_t> perIp_;                             // HTTP peer IP -> sessions
  uint64_t unrouted_ = 0;
  WhepTotals endedWhep_;
  bool destroying_ = false;  // in the destructor: remove() destroys at once
};

}  // namespace webrtc
