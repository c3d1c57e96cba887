#include "protocols/hls/replay_server.hpp"

#include <spdlog/spdlog.h>

#include <charconv>
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/format/flv_tag.hpp"
#include "core/format/json_text.hpp"
#include "core/format/timed_metadata.hpp"
#include "core/loop/async_file.hpp"
#include "core/loop/worker.hpp"
#include "core/media/room_event_packet.hpp"
#include "protocols/hls/ts_muxer.hpp"

namespace hls {
namespace {

using http::HttpExchange;
using http::HttpRequest;
using http::HttpResponse;

const std::string kPrefix = "/replay/";
constexpr size_t kMaxEventLogBytes = 32 << 20;
// A line of the log: one room event (as carried in the media) and its times.
constexpr size_t kMaxEventLineBytes = core::kMaxRoomEventTextBytes + 256;
constexpr size_t kMaxSegmentBytes = 256 << 20;
// An FLV file's header, metadata and codec configs come before its first fragment.
constexpr size_t kMaxFlvHeadBytes = 1 << 20;
constexpr int64_t kDanmakuShownMs = 3000;

std::optional<uint64_t> number(std::string_view text) {
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return n;
}

HttpResponse text(std::string body, const char* type) {
  HttpResponse r;
  r.contentType = type;
  r.headers["Cache-Control"] = "public, max-age=3600";
  r.body = std::move(body);
  return r;
}

void each(const std::string& log, const std::function<void(const nlohmann::json&)>& fn) {
  size_t pos = 0;
  while (pos < log.size()) {
    size_t end = log.find('\n', pos);
    if (end == std::string::npos) end = log.size();
    // NOTE: a line cut by a crash does not parse and is skipped.
    const auto line =
        core::readJson(std::string_view(log).substr(pos, end - pos), kMaxEventLineBytes).value;
    if (line.is_object()) fn(line);
    pos = end + 1;
  }
}

}  // namespace

std::vector<ReplaySegment> replaySegments(const std::vector<core::FragmentInfo>& fragments) {
  std::vector<ReplaySegment> out;
  for (const auto& f : fragments) {
    if (out.empty() || f.independent) {
      out.push_back({f.offset, f.size, f.startMs, f.durationMs});
      continue;
    }
    auto& s = out.back();
    s.size = f.offset + f.size - s.offset;
    s.durationMs = f.startMs + f.durationMs - s.startMs;
  }
  return out;
}

std::string replayPlaylist(const core::RecordingFile& file,
                           const std::vector<ReplaySegment>& segments) {
  const bool ts = file.format == "flv";
  int64_t longest = 1;
  for (const auto& s : segments) longest = std::max(longest, s.durationMs);
  std::string out = ts ? "#EXTM3U\n#EXT-X-VERSION:3\n" : "#EXTM3U\n#EXT-X-VERSION:7\n";
  out += "#EXT-X-PLAYLIST-TYPE:VOD\n";
  out += "#EXT-X-TARGETDURATION:" + std::to_string((longest + 999) / 1000) + "\n";
  out += "#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-INDEPENDENT-SEGMENTS\n";
  if (!ts) out += "#EXT-X-MAP:URI=\"" + file.id + "/init.mp4\"\n";
  for (size_t i = 0; i < segments.size(); ++i) {
    char extinf[48];
    std::snprintf(extinf, sizeof extinf, "#EXTINF:%.3f,\n", segments[i].durationMs / 1000.0);
    out += extinf;
    out += file.id + "/" + std::to_string(i) + (ts ? ".ts\n" : ".m4s\n");
  }
  out += "#EXT-X-ENDLIST\n";
  return out;
}

std::string replayVtt(const std::string& eventLog, int64_t startMs, int64_t durationMs) {
  std::vector<core::VttCue> cues;
  each(eventLog, [&](const nlohmann::json& line) {
    const auto t = line.value("t", int64_t{-1});
    if (t < startMs || t >= startMs + durationMs) return;
    const auto& e = line.value("event", nlohmann::json::object());
    if (!e.is_object() || e.value("event", "") != "message" || e.value("msgType", "") != "text")
      return;
    const auto& body = e.value("body", nlohmann::json::object());
    const auto& from = e.value("from", nlohmann::json::object());
    if (!body.is_object() || !body.value("text", nlohmann::json()).is_string()) return;
    std::string nick = from.is_object() ? from.value("nick", from.value("id", "")) : "";
    cues.push_back({t, t + kDanmakuShownMs, nick + ": " + body["text"].get<std::string>()});
  });
  // NOTE: the file's timeline starts at 0 (tfdt 0 in fMP4, PTS 0 in the TS remux
  // of an FLV file), which is where players anchor the rendition: MPEGTS 0 maps
  // to LOCAL 0.
  return core::buildWebVtt(cues, 0, 0);
}

namespace {

// Calls `fn(header, body)` for each whole tag of `bytes` from `pos`; false and
// `error` if a tag is cut or its PreviousTagSize does not match.
template <typename Fn>
bool eachFlvTag(const core::SharedBuffer& bytes, size_t pos, std::string& error, Fn&& fn) {
  while (pos < bytes.size()) {
    auto header = core::parseFlvTagHeader(bytes.span().subspan(pos));
    const size_t end =
        header ? pos + core::kFlvTagHeaderSize + header->dataSize + core::kFlvPreviousTagSizeBytes
               : 0;
    if (!header || end > bytes.size()) {
      error = "an FLV tag is cut at byte " + std::to_string(pos);
      return false;
    }
    const size_t bodyAt = pos + core::kFlvTagHeaderSize;
    const uint8_t* tail = bytes.data() + end - core::kFlvPreviousTagSizeBytes;
    const uint32_t previous =
        (uint32_t{tail[0]} << 24) | (uint32_t{tail[1]} << 16) | (uint32_t{tail[2]} << 8) | tail[3];
    if (previous != core::kFlvTagHeaderSize + header->dataSize) {
      error = "the FLV tag at byte " + std::to_string(pos) + " has a wrong PreviousTagSize";
      return false;
    }
    fn(*header, bytes.slice(bodyAt, header->dataSize));
    pos = end;
  }
  return true;
}

}  // namespace

std::optional<std::vector<uint8_t>> replayTsSegment(av::Libraries& libs,
                                                    const core::SharedBuffer& head,
                                                    const core::SharedBuffer& tags,
                                                    std::string& error) {
  if (head.size() < core::kFlvFileHeaderSize + core::kFlvPreviousTagSizeBytes ||
      head.view().substr(0, 3) != "FLV") {
    error = "not an FLV file";
    return std::nullopt;
  }
  std::optional<core::MediaPacket> videoConfig, audioConfig;
  std::vector<core::MediaPacket> packets;
  std::vector<std::pair<int64_t, std::string>> events;
  auto take = [&](const core::FlvTagHeader& h, const core::SharedBuffer& body) {
    if (h.tagType == core::kFlvTagScript) {
      core::MediaPacket p;
      p.codec = core::Codec::RoomEvent;
      p.payload = body;
      if (auto json = core::roomEventText(p)) events.emplace_back(h.timestampMs, std::move(*json));
      return;
    }
    if (h.tagType != core::kFlvTagVideo && h.tagType != core::kFlvTagAudio) return;
    auto parsed = h.tagType == core::kFlvTagVideo ? core::parseFlvVideo(h.timestampMs, body)
                                                  : core::parseFlvAudio(h.timestampMs, body);
    if (!parsed.isPacket()) return;
    // NOTE: configs before the segment's first frame (the file's, then any the
    // publisher sent since, e.g. for a new resolution) set up the muxer; one in
    // the middle of a segment is not applied.
    if (parsed.packet.config && packets.empty())
      (parsed.packet.isVideo() ? videoConfig : audioConfig) = std::move(parsed.packet);
    else if (!parsed.packet.config)
      packets.push_back(std::move(parsed.packet));
  };
  if (!eachFlvTag(head, core::kFlvFileHeaderSize + core::kFlvPreviousTagSizeBytes, error, take) ||
      !eachFlvTag(tags, 0, error, take))
    return std::nullopt;
  if (packets.empty()) {
    error = "no audio or video in the segment";
    return std::nullopt;
  }
  try {
    TsMuxer muxer(libs, videoConfig, audioConfig, /*timedId3=*/true);
    size_t next = 0;
    auto writeEventsBefore = [&](int64_t dts) {
      for (; next < events.size() && events[next].first <= dts; ++next) {
        const std::string values[] = {std::move(events[next].second)};
        muxer.writeId3(events[next].first, core::buildId3Tag(values));
      }
    };
    for (const auto& p : packets) {
      writeEventsBefore(p.dts);
      if (!muxer.write(p)) {
        error = muxer.error();
        return std::nullopt;
      }
    }
    writeEventsBefore(INT64_MAX);
    muxer.flush();
    return muxer.takeBytes();
  } catch (const std::exception& e) {
    error = e.what();
    return std::nullopt;
  }
}

namespace {

// One request under /replay/: which recording and which part of it.
class ReplayRequest {
 public:
  ReplayRequest(core::EventLoop& loop, core::RecordingCatalog& recorder, av::Libraries& libs,
                HttpExchange& exchange)
      : loop_(loop), recorder_(recorder), libs_(libs), exchange_(exchange) {}

