// HlsServer: keeps the HLS taps (MPEG-TS HlsStream, fMP4 LlHlsStream) on every
// published Stream and serves them from memory: `/{app}/{name}.m3u8` and
// `/{app}/{name}/{n}.ts`; `/{app}/{name}/ll.m3u8` and `/{app}/{name}/ll/...`; the
// master playlists `/{app}/{name}/master.m3u8` and `/{app}/{name}/ll/master.m3u8`.
// Owned by main(); loop thread.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "core/auth/url_signer.hpp"
#include "core/media/stream_registry.hpp"
#include "protocols/hls/hls_stream.hpp"
#include "protocols/hls/ll_hls_stream.hpp"
#include "protocols/http/http_server.hpp"

namespace hls {

class HlsServer : public core::StreamObserver {
 public:
  // `libs` (main's) is handed to every HlsStream's muxer.
  HlsServer(core::EventLoop& loop, av::Libraries& libs, http::HttpServer& http,
            core::StreamRegistry& registry, HlsOptions options,
            std::optional<LlHlsOptions> llOptions, const core::UrlSigner* signer);
  ~HlsServer() override;

  void onPublish(const core::Stream& stream) override;
  // Players of a stream: connections that loaded its playlist lately, per
  // rendition ("hls", "llhls"). HTTP has no session, so this is a recent count.
  std::map<std::string, int> viewers(const std::string& key);
  size_t streamCount() const { return streams_.size(); }

 private:
  http::HttpResponse serve(const http::HttpRequest& req, http::HttpExchange& exchange);
  void expire(const std::string& key);
  // The master playlist of app/name: its renditions with their bit rates.
  http::HttpResponse masterResponse(const std::string& app, const std::string& name,
                                    const std::string& query, bool ll) const;
  // EXT-X-RENDITION-REPORTs for the LL-HLS playlist of `key`: the other members
  // of its group that have a part, URIs relative to /{app}/{name}/ll.m3u8.
  std::vector<RenditionReport> renditionReports(const std::string& key,
                                                const std::string& query) const;
  // The query a variant URI carries when playing is signed ("" when not).
  std::string variantQuery(const std::string& app, const std::string& variantName,
                           const std::string& masterName, const std::string& masterQuery) const;

  core::EventLoop& loop_;
  av::Libraries& libs_;
  core::StreamRegistry& registry_;
  struct Renditions {
    std::unique_ptr<HlsStream> ts;
    std::unique_ptr<LlHlsStream> ll;          // null when LL-HLS is off
    std::map<std::string, uint64_t> seen[2];  // peer -> last playlist request (ms): hls, llhls
  };
  void notePlayer(Renditions& r, bool ll, const std::string& peer);

  HlsOptions options_;
  LlHlsOptions llOptions_;
  bool llEnabled_;
  const core::UrlSigner* signer_;
  std::map<std::string, Renditions> streams_;
};

}  // namespace hls
