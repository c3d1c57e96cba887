// WebrtcSession: one WHIP or WHEP peer connection: its id (the Location the client
// DELETEs), its ICE credentials, its PeerTransport, and the "room" data channel the
// peer may open (the room protocol, through the server's channel factory). The role
// (WhipSession, WhepSession) moves the media. Owned by WebrtcServer; loop thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "protocols/webrtc/data_text_channel.hpp"
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
    // The room login the request's URL carried (userid, usersig; "" none).
    std::string user, usersig;
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

  void onDatagram(std::span<const uint8_t> datagram, const sockaddr_storage& from);
  // Ends the session (logged with the reason) and hands it back to the server.
  void close(std::string_view reason);

 protected:
  virtual void onConnected() = 0;
  virtual void onRtp(std::vector<uint8_t>& packet) = 0;
  virtual void onRtcp(std::vector<uint8_t>& packet) = 0;
  // The role's media also carries the stream's room events (a WHEP viewer's).
  virtual bool mediaCarriesRoomEvents() const = 0;
  // The "room" data channel, once the peer opened it (else null).
  DataTextChannel* roomChannel() { return room_.get(); }
  // The role's own teardown (unsubscribe, release the lease), before the transport.
  virtual void onClose(std::string_view reason) {}

  WebrtcServer& server_;
  Identity identity_;
  const char* role_;
  std::string name_;  // "whep 127.0.0.1 live/demo <id>": log lines
  std::unique_ptr<PeerTransport> transport_;
  bool closed_ = false;

 private:
  void onChannelOpen(uint16_t stream, const std::string& label);
  void onChannelMessage(uint16_t stream, bool text, std::span<const uint8_t> bytes);

  // NOTE: declared after transport_, so it (and the room session it holds) goes first.
  std::unique_ptr<DataTextChannel> room_;
};

}  // namespace webrtc