  HttpResponse answer(const HttpRequest& req) {
    if (req.method != "GET")  // a HEAD arrives as GET (HttpRequest::head)
      return HttpResponse::error(405, "replay is read-only: use GET");
    const std::string rest = req.path.substr(kPrefix.size());
    std::string id, part;
    if (rest.ends_with(".m3u8") && rest.find('/') == std::string::npos) {
      id = rest.substr(0, rest.size() - 5);
      part = "playlist";
    } else if (size_t slash = rest.find('/'); slash != std::string::npos) {
      id = rest.substr(0, slash);
      part = rest.substr(slash + 1);
    }
    file_ = id.empty() ? nullptr : recorder_.find(id);
    if (!file_) return HttpResponse::error(404, "no closed recording \"" + id + "\"");
    if (file_->fragments.empty())
      return HttpResponse::error(404, "recording " + id +
                                          " has no fragment index to replay from (the file is "
                                          "at " +
                                          file_->path + ")");
    const bool flv = file_->format == "flv";
    segments_ = replaySegments(file_->fragments);
    if (part == "playlist")
      return text(replayPlaylist(*file_, segments_), "application/vnd.apple.mpegurl");
    if (part == "master.m3u8") return master();
    if (part == "subs.m3u8") return subtitles();
    if (part == "events.json") return eventLog(std::nullopt);
    if (part.starts_with("subs/") && part.ends_with(".vtt")) {
      auto index = number(std::string_view(part).substr(5, part.size() - 9));
      if (!index || *index >= segments_.size())
        return HttpResponse::error(404, "no such subtitle segment: " + part);
      return eventLog(segments_[*index]);
    }
    if (part == "init.mp4" && !flv) return bytes(0, file_->fragments.front().offset);
    if (const std::string_view ext = flv ? ".ts" : ".m4s"; part.ends_with(ext)) {
      auto index = number(std::string_view(part).substr(0, part.size() - ext.size()));
      if (!index || *index >= segments_.size())
        return HttpResponse::error(404, "no such segment: " + part);
      if (flv) return tsSegment(segments_[*index]);
      return bytes(segments_[*index].offset, segments_[*index].size);
    }
    return HttpResponse::error(404, "no such replay resource: " + part);
  }

