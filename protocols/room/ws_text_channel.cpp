#include "protocols/room/ws_text_channel.hpp"

namespace room {

void WsTextChannel::close(std::string_view reason, bool violation) {
  if (ws_ && !ws_->closed()) ws_->close(violation ? 1008 : 1001, reason);
}

core::SharedBuffer WsTextChannel::textFrame(std::string_view text) {
  return http::encodeWsFrame(http::WsOpcode::Text, text);
}

}  // namespace room
