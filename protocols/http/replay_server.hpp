// ReplayServer: serves closed fMP4 recordings as HLS VOD (R4 status 5, M6) with
// the room's events at their original times: the recorded emsg ID3 boxes ride in
// the segments (hls.js turns them into id3 cues), /replay/{id}/events.json gives
// the event log, and a WebVTT subtitle rendition shows the danmaku for players
// that only show subtitles. Segments are byte ranges of the file (fragments from
// one keyframe to the next) read asynchronously. Registered by main(); loop thread.
//
//   GET /replay/{id}.m3u8            media playlist (EXT-X-PLAYLIST-TYPE:VOD, EXT-X-MAP)
//   GET /replay/{id}/master.m3u8     the media + the "danmaku" subtitles group
//   GET /replay/{id}/init.mp4, /replay/{id}/{n}.m4s
//   GET /replay/{id}/events.json     [{"t", "streamTime", "event"}, ...]
//   GET /replay/{id}/subs.m3u8, /replay/{id}/subs/{n}.vtt
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/media/recording_file.hpp"
#include "protocols/http/http_server.hpp"

namespace http {

// The replay's segments: runs of fragments that start at an independent one.
struct ReplaySegment {
  uint64_t offset = 0;
  uint64_t size = 0;
  int64_t startMs = 0;
  int64_t durationMs = 0;
};
std::vector<ReplaySegment> replaySegments(const std::vector<core::FragmentInfo>& fragments);

// The VOD media playlist of `file` ("{id}/" is the URI prefix of its parts).
std::string replayPlaylist(const core::RecordingFile& file,
                           const std::vector<ReplaySegment>& segments);

// A WebVTT segment [startMs, startMs + durationMs) of the danmaku in `eventLog`
// (JSON lines as the recorder writes them): each text message shown 3 s as
// "nick: text"; X-TIMESTAMP-MAP on the file's timeline.
std::string replayVtt(const std::string& eventLog, int64_t startMs, int64_t durationMs);

void registerReplay(core::EventLoop& loop, HttpServer& http, core::RecordingCatalog& recorder);

}  // namespace http