 private:
  HttpResponse master() const {
    return text(
        "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n"
        "#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"danmaku\",NAME=\"Danmaku\","
        "LANGUAGE=\"und\",DEFAULT=YES,AUTOSELECT=YES,URI=\"subs.m3u8\"\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=3000000,SUBTITLES=\"danmaku\"\n../" +
            file_->id + ".m3u8\n",
        "application/vnd.apple.mpegurl");
  }

  // The subtitle playlist: one WebVTT segment per media segment, same durations.
  HttpResponse subtitles() const {
    int64_t longest = 1;
    for (const auto& s : segments_) longest = std::max(longest, s.durationMs);
    std::string out = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-PLAYLIST-TYPE:VOD\n";
    out += "#EXT-X-TARGETDURATION:" + std::to_string((longest + 999) / 1000) + "\n";
    out += "#EXT-X-MEDIA-SEQUENCE:0\n";
    for (size_t i = 0; i < segments_.size(); ++i) {
      char extinf[48];
      std::snprintf(extinf, sizeof extinf, "#EXTINF:%.3f,\n", segments_[i].durationMs / 1000.0);
      out += extinf;
      out += "subs/" + std::to_string(i) + ".vtt\n";
    }
    out += "#EXT-X-ENDLIST\n";
    return text(out, "application/vnd.apple.mpegurl");
  }

