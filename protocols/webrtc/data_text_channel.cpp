#include "protocols/webrtc/data_text_channel.hpp"

#include <spdlog/spdlog.h>

namespace webrtc {

DataTextChannel::DataTextChannel(PeerTransport& transport, uint16_t stream, std::string peer,
                                 std::string name)
    : transport_(transport), stream_(stream), peer_(std::move(peer)), name_(std::move(name)) {}

DataTextChannel::~DataTextChannel() = default;

void DataTextChannel::setHandler(std::unique_ptr<core::TextChannelHandler> handler) {
  handler_ = std::move(handler);
}

void DataTextChannel::onPeerMessage(bool text, std::span<const uint8_t> bytes) {
  if (closed_) return;
  if (!handler_) {
    if (++refused_ == 1)
      spdlog::info("{}: room channel messages refused: the room is not served here", name_);
    sendText(R"({"event":"error","code":10003,"info":"the room is not served on this channel"})");
    return;
  }
  handler_->onMessage(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                      text);
}

bool DataTextChannel::sendText(std::string_view text) {
  if (closed_) return false;
  if (transport_.sendText(stream_, text)) {
    ++sent_;
    return true;
  }
  ++dropped_;
  return false;
}

void DataTextChannel::close(std::string_view reason, bool violation) {
  if (closed_) return;
  spdlog::info("{}: closing the room channel{}: {}", name_, violation ? " (violation)" : "",
               reason);
  transport_.closeChannel(stream_);
  finish(reason);
}

void DataTextChannel::onPeerClosed() {
  finish("the peer closed the channel");
}

void DataTextChannel::end(std::string_view reason) {
  finish(reason);
}

void DataTextChannel::finish(std::string_view reason) {
  if (closed_) return;
  closed_ = true;
  // NOTE: the handler hears it now but lives until the session is destroyed (after
  // this loop turn): this may run inside its own onMessage.
  if (handler_) handler_->onClose(reason);
}

}  // namespace webrtc
