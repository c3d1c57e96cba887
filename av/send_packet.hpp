// av::sendPacketCopy: one coded unit handed to a decoder. The bytes are copied into
// `packet` (reused, unreferenced before and after): libavcodec wants
// AV_INPUT_BUFFER_PADDING_SIZE zero bytes after the data, which a SharedBuffer (often
// a slice of a bigger one) does not have. The caller's thread (a mixer worker).
#pragma once

#include <cstdint>
#include <cstring>
#include <span>

extern "C" {
#include <libavcodec/avcodec.h>
}

namespace av {

// The avcodec_send_packet result (or av_new_packet's failure): < 0 is an error.
template <class Api>
int sendPacketCopy(const Api& api, AVCodecContext* decoder, AVPacket* packet,
                   std::span<const uint8_t> bytes, int64_t pts, int64_t dts, bool key = false) {
  api.av_packet_unref(packet);
  int rc = api.av_new_packet(packet, static_cast<int>(bytes.size()));
  if (rc >= 0) {
    std::memcpy(packet->data, bytes.data(), bytes.size());
    packet->pts = pts;
    packet->dts = dts;
    packet->flags = key ? AV_PKT_FLAG_KEY : 0;
    rc = api.avcodec_send_packet(decoder, packet);
  }
  api.av_packet_unref(packet);
  return rc;
}

}  // namespace av
