// TextChannel / TextChannelHandler: a channel of text messages (a WebSocket, a WebRTC
// data channel) between the transport that carries it and the logic that speaks
// over it (the room protocol), so neither knows the other's code. The transport
// implements TextChannel and owns the handler a TextChannelFactory made; loop thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/buffer/shared_buffer.hpp"

namespace core {

class TextChannel {
 public:
  virtual ~TextChannel() = default;
  // One message; false when it cannot go (closed, too big, the peer's buffer full).
  virtual bool sendText(std::string_view text) = 0;
  // Ends the channel; `violation`: the peer broke the protocol's rules (a flood).
  // The handler's onClose follows (maybe later); the handler stays alive until the
  // transport destroys it.
  virtual void close(std::string_view reason, bool violation) = 0;
  virtual bool closed() const = 0;
  // The client's address, "ip:port".
  virtual const std::string& peer() const = 0;
  // A channel whose wire form of a text can be built once and shared by every
  // channel of its kind (a WebSocket frame) names the builder; null: sendText.
  using Framer = SharedBuffer (*)(std::string_view text);
  virtual Framer framer() const { return nullptr; }
  // Sends a wire form its framer() built; false when it cannot go.
  virtual bool sendFramed(const SharedBuffer& wire) { return false; }
};

class TextChannelHandler {
 public:
  virtual ~TextChannelHandler() = default;
  // A message from the peer; `text` false for a binary one.
  virtual void onMessage(std::string_view payload, bool text) = 0;
  // The channel is gone (the peer left, or close() was called); no more messages.
  virtual void onClose(std::string_view reason) = 0;
};

// What a transport tells the factory about a channel a peer of one stream opened.
struct TextChannelOpen {
  std::string streamKey;            // "app/name": the stream (and room) of the session
  bool mediaCarriesEvents = false;  // the peer also gets the room's events in its media
  // The peer's credentials from its request ("" none): a UserSig login.
  std::string user, usersig;
};

// Makes the handler of a channel (null: the channel is not served). The handler
// speaks through `channel`, which outlives it.
using TextChannelFactory = std::function<std::unique_ptr<TextChannelHandler>(
    TextChannel& channel, const TextChannelOpen& open)>;

}  // namespace core
