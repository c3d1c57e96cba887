// MediaSink: anything that consumes a Stream (RTMP play, HTTP-FLV, HLS, recorder,
// mixer input). Called on the loop thread by the Stream it is subscribed to; a sink
// must never block and must not destroy its Subscription synchronously from inside
// these callbacks (close through EventLoop::deferDelete instead).
#pragma once

#include <cstdint>
#include <string_view>

#include "core/packet/media_packet.hpp"

namespace core {

class Stream;
class PacketBatch;

// A bit per audio codec, for MediaSink::audioCodecs().
constexpr uint32_t audioCodecBit(Codec codec) {
  return uint32_t{1} << static_cast<uint32_t>(codec);
}
// What FLV (RTMP, HTTP-FLV), MPEG-TS/fMP4 (HLS, LL-HLS), the recorder and the mixer's
// ladder carry. Unknown: a codec the FLV reader could not name, passed as before.
inline constexpr uint32_t kFlvAudioCodecs =
    audioCodecBit(Codec::AAC) | audioCodecBit(Codec::Mp3) | audioCodecBit(Codec::Unknown);
inline constexpr uint32_t kOpusAudio = audioCodecBit(Codec::Opus);

class MediaSink {
 public:
  virtual ~MediaSink() = default;
  // A publisher started (or a new one took over after a drop): config packets and
  // metadata follow through onPacket.
  virtual void onStreamStart(const Stream& stream) {}
  virtual void onPacket(const MediaPacket& packet) = 0;
  // True: a media packet comes with the Data packets released just before it in
  // `packet.leading`, and this sink writes them first. False: the Stream hands it
  // each of them through onPacket before the packet (which then has no `leading`).
  // NOTE: a sink with one queue item per packet per viewer saves an item, a push
  // and an iovec per event per viewer by taking them.
  virtual bool takesLeadingData() const { return false; }
  // True: with StreamOptions::batchMs > 0, the Stream gathers its live packets for
  // that long and hands them to this sink at once through onBatch, instead of one
  // onPacket each (the join burst still comes through onPacket). Asked once, when
  // the sink subscribes.
  // NOTE: a viewer's state is then touched once per window instead of once per
  // packet; with hundreds of viewers those cache misses were most of the fan-out's
  // own CPU.
  virtual bool takesBatches() const { return false; }
  // The live packets batch.packets()[from..] (the ones before `from` came in this
  // sink's join burst). The default hands each to onPacket, with its leading data
  // first unless the sink takes leading data.
  virtual void onBatch(const PacketBatch& batch, size_t from);
  // The audio codecs this sink takes (audioCodecBit of each); asked once, when it
  // subscribes. A Stream may carry audio in two codecs, its publisher's and the
  // mixer's variant (Stream::addAudioVariant): a sink gets the packets, config
  // included, of the codecs it takes only. Default: kFlvAudioCodecs.
  virtual uint32_t audioCodecs() const { return kFlvAudioCodecs; }
  bool takesAudio(Codec codec) const { return (audioCodecs() & audioCodecBit(codec)) != 0; }
  // The publisher dropped; the Stream waits the reconnect grace period.
  virtual void onPublisherGone(std::string_view reason) {}
  // The Stream is over (no publisher within the grace period, or shutdown).
  virtual void onStreamEnd(std::string_view reason) = 0;
};

}  // namespace core
