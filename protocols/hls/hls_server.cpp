#include "protocols/hls/hls_server.hpp"

#include <spdlog/spdlog.h>

#include <charconv>
#include <ctime>

#include "core/auth/query_string.hpp"
#include "core/loop/event_loop.hpp"
#include "core/media/stream_name.hpp"
#include "protocols/hls/master_playlist.hpp"

namespace hls {
namespace {

enum class Resource {
  TsPlaylist,
  TsSegment,
  TsMaster,
  LlPlaylist,
  LlInit,
  LlPart,
  LlSegment,
  LlMaster
};

struct HlsPath {
  std::string app, name;
  Resource resource = Resource::TsPlaylist;
  uint64_t msn = 0;
  uint64_t part = 0;
};

bool parseNumber(std::string_view s, uint64_t& out) {
  if (s.empty() || s.size() > 19) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// /live/demo.m3u8, /live/demo/12.ts, /live/demo/master.m3u8, /live/demo/ll.m3u8,
// /live/demo/ll/init-0.mp4, /live/demo/ll/12.3.m4s, /live/demo/ll/12.m4s,
// /live/demo/ll/master.m3u8
std::optional<HlsPath> parsePath(std::string_view path) {
  if (path.size() < 2 || path[0] != '/') return std::nullopt;
  std::vector<std::string_view> parts;
  for (size_t start = 1; start <= path.size();) {
    const size_t end = std::min(path.find('/', start), path.size());
    parts.push_back(path.substr(start, end - start));
    start = end + 1;
    if (parts.size() > 4) return std::nullopt;
  }
  HlsPath out;
  if (parts.size() < 2) return std::nullopt;
  out.app = parts[0];
  std::string_view last = parts.back();
  if (parts.size() == 2 && last.ends_with(".m3u8")) {
    out.name = last.substr(0, last.size() - 5);
    out.resource = Resource::TsPlaylist;
  } else if (parts.size() == 3 && last == "ll.m3u8") {
    out.name = parts[1];
    out.resource = Resource::LlPlaylist;
  } else if (parts.size() == 3 && last == "master.m3u8") {
    out.name = parts[1];
    out.resource = Resource::TsMaster;
  } else if (parts.size() == 3 && last.ends_with(".ts")) {
    out.name = parts[1];
    out.resource = Resource::TsSegment;
    if (!parseNumber(last.substr(0, last.size() - 3), out.msn)) return std::nullopt;
  } else if (parts.size() == 4 && parts[2] == "ll") {
    out.name = parts[1];
    if (last == "master.m3u8") {
      out.resource = Resource::LlMaster;
    } else if (last.starts_with("init-") && last.ends_with(".mp4")) {
      out.resource = Resource::LlInit;
      if (!parseNumber(last.substr(5, last.size() - 9), out.msn)) return std::nullopt;
    } else if (last.ends_with(".m4s")) {
      std::string_view stem = last.substr(0, last.size() - 4);
      const auto dot = stem.find('.');
      if (dot == std::string_view::npos) {
        out.resource = Resource::LlSegment;
        if (!parseNumber(stem, out.msn)) return std::nullopt;
      } else {
        out.resource = Resource::LlPart;
        if (!parseNumber(stem.substr(0, dot), out.msn) ||
            !parseNumber(stem.substr(dot + 1), out.part))
          return std::nullopt;
      }
    } else {
      return std::nullopt;
    }
  } else {
    return std::nullopt;
  }
  if (!core::isValidStreamName(out.app) || !core::isValidStreamName(out.name)) return std::nullopt;
  return out;
}

}  // namespace

HlsServer::HlsServer(core::EventLoop& loop, av::Libraries& libs, http::HttpServer& http,
                     core::StreamRegistry& registry, HlsOptions options,
                     std::optional<LlHlsOptions> llOptions, const core::UrlSigner* signer)
    : loop_(loop),
      libs_(libs),
      registry_(registry),
      options_(options),
      llOptions_(llOptions.value_or(LlHlsOptions{})),
      llEnabled_(llOptions.has_value()),
      signer_(signer) {
  registry_.addObserver(this);
  http.route(
      [](const http::HttpRequest& r) {
        return r.method == "GET" && (r.path.ends_with(".m3u8") || r.path.ends_with(".ts") ||
                                     r.path.ends_with(".m4s") || r.path.ends_with(".mp4"));
      },
      [this](const http::HttpRequest& req, http::HttpExchange& ex) { return serve(req, ex); });
}

HlsServer::~HlsServer() = default;

void HlsServer::onPublish(const core::Stream& stream) {
  const std::string key = stream.key();
  auto it = streams_.find(key);
  if (it == streams_.end()) {
    Renditions r;
    r.ts = std::make_unique<HlsStream>(loop_, libs_, stream.app(), stream.name(), options_,
                                       [this, key] { expire(key); });
    if (llEnabled_) {
      r.ll = std::make_unique<LlHlsStream>(loop_, stream.app(), stream.name(), llOptions_,
                                           [] {});  // expires with the TS rendition
      r.ll->setRenditionReports(
          [this, key](const std::string& query) { return renditionReports(key, query); });
    }
    it = streams_.emplace(key, std::move(r)).first;
  }
  it->second.ts->attach(registry_);
  if (it->second.ll) it->second.ll->attach(registry_);
}

void HlsServer::expire(const std::string& key) {
  auto it = streams_.find(key);
  if (it == streams_.end()) return;
  spdlog::debug("hls {}: ended playlists expired", key);
  loop_.deferDelete(std::move(it->second.ts));
  loop_.deferDelete(std::move(it->second.ll));
  streams_.erase(it);
}

namespace {
// A player polls its playlist at least every target duration; one silent for
// this long has gone.
constexpr uint64_t kPlayerGoneMs = 10000;
constexpr size_t kMaxTrackedPlayers = 100000;
}  // namespace

void HlsServer::notePlayer(Renditions& r, bool ll, const std::string& peer) {
  auto& seen = r.seen[ll ? 1 : 0];
  if (seen.size() >= kMaxTrackedPlayers && !seen.contains(peer)) return;
  seen[peer] = loop_.nowMs();
}

std::map<std::string, int> HlsServer::viewers(const std::string& key) {
  std::map<std::string, int> out{{"hls", 0}, {"llhls", 0}};
  auto it = streams_.find(key);
  if (it == streams_.end()) return out;
  const uint64_t now = loop_.nowMs();
  for (int i = 0; i < 2; ++i) {
    auto& seen = it->second.seen[i];
    std::erase_if(seen, [now](const auto& e) { return now - e.second > kPlayerGoneMs; });
    out[i == 0 ? "hls" : "llhls"] = static_cast<int>(seen.size());
  }
  return out;
}

http::HttpResponse HlsServer::serve(const http::HttpRequest& req, http::HttpExchange& exchange) {
  auto path = parsePath(req.path);
  if (!path) return http::HttpResponse::error(400, "not an HLS resource: " + req.path);
  const std::string key = path->app + "/" + path->name;
  const bool master = path->resource == Resource::TsMaster || path->resource == Resource::LlMaster;
  const bool playlist =
      master || path->resource == Resource::TsPlaylist || path->resource == Resource::LlPlaylist;
  if (signer_ && playlist) {
    const auto result = signer_->verify(path->app, path->name, req.query, std::time(nullptr));
    if (result != core::AuthResult::Ok) {
      spdlog::warn("hls {} {}: play refused: {}", req.peer, key, core::toString(result));
      return http::HttpResponse::error(
          403, std::string("play not authorized: ") + core::toString(result));
    }
  }
  auto it = streams_.find(key);
  if (it == streams_.end()) return http::HttpResponse::error(404, "stream not found: " + key);
  if (playlist) notePlayer(it->second, path->resource == Resource::LlPlaylist, req.peer);
  HlsStream& ts = *it->second.ts;
  LlHlsStream* ll = it->second.ll.get();
  const bool wantsLl = path->resource != Resource::TsPlaylist &&
                       path->resource != Resource::TsSegment &&
                       path->resource != Resource::TsMaster;
  if (wantsLl && !ll) return http::HttpResponse::error(404, "LL-HLS is disabled");
  switch (path->resource) {
    case Resource::TsPlaylist:
      return ts.servePlaylist(exchange);
    case Resource::TsSegment:
      return ts.serveSegment(path->msn);
    case Resource::TsMaster:
    case Resource::LlMaster: {
      const bool llMaster = path->resource == Resource::LlMaster;
      return ts.serveWhenSegmented(
          exchange, [this, app = path->app, name = path->name, query = req.query, llMaster] {
            return masterResponse(app, name, query, llMaster);
          });
    }
    case Resource::LlPlaylist: {
      // _HLS_msn=<M>[&_HLS_part=<P>]: a blocking reload (RFC 8216bis 6.2.5.2).
      const auto query = core::QueryString::parse(req.query);
      if (!query.ok()) return http::HttpResponse::error(400, "bad query: " + query.error());
      std::optional<uint64_t> msn, part;
      uint64_t n = 0;
      if (const std::string* m = query.find("_HLS_msn")) {
        if (!parseNumber(*m, n)) return http::HttpResponse::error(400, "malformed _HLS_msn");
        msn = n;
      }
      if (const std::string* p = query.find("_HLS_part")) {
        if (!parseNumber(*p, n)) return http::HttpResponse::error(400, "malformed _HLS_part");
        if (!msn) return http::HttpResponse::error(400, "_HLS_part without _HLS_msn");
        part = n;
      }
      return ll->servePlaylist(msn, part, req.query, exchange);
    }
    case Resource::LlInit:
      return ll->serveInit(static_cast<uint32_t>(path->msn));
    case Resource::LlPart:
      return ll->servePart(path->msn, path->part, exchange);
    case Resource::LlSegment:
      return ll->serveSegment(path->msn);
  }
  return http::HttpResponse::error(400, "unknown HLS resource");
}

http::HttpResponse HlsServer::masterResponse(const std::string& app, const std::string& name,
                                             const std::string& query, bool ll) const {
  // The source and the renditions the mixer derives from it, tallest first.
  std::vector<std::string> names;
  for (const core::Stream* s : registry_.group(app + "/" + name))
    if (s->app() == app) names.push_back(s->name());
  std::vector<Variant> variants;
  for (const std::string& variantName : names) {
    auto it = streams_.find(app + "/" + variantName);
    if (it == streams_.end()) continue;
    const MediaPlaylist::Bitrates rates = it->second.ts->bitrates();
    if (rates.segments == 0) continue;  // not cut yet: no bit rate to state
    Variant v;
    // Relative to /{app}/{name}/master.m3u8 or /{app}/{name}/ll/master.m3u8.
    v.uri = ll ? "../../" + variantName + "/ll.m3u8" : "../" + variantName + ".m3u8";
    v.uri += variantQuery(app, variantName, name, query);
    v.bandwidth = rates.peak;
    v.averageBandwidth = rates.average;
    if (const core::Stream* stream = registry_.find(app + "/" + variantName)) {
      const core::StreamInfo& info = stream->info();
      v.width = info.width;
      v.height = info.height;
      v.fps = info.fps;
      v.codecs = info.codecs;  // RFC 6381; "" when a codec cannot be named (then left out)
    }
    variants.push_back(std::move(v));
  }
  if (variants.empty())
    return http::HttpResponse::error(404, "no rendition of " + app + "/" + name + " has a segment");
  http::HttpResponse r;
  r.contentType = "application/vnd.apple.mpegurl";
  r.headers["Cache-Control"] = "no-cache";
  r.body = renderMasterPlaylist(ll ? 9 : 3, variants);
  return r;
}

std::vector<RenditionReport> HlsServer::renditionReports(const std::string& key,
                                                         const std::string& query) const {
  std::vector<RenditionReport> out;
  const core::Stream* self = registry_.find(key);
  if (!self) return out;  // ended: its group is no longer known
  for (const core::Stream* s : registry_.group(self->groupKey())) {
    if (s == self || s->app() != self->app()) continue;
    auto it = streams_.find(s->key());
    if (it == streams_.end() || !it->second.ll) continue;
    const auto last = it->second.ll->lastPart();
    if (!last) continue;  // nothing to point a player at yet
    // A sibling's playlist from /{app}/{name}/ll.m3u8: ../{sibling}/ll.m3u8.
    out.push_back(
        {"../" + s->name() + "/ll.m3u8" + variantQuery(self->app(), s->name(), self->name(), query),
         last->first, last->second});
  }
  return out;
}

std::string HlsServer::variantQuery(const std::string& app, const std::string& variantName,
                                    const std::string& masterName,
                                    const std::string& masterQuery) const {
  if (!signer_) return {};
  // The master's own signature already verified: the source's playlist takes the
  // same query, a rendition one signed for its own name with the same expiry.
  if (variantName == masterName) return "?" + masterQuery;
  const auto parsed = core::QueryString::parse(masterQuery);
  const std::string* expire = parsed.ok() ? parsed.find("expire") : nullptr;
  int64_t expireUnix = 0;
  if (!expire || std::from_chars(expire->data(), expire->data() + expire->size(), expireUnix).ec !=
                     std::errc())
    return {};
  return "?expire=" + *expire + "&sign=" + signer_->sign(app, variantName, expireUnix);
}

}  // namespace hls
