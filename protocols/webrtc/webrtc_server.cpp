#include "protocols/webrtc/webrtc_server.hpp"

#include <arpa/inet.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <ctime>

#include "core/auth/query_string.hpp"
#include "core/format/json_text.hpp"
#include "protocols/webrtc/packet_demux.hpp"
#include "protocols/webrtc/sdp_session.hpp"
#include "protocols/webrtc/stun_message.hpp"
#include "protocols/webrtc/webrtc_session.hpp"
#include "protocols/webrtc/whep_session.hpp"
#include "protocols/webrtc/whip_session.hpp"

namespace webrtc {
namespace {

constexpr std::string_view kWhipPrefix = "/whip/";
constexpr std::string_view kWhepPrefix = "/whep/";
constexpr std::string_view kSessionPart = "session/";
constexpr std::string_view kIceChars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

// `n` random ice-chars (RFC 8839 5.4: ufrag >= 4, pwd >= 22 characters).
std::string randomIceText(size_t n) {
  std::string out(n, 'x');
  std::vector<uint8_t> bytes(n);
  RAND_bytes(bytes.data(), static_cast<int>(n));
  for (size_t i = 0; i < n; ++i) out[i] = kIceChars[bytes[i] % kIceChars.size()];
  return out;
}

// "/whip/live/demo" -> app "live", name "demo"; false for anything else.
bool parseStreamPath(std::string_view path, std::string_view prefix, std::string& app,
                     std::string& name) {
  if (!path.starts_with(prefix)) return false;
  path.remove_prefix(prefix.size());
  const size_t slash = path.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == path.size()) return false;
  app = std::string(path.substr(0, slash));
  name = std::string(path.substr(slash + 1));
  auto ok = [](const std::string& s) {
    if (s.size() > 128) return false;
    for (char c : s)
      if (!(isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'))
        return false;
    return s != "." && s != "..";
  };
  return ok(app) && ok(name);
}

// The IP of an HTTP peer "1.2.3.4:5678" or "[::1]:5678".
std::string peerIp(const std::string& peer) {
  const size_t colon = peer.rfind(':');
  if (colon == std::string::npos) return peer;
  // "[::1]:5678" (an IPv6 peer) -> "::1"
  if (peer.front() == '[' && colon > 1 && peer[colon - 1] == ']') return peer.substr(1, colon - 2);
  return peer.substr(0, colon);
}

}  // namespace

WebrtcServer::WebrtcServer(core::EventLoop& loop, core::StreamRegistry& registry,
                           WebrtcOptions options)
    : loop_(loop), registry_(registry), options_(std::move(options)) {}

std::unique_ptr<WebrtcServer> WebrtcServer::create(core::EventLoop& loop, http::HttpServer& http,
                                                   core::StreamRegistry& registry,
                                                   WebrtcOptions options, std::string& error) {
  std::unique_ptr<WebrtcServer> s(new WebrtcServer(loop, registry, std::move(options)));
  s->identity_ = DtlsIdentity::create(error);
  if (!s->identity_) {
    error = "webrtc: DTLS identity: " + error;
    return nullptr;
  }
  WebrtcServer* raw = s.get();
  s->socket_ = core::UdpSocket::bind(
      loop, s->options_.host, s->options_.port,
      [raw](std::span<const uint8_t> d, const sockaddr_storage& from) { raw->onDatagram(d, from); },
      error);
  if (!s->socket_) {
    error = "webrtc: " + error;
    return nullptr;
  }
  s->sctp_ = SctpStack::create(error);
  if (!s->sctp_) spdlog::warn("webrtc: no data channels: SCTP stack: {}", error);
  s->sctpTimer_ = std::make_unique<core::Timer>(loop, [raw] {
    const uint64_t now = raw->loop_.nowMs();
    raw->sctp_->onTimer(static_cast<int64_t>(now - raw->sctpTickAt_));
    raw->sctpTickAt_ = now;
    if (raw->sctp_->associationCount() == 0) raw->sctpTimer_->stop();
  });
  s->registerRoutes(http);
  spdlog::info("webrtc: WHIP/WHEP media on udp {}, candidates {}",
               core::hostPort(s->options_.host, s->socket_->port()), [&] {
                 std::string list;
                 for (const auto& c : s->candidates())
                   list += (list.empty() ? "" : ", ") + core::hostPort(c.ip, c.port);
                 return list;
               }());
  return s;
}

WebrtcServer::~WebrtcServer() {
  // NOTE: the sessions (and their SCTP associations) go here, before the stack,
  // whose destructor runs usrsctp's timers until it can finish: remove() destroys
  // them at once instead of after this loop turn, when the server is gone.
  destroying_ = true;
  closeAll("server shutting down");
  sessions_.clear();
  if (sctpTimer_) sctpTimer_->stop();
}

void WebrtcServer::registerRoutes(http::HttpServer& http) {
  // The sessions and their counters (NACKs answered, keyframes resent from the
  // cache, slow viewers on keyframes only).
  http.routePrefix(
      "GET", "/api/v1/webrtc/sessions", [this](const http::HttpRequest& req, http::HttpExchange&) {
        // NOTE: admins only: a session's id is the capability that ends it (DELETE).
        if (!options_.adminCheck)
          return http::HttpResponse::error(403, "the sessions list needs the room's admin check");
        if (auto refusal = options_.adminCheck(req)) return std::move(*refusal);
        nlohmann::json list = nlohmann::json::array();
        WhepTotals t = endedWhep_;
        for (const auto& [id, s] : sessions_) {
          list.push_back(s->describe());
          const nlohmann::json& v = list.back().value("video", nlohmann::json());
          if (!v.is_object()) continue;
          ++t.sessions;
          t.nackedSeqs += v.value("nacked_seqs", uint64_t{0});
          t.resent += v.value("resent", uint64_t{0});
          t.keyframesFromCache += v.value("keyframes_from_cache", uint64_t{0});
          t.keyframeRequests += v.value("keyframe_requests", uint64_t{0});
          t.keyframesOnlyTimes += v.value("keyframes_only_times", uint64_t{0});
        }
        const nlohmann::json totals = {{"sessions", t.sessions},
                                       {"nacked_seqs", t.nackedSeqs},
                                       {"resent", t.resent},
                                       {"keyframes_from_cache", t.keyframesFromCache},
                                       {"keyframe_requests", t.keyframeRequests},
                                       {"keyframes_only_times", t.keyframesOnlyTimes}};
        // The shared media socket: RTP/RTCP leave in batches (sendmmsg), so what the
        // kernel refused is counted here, not per session.
        const core::UdpSocket::Stats& u = socket_->stats();
        const nlohmann::json udp = {{"received", u.received},    {"sent", u.sent},
                                    {"sent_bytes", u.sentBytes}, {"dropped", u.dropped},
                                    {"queued", u.queued},        {"batch_calls", u.batchCalls}};
        return http::HttpResponse::json(
            200, core::dumpJson(nlohmann::json{
                     {"sessions", list}, {"whep_video_totals", totals}, {"udp", udp}}) +
                     "\n");
      });
  for (std::string_view prefix : {kWhipPrefix, kWhepPrefix}) {
    const bool whip = prefix == kWhipPrefix;
    http.optionsHeaders(std::string(prefix), {{"Accept-Post", "application/sdp"}});
    http.route(
        [prefix](const http::HttpRequest& r) {
          return r.path.starts_with(prefix) &&
                 !r.path.substr(prefix.size()).starts_with(kSessionPart);
        },
        [this, whip](const http::HttpRequest& req, http::HttpExchange&) {
          if (req.method != "POST")
            return http::HttpResponse::error(405, "use POST with an SDP offer");
          return offer(req, whip);
        });
    http.route(
        [prefix](const http::HttpRequest& r) {
          return r.path.starts_with(std::string(prefix) + std::string(kSessionPart));
        },
        [this](const http::HttpRequest& req, http::HttpExchange&) { return endSession(req); });
  }
}

std::string WebrtcServer::authorize(const http::HttpRequest& req, bool whip, const std::string& app,
                                    const std::string& name) const {
  const core::UrlSigner* signer = whip ? options_.publishSigner : options_.playSigner;
  if (!options_.bearerToken.empty()) {
    const std::string* auth = req.header("authorization");
    if (auth && *auth == "Bearer " + options_.bearerToken) return {};
    if (!signer) return auth ? "wrong bearer token" : "a bearer token is required";
  }
  if (!signer) return {};
  const auto result = signer->verify(app, name, req.query, std::time(nullptr));
  return result == core::AuthResult::Ok ? "" : std::string(core::toString(result));
}

http::HttpResponse WebrtcServer::offer(const http::HttpRequest& req, bool whip) {
  const char* role = whip ? "whip" : "whep";
  std::string app, name;
  if (!parseStreamPath(req.path, whip ? kWhipPrefix : kWhepPrefix, app, name))
    return http::HttpResponse::error(400, std::string("expected /") + role + "/{app}/{name}");
  const std::string key = app + "/" + name;
  const std::string ip = peerIp(req.peer);
  auto refuse = [&](int status, const std::string& reason) {
    spdlog::warn("{} {} {}: refused ({}): {}", role, req.peer, key, status, reason);
    return http::HttpResponse::error(status, reason);
  };
  if (std::string why = authorize(req, whip, app, name); !why.empty())
    return refuse(403, std::string(whip ? "publish" : "play") + " not authorized: " + why);
  const std::string* type = req.header("content-type");
  if (!type || !type->starts_with("application/sdp"))
    return refuse(415, "the offer must be Content-Type: application/sdp");
  if (sessions_.size() >= options_.maxSessions)
    return refuse(503, "too many WebRTC sessions (" + std::to_string(options_.maxSessions) + ")");
  if (auto it = perIp_.find(ip); it != perIp_.end() && it->second >= options_.maxSessionsPerIp)
    return refuse(429, "too many WebRTC sessions from " + ip + " (" +
                           std::to_string(options_.maxSessionsPerIp) + ")");
  if (!whip) {
    const core::Stream* stream = registry_.find(key);
    if (!stream || !stream->hasPublisher()) return refuse(404, "stream not found: " + key);
  }
  std::string error;
  auto parsed = SdpSession::parse(req.body, error);
  if (!parsed) return refuse(400, "bad SDP offer: " + error);
  WebrtcSession::Identity id;
  id.key = key;
  id.peerIp = ip;
  // The room login of the data channel (docs/room-protocol.md): checked when the
  // channel opens, exactly as a "login" request; a bad one leaves viewing alone.
  const auto query = core::QueryString::parse(req.query);
  if (const std::string* user = query.ok() ? query.find("userid") : nullptr) id.user = *user;
  if (const std::string* sig = query.ok() ? query.find("usersig") : nullptr) id.usersig = *sig;
  int status = 400;
  WebrtcSession* session = open(whip, app, name, std::move(id), *parsed, status, error);
  if (!session) return refuse(status, error);
  http::HttpResponse r;
  r.status = 201;
  r.contentType = "application/sdp";
  r.body = session->answer();
  r.headers["Location"] =
      std::string(whip ? kWhipPrefix : kWhepPrefix) + std::string(kSessionPart) + session->id();
  r.headers["ETag"] = "\"" + session->localUfrag() + "\"";
  r.headers["Cache-Control"] = "no-store";
  spdlog::info("{}: created for {} (udp {})", session->name(), req.peer, socket_->port());
  return r;
}

WebrtcSession* WebrtcServer::open(bool whip, const std::string& app, const std::string& name,
                                  WebrtcSession::Identity id, const SdpSession& offer, int& status,
                                  std::string& error) {
  do {
    id.id = randomIceText(16);
  } while (sessions_.count(id.id));
  do {
    id.localUfrag = randomIceText(8);
  } while (byUfrag_.count(id.localUfrag));
  id.localPwd = randomIceText(24);
  const std::string ip = id.peerIp;
  LocalEndpoint local;
  local.role = whip ? SdpRole::Ingest : SdpRole::Egress;
  local.iceUfrag = id.localUfrag;
  local.icePwd = id.localPwd;
  local.fingerprintSha256 = identity_->fingerprint();
  local.candidates = candidates();
  std::unique_ptr<WebrtcSession> session;
  if (whip)
    session = WhipSession::create(*this, id, offer, local, app, name, status, error);
  else
    session = WhepSession::create(*this, id, offer, local, app, name, status, error);
  if (!session) return nullptr;
  WebrtcSession* raw = session.get();
  byUfrag_[id.localUfrag] = raw;
  ++perIp_[ip];
  sessions_.emplace(id.id, std::move(session));
  return raw;
}

http::HttpResponse WebrtcServer::endSession(const http::HttpRequest& req) {
  const size_t at = req.path.find(kSessionPart);
  const std::string id = req.path.substr(at + kSessionPart.size());
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return http::HttpResponse::error(404, "no such session: " + id);
  WebrtcSession& session = *it->second;
  if (req.method == "DELETE") {
    session.close("the client ended it (HTTP DELETE)");
    return http::HttpResponse::json(200, R"({"ended":true})");
  }
  if (req.method == "PATCH") {
    // RFC 9725 4.3: trickled candidates are accepted (ICE-lite answers checks from
    // any address, so they change nothing); an ICE restart is not supported (422).
    const std::string* type = req.header("content-type");
    if (!type || !type->starts_with("application/trickle-ice-sdpfrag"))
      return http::HttpResponse::error(415, "expected application/trickle-ice-sdpfrag");
    const std::string* match = req.header("if-match");
    if (match && *match == "*")
      return http::HttpResponse::error(422, "ICE restart is not supported");
    if (match && *match != "\"" + session.localUfrag() + "\"")
      return http::HttpResponse::error(412, "the session's ETag does not match");
    http::HttpResponse r;
    r.status = 204;
    r.contentType.clear();
    return r;
  }
  return http::HttpResponse::error(405, "use DELETE to end the session or PATCH to trickle");
}

void WebrtcServer::onDatagram(std::span<const uint8_t> datagram, const sockaddr_storage& from) {
  if (auto it = byAddress_.find(core::addressKey(from)); it != byAddress_.end()) {
    it->second->onDatagram(datagram, from);
    return;
  }
  if (classifyDatagram(datagram) == DatagramKind::Stun) {
    std::string error;
    auto message = StunMessage::parse(datagram, error);
    auto ufrag = message ? stunLocalUfrag(*message) : std::nullopt;
    if (ufrag) {
      if (auto it = byUfrag_.find(std::string(*ufrag)); it != byUfrag_.end()) {
        it->second->onDatagram(datagram, from);
        return;
      }
    }
  }
  // NOTE: not ours (a closed session's peer, a scan): counted, never answered.
  if (++unrouted_ % 1000 == 1)
    spdlog::debug("webrtc: datagram from {} matches no session ({} so far)",
                  core::formatAddress(from), unrouted_);
}

PeerTransport::SctpHost WebrtcServer::sctpHost() {
  if (!sctp_) return {};
  return {sctp_.get(), [this] {
            if (sctpTimer_->active()) return;
            sctpTickAt_ = loop_.nowMs();
            sctpTimer_->start(10, 10);
          }};
}

void WebrtcServer::routeAddress(WebrtcSession* session, const sockaddr_storage& address) {
  for (auto it = byAddress_.begin(); it != byAddress_.end();)
    it = it->second == session ? byAddress_.erase(it) : std::next(it);
  byAddress_[core::addressKey(address)] = session;
}

void WebrtcServer::remove(WebrtcSession* session) {
  auto it = sessions_.find(session->id());
  if (it == sessions_.end()) return;
  byUfrag_.erase(session->localUfrag());
  for (auto a = byAddress_.begin(); a != byAddress_.end();)
    a = a->second == session ? byAddress_.erase(a) : std::next(a);
  if (auto p = perIp_.find(session->peerIp()); p != perIp_.end() && --p->second == 0)
    perIp_.erase(p);
  if (!destroying_) loop_.deferDelete(std::move(it->second));
  sessions_.erase(it);
}

void WebrtcServer::closeAll(const std::string& reason) {
  std::vector<WebrtcSession*> all;
  for (auto& [id, s] : sessions_) all.push_back(s.get());
  for (WebrtcSession* s : all) s->close(reason);
}

std::vector<LocalEndpoint::Candidate> WebrtcServer::candidates() const {
  std::vector<LocalEndpoint::Candidate> out;
  const uint16_t port = socket_->port();
  if (!options_.announce.empty()) {
    for (const auto& ip : options_.announce) out.push_back({ip, port});
    return out;
  }
  const bool any4 = options_.host == "0.0.0.0", any6 = options_.host == "::";
  if (!any4 && !any6) {
    out.push_back({options_.host == "localhost" ? "127.0.0.1" : options_.host, port});
    return out;
  }
  // Every interface's address ("::": IPv4 and IPv6, the socket is dual-stack), but no
  // IPv6 link-local one (it needs a scope the peer's SDP cannot name).
  uv_interface_address_t* list = nullptr;
  int count = 0;
  if (uv_interface_addresses(&list, &count) == 0) {
    for (int i = 0; i < count; ++i) {
      char ip[INET6_ADDRSTRLEN];
      const auto& a = list[i].address;
      if (a.address4.sin_family == AF_INET) {
        uv_ip4_name(&a.address4, ip, sizeof ip);
      } else if (any6 && a.address6.sin6_family == AF_INET6 &&
                 !IN6_IS_ADDR_LINKLOCAL(&a.address6.sin6_addr)) {
        uv_ip6_name(&a.address6, ip, sizeof ip);
      } else {
        continue;
      }
      out.push_back({ip, port});
    }
    uv_free_interface_addresses(list, count);
  }
  return out;
}

}  // namespace webrtc
