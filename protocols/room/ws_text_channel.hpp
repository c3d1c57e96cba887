// WsTextChannel: a room client's WebSocket as the core::TextChannel its RoomSession
// speaks over: text frames both ways, room events as the shared frame built once
// per event, a flood closed with 1008 and any other close with 1001. Owned by its
// RoomSession; loop thread.
#pragma once

#include <memory>
#include <string>

#include "core/loop/text_channel.hpp"
#include "protocols/http/websocket.hpp"

namespace room {

class WsTextChannel final : public core::TextChannel, public http::WebSocket::Handler {
 public:
  explicit WsTextChannel(std::string peer) : peer_(std::move(peer)) {}

  // Who hears the messages (set before the socket is accepted), and the upgraded
  // socket, which reports to this (its Handler).
  void setHandler(core::TextChannelHandler* handler) { handler_ = handler; }
  void attach(std::unique_ptr<http::WebSocket> ws) { ws_ = std::move(ws); }

  // core::TextChannel
  bool sendText(std::string_view text) override { return ws_ && ws_->sendText(text); }
  void close(std::string_view reason, bool violation) override;
  bool closed() const override { return !ws_ || ws_->closed(); }
  const std::string& peer() const override { return peer_; }
  Framer framer() const override { return &textFrame; }
  bool sendFramed(const core::SharedBuffer& wire) override { return ws_ && ws_->sendFrame(wire); }

  // http::WebSocket::Handler
  void onMessage(http::WsOpcode op, std::string_view payload) override {
    if (handler_) handler_->onMessage(payload, op == http::WsOpcode::Text);
  }
  void onClose(std::string_view reason) override {
    if (handler_) handler_->onClose(reason);
  }

 private:
  static core::SharedBuffer textFrame(std::string_view text);

  std::string peer_;
  core::TextChannelHandler* handler_ = nullptr;
  std::unique_ptr<http::WebSocket> ws_;
};

}  // namespace room
