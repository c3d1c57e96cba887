// ReplayServer: serves closed recordings as HLS VOD (R4 status 5, M6) with the
// room's events at their original times, inside the segments (hls.js turns them
// into id3 cues); /replay/{id}/events.json gives the event log, and a WebVTT
// subtitle rendition shows the danmaku for players that only show subtitles.
// Segments are runs of the file's fragments from one keyframe to the next, read
// asynchronously:
//   - fMP4 files: served as they are (byte ranges), with their emsg ID3 boxes;
//   - FLV files: remuxed to MPEG-TS per request (TsMuxer, on a worker thread),
//     each onTextData room event a timed ID3 tag at its time.
// Registered by main(); loop thread.
//
//   GET /replay/{id}.m3u8            media playlist (EXT-X-PLAYLIST-TYPE:VOD)
//   GET /replay/{id}/master.m3u8     the media + the "danmaku" subtitles group
//   GET /replay/{id}/init.mp4, /replay/{id}/{n}.m4s   (fMP4 recordings)
//   GET /replay/{id}/{n}.ts                            (FLV recordings)
//   GET /replay/{id}/events.json     [{"t", "streamTime", "event"}, ...]
//   GET /replay/{id}/subs.m3u8, /replay/{id}/subs/{n}.vtt
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/buffer/shared_buffer.hpp"
#include "core/media/recording_file.hpp"
#include "protocols/http/http_server.hpp"

namespace av {
class Libraries;
}

namespace hls {

// The replay's segments: runs of fragments that start at an independent one.
struct ReplaySegment {
  uint64_t offset = 0;
  uint64_t size = 0;
  int64_t startMs = 0;
  int64_t durationMs = 0;
};
std::vector<ReplaySegment> replaySegments(const std::vector<core::FragmentInfo>& fragments);

// The VOD media playlist of `file` ("{id}/" is the URI prefix of its parts):
// fMP4 segments after an EXT-X-MAP for an fMP4 file, TS segments for an FLV file.
std::string replayPlaylist(const core::RecordingFile& file,
                           const std::vector<ReplaySegment>& segments);

// A WebVTT segment [startMs, startMs + durationMs) of the danmaku in `eventLog`
// (JSON lines as the recorder writes them): each text message shown 3 s as
// "nick: text"; X-TIMESTAMP-MAP on the file's timeline.
std::string replayVtt(const std::string& eventLog, int64_t startMs, int64_t durationMs);

// One TS segment of an FLV recording. `head` is the file's bytes before its first
// fragment (FLV header, metadata, codec configs), `tags` the segment's whole tags.
// Audio and video keep the file's timestamps; each onTextData room event becomes a
// timed ID3 tag (TXXX "roomcast") at its own. nullopt and `error` for bytes that
// are not FLV tags of H.264/AAC. Pure but for loading `libs`' format table once:
// any thread.
std::optional<std::vector<uint8_t>> replayTsSegment(av::Libraries& libs,
                                                    const core::SharedBuffer& head,
                                                    const core::SharedBuffer& tags,
                                                    std::string& error);

// `libs` (main's) loads libavformat for the FLV remux, on a worker thread.
void registerReplay(core::EventLoop& loop, http::HttpServer& http, core::RecordingCatalog& recorder,
                    av::Libraries& libs);

}  // namespace hls
