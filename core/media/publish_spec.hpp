// PublishSpec: who publishes a Stream and what it is — a client's push, a WebRTC
// ingest, or a rendition the server's mixer derives from a source stream (one
// group per source: the HLS master playlist lists it, the room is the source's).
// A plain value.
#pragma once

#include <cstdint>
#include <string>

#include "core/packet/media_packet.hpp"

namespace core {

enum class StreamOrigin : uint8_t { Push, WebRtc, Mixer };

// "push", "webrtc", "mixer" (the streams API's words).
inline const char* toString(StreamOrigin origin) {
  switch (origin) {
    case StreamOrigin::Push:
      return "push";
    case StreamOrigin::WebRtc:
      return "webrtc";
    case StreamOrigin::Mixer:
      return "mixer";
  }
  return "?";
}

struct PublishSpec {
  std::string app, name;
  std::string peer;  // the client's address, or what produces it ("mixer")
  StreamOrigin origin = StreamOrigin::Push;
  // The key of the source stream this one is a rendition of; "" = its own source.
  std::string group;
  std::string label;         // e.g. "720p" (API, logs)
  uint32_t nominalKbps = 0;  // the encoder's target, 0 = not an encoder's
  // The audio codec the publisher announced before sending (WHIP's SDP: Opus), so
  // the mixer's variant is ready before the first picture; Unknown: its first
  // audio packet tells.
  Codec audio = Codec::Unknown;
  // It sends no audio at all (a program's preview, a WHIP publish without an audio
  // track): HTTP-FLV's header then says video only, so players do not wait for audio.
  bool videoOnly = false;
};

}  // namespace core
