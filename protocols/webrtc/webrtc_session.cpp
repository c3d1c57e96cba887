#include "protocols/webrtc/webrtc_session.hpp"

#include <spdlog/spdlog.h>

#include "protocols/webrtc/webrtc_server.hpp"

namespace webrtc {

WebrtcSession::WebrtcSession(WebrtcServer& server, Identity identity, const Negotiated& negotiated,
                             const char* role)
    : server_(server),
      identity_(std::move(identity)),
      role_(role),
      name_(std::string(role) + " " + identity_.peerIp + " " + identity_.key + " " + identity_.id) {
  PeerTransport::Callbacks c;
  c.connected = [this] { onConnected(); };
  c.rtp = [this](std::vector<uint8_t>& p) { onRtp(p); };
  c.rtcp = [this](std::vector<uint8_t>& p) { onRtcp(p); };
  c.failed = [this](const std::string& reason) { close(reason); };
  c.channelOpen = [this](uint16_t stream, const std::string& label) {
    onChannelOpen(stream, label);
  };
  c.channelMessage = [this](uint16_t stream, bool text, std::span<const uint8_t> bytes) {
    onChannelMessage(stream, text, bytes);
  };
  c.channelClosed = [this](uint16_t stream) {
    if (room_ && room_->stream() == stream) room_->onPeerClosed();
  };
  transport_ = std::make_unique<PeerTransport>(
      server.loop(), server.socket(), server.identity(), negotiated, identity_.localUfrag,
      identity_.localPwd, server.options().limits, name_, std::move(c), server.sctpHost());
}

WebrtcSession::~WebrtcSession() = default;

void WebrtcSession::onDatagram(std::span<const uint8_t> datagram, const sockaddr_storage& from) {
  if (closed_) return;
  const sockaddr_storage* before = transport_->remote();
  const bool had = before != nullptr;
  sockaddr_storage previous{};
  if (had) previous = *before;
  transport_->onDatagram(datagram, from);
  const sockaddr_storage* now = transport_->remote();
  if (!closed_ && now && (!had || !core::sameAddress(previous, *now)))
    server_.routeAddress(this, *now);
}

void WebrtcSession::onChannelOpen(uint16_t stream, const std::string& label) {
  if (label != "room") {
    spdlog::info("{}: data channel \"{}\" ignored: only \"room\" is served", name_,
                 label.substr(0, 64));
    return;
  }
  if (room_) {
    spdlog::info("{}: a second \"room\" channel (stream {}) ignored", name_, stream);
    return;
  }
  const sockaddr_storage* remote = transport_->remote();
  room_ = std::make_unique<DataTextChannel>(
      *transport_, stream, remote ? core::formatAddress(*remote) : identity_.peerIp + ":0", name_);
  if (const auto& factory = server_.options().roomChannels) {
    core::TextChannelOpen open;
    open.streamKey = identity_.key;
    open.mediaCarriesEvents = mediaCarriesRoomEvents();
    open.user = identity_.user;
    open.usersig = identity_.usersig;
    room_->setHandler(factory(*room_, open));
  }
}

void WebrtcSession::onChannelMessage(uint16_t stream, bool text, std::span<const uint8_t> bytes) {
  if (room_ && room_->stream() == stream) room_->onPeerMessage(text, bytes);
}

void WebrtcSession::close(std::string_view reason) {
  if (closed_) return;
  closed_ = true;
  spdlog::info("{}: closed: {}", name_, reason);
  if (room_) {
    spdlog::info("{}: room channel: {} messages sent, {} dropped", name_, room_->sent(),
                 room_->dropped());
    room_->end(reason);
  }
  onClose(reason);
  transport_->close();
  server_.remove(this);
}

}  // namespace webrtc