  // events.json (no segment) or one WebVTT segment, from the event log on disk.
  HttpResponse eventLog(std::optional<ReplaySegment> vtt) {
    auto responder = exchange_.defer();
    core::readFile(loop_, file_->eventsPath, kMaxEventLogBytes,
                   [responder, vtt](const std::string& error, std::string log) {
                     if (!error.empty())
                       return responder->respond(HttpResponse::error(500, "event log: " + error));
                     if (vtt)
                       return responder->respond(text(replayVtt(log, vtt->startMs, vtt->durationMs),
                                                      "text/vtt; charset=utf-8"));
                     nlohmann::json all = nlohmann::json::array();
                     each(log, [&](const nlohmann::json& line) { all.push_back(line); });
                     responder->respond(HttpResponse::json(200, core::dumpJson(all)));
                   });
    return {};
  }

  // A byte range of the recording (the init segment or a media segment).
  HttpResponse bytes(uint64_t offset, uint64_t size) {
    if (size == 0 || size > kMaxSegmentBytes)
      return HttpResponse::error(500, "segment size " + std::to_string(size) + " out of bounds");
    auto responder = exchange_.defer();
    core::readFileRange(
        loop_, file_->path, offset, static_cast<size_t>(size),
        [responder, path = file_->path](const std::string& error, core::SharedBuffer data) {
          if (!error.empty()) {
            spdlog::warn("replay {}: {}", path, error);
            return responder->respond(HttpResponse::error(500, error));
          }
          HttpResponse r;
          r.contentType = "video/mp4";
          r.headers["Cache-Control"] = "public, max-age=31536000";
          r.sharedBody = {std::move(data)};
          responder->respond(r);
        });
    return {};
  }

  // A segment of an FLV file as MPEG-TS: its head and its tags are read, then
  // remuxed on a worker (a copy of every byte, no transcoding: a long GOP at a
  // high bitrate is megabytes, too much to copy on the loop).
  HttpResponse tsSegment(const ReplaySegment& segment) {
    const uint64_t headSize = file_->fragments.front().offset;
    if (headSize == 0 || headSize > kMaxFlvHeadBytes || segment.size > kMaxSegmentBytes)
      return HttpResponse::error(500, "recording " + file_->id + ": segment out of bounds");
    struct Job {
      std::shared_ptr<http::HttpResponder> responder;
      std::string path;
      core::SharedBuffer head, tags;
      std::optional<std::vector<uint8_t>> ts;
      std::string error;
      void fail(const std::string& why) {
        spdlog::warn("replay {}: {}", path, why);
        responder->respond(HttpResponse::error(500, path + ": " + why));
      }
    };
    auto job = std::make_shared<Job>();
    job->responder = exchange_.defer();
    job->path = file_->path;
    core::EventLoop& loop = loop_;
    av::Libraries& libs = libs_;
    auto remux = [&loop, &libs, job] {
      core::runOnWorker(
          loop, [&libs, job] { job->ts = replayTsSegment(libs, job->head, job->tags, job->error); },
          [job] {
            if (!job->ts) return job->fail(job->error);
            HttpResponse r;
            r.contentType = "video/mp2t";
            r.headers["Cache-Control"] = "public, max-age=31536000";
            r.sharedBody = {core::SharedBuffer::adopt(std::move(*job->ts))};
            job->responder->respond(r);
          });
    };
    auto readTags = [&loop, job, segment, remux](const std::string& error,
                                                 core::SharedBuffer head) {
      if (!error.empty()) return job->fail(error);
      job->head = std::move(head);
      core::readFileRange(loop, job->path, segment.offset, static_cast<size_t>(segment.size),
                          [job, remux](const std::string& error, core::SharedBuffer tags) {
                            if (!error.empty()) return job->fail(error);
                            job->tags = std::move(tags);
                            remux();
                          });
    };
    core::readFileRange(loop_, job->path, 0, static_cast<size_t>(headSize), readTags);
    return {};
  }

  core::EventLoop& loop_;
  core::RecordingCatalog& recorder_;
  av::Libraries& libs_;  // main's: outlives the loop and its workers
  HttpExchange& exchange_;
  const core::RecordingFile* file_ = nullptr;
  std::vector<ReplaySegment> segments_;
};

}  // namespace

void registerReplay(core::EventLoop& loop, http::HttpServer& http, core::RecordingCatalog& recorder,
                    av::Libraries& libs) {
  http.route([](const HttpRequest& req) { return req.path.starts_with(kPrefix); },
             [&loop, &recorder, &libs](const HttpRequest& req, HttpExchange& exchange) {
               return ReplayRequest(loop, recorder, libs, exchange).answer(req);
             });
}

}  // namespace hls
