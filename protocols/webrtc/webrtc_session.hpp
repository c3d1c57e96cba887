// WebrtcSession: one WHIP or WHEP peer connection: its id (the Location the client
// DELETEs), its ICE credentials, its PeerTransport. The role (WhipSession,
// WhepSession) moves the media. Owned by WebrtcServer; loop thread.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "protocols/webrtc/peer_transport.hpp"
#include "protocols/webrtc/sdp_negotiator.hpp"

namespace webrtc {

class WebrtcServer;

class WebrtcSession {
 public:
  struct Identity {
    std::string id;      // random, the session URL's last part
    std::string key;     // "app/name"
    std::string peerIp;  // the HTTP client's address (the per-address limit)
    std::string localUfrag, localPwd;
  };
  WebrtcSession(WebrtcServer& server, Identity identity, const Negotiated& negotiated,
                const char* role);
  virtual ~WebrtcSession();
  WebrtcSession(const WebrtcSession&) = delete;
  WebrtcSession& operator=(const WebrtcSession&) = delete;

  const std::string& id() const { return identity_.id; }
  const std::string& key() const { return identity_.key; }
  const std::string& peerIp() const { return identity_.peerIp; }
  const std::string& localUfrag() const { return identity_.localUfrag; }
  const std::string& name() const { return name_; }
  // The SDP answer the POST returns.
  virtual const std::string& answer() const = 0;
  // The session for GET /api/v1/webrtc/sessions: id, role, stream, peer, transport
  // counters; a role adds its own.
  virtual nlohmann::json describe() const;

  void onDatagram(std::span<const uint8_t> datagram, const sockaddr_storage& from);
  // Ends the session (logged with the reason) and hands it back to the server.
  void close(std::string_view reason);

 protected:
  virtual void onConnected() = 0;
  virtual void onRtp(std::vector<uint8_t>& packet) = 0;
  virtual void onRtcp(std::vector<uint8_t>& packet) = 0;
  // The data channel: a channel the peer opened, a message on it (default: ignored).
  virtual void onChannelOpen(uint16_t stream, const std::string& label) {}
  virtual void onChannelMessage(uint16_t stream, bool text, std::span<const uint8_t> bytes) {}
  // The role's own teardown (unsubscribe, release the lease), before the transport.
  virtual void onClose(std::string_view reason) {}

  WebrtcServer& server_;
  Identity identity_;
  const char* role_;
  std::string name_;  // "whep 127.0.0.1 live/demo <id>": log lines
  std::unique_ptr<PeerTransport> transport_;
  bool closed_ = false;
};

}  // namespace webrtc
