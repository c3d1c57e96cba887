// DataTextChannel: a WHEP/WHIP session's "room" data channel as a core::TextChannel:
// UTF-8 text messages (PPID 51) on one SCTP stream of the session's PeerTransport,
// and the handler the room's factory made for it (the room protocol). Owned by its
// WebrtcSession, which it must not outlive; loop thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "core/loop/text_channel.hpp"
#include "protocols/webrtc/peer_transport.hpp"

namespace webrtc {

class DataTextChannel final : public core::TextChannel {
 public:
  // `peer`: the client's "ip:port"; `name`: the session's log label.
  DataTextChannel(PeerTransport& transport, uint16_t stream, std::string peer, std::string name);
  ~DataTextChannel() override;

  // The handler that speaks over this channel (null: none; messages are refused).
  void setHandler(std::unique_ptr<core::TextChannelHandler> handler);
  uint16_t stream() const { return stream_; }

  // From the session: a message on the channel, the peer closed it, the session ends.
  void onPeerMessage(bool text, std::span<const uint8_t> bytes);
  void onPeerClosed();
  void end(std::string_view reason);

  // core::TextChannel
  bool sendText(std::string_view text) override;
  void close(std::string_view reason, bool violation) override;
  bool closed() const override { return closed_; }
  const std::string& peer() const override { return peer_; }

  uint64_t sent() const { return sent_; }
  uint64_t dropped() const { return dropped_; }

 private:
  void finish(std::string_view reason);

  PeerTransport& transport_;
  uint16_t stream_;
  std::string peer_;
  std::string name_;
  std::unique_ptr<core::TextChannelHandler> handler_;
  bool closed_ = false;
  uint64_t sent_ = 0, dropped_ = 0, refused_ = 0;
};

}  // namespace webrtc
