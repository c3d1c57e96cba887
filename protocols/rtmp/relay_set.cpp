#include "protocols/rtmp/relay_set.hpp"

#include <spdlog/spdlog.h>

#include "core/loop/event_loop.hpp"
#include "core/media/stream_name.hpp"

namespace rtmp {
namespace {

core::RelayControl::Answer relaySetError(int status, std::string message) {
  return {status, {{"error", std::move(message)}}};
}

}  // namespace

RelaySet::RelaySet(core::EventLoop& loop, core::StreamRegistry& registry,
                   core::WriteCoalescer& coalescer, RelaySetOptions options)
    : loop_(loop),
      registry_(registry),
      coalescer_(coalescer),
      options_(std::move(options)),
      tls_(std::make_unique<TlsClientContext>(options_.tlsVerify)) {
  options_.relay.tls = tls_.get();
}

RelaySet::~RelaySet() {
  shutdown();
}

void RelaySet::shutdown() {
  for (auto& [id, relay] : relays_) {
    relay->stop();
    loop_.deferDelete(std::move(relay));
  }
  relays_.clear();
}

core::RelayControl::Answer RelaySet::createRelay(const nlohmann::json& body) {
  const auto stream = body.find("stream");
  const auto url = body.find("url");
  if (stream == body.end() || !stream->is_string())
    return relaySetError(400, "\"stream\" (\"app/name\") is required");
  if (url == body.end() || !url->is_string())
    return relaySetError(400, "\"url\" (\"rtmp[s]://host[:port]/app/name\") is required");
  for (const auto& [key, value] : body.items())
    if (key != "stream" && key != "url") return relaySetError(400, "unknown field \"" + key + "\"");
  const std::string key = stream->get<std::string>();
  const size_t slash = key.find('/');
  if (slash == std::string::npos || !core::isValidStreamName(key.substr(0, slash)) ||
      !core::isValidStreamName(key.substr(slash + 1)))
    return relaySetError(400, "\"stream\" must be \"app/name\" (1..200 of A-Z a-z 0-9 _ . -)");
  std::string error;
  auto parsed = parseRelayUrl(url->get<std::string>(), error);
  if (!parsed) return relaySetError(400, "\"url\": " + error);
  if (relays_.size() >= options_.maxRelays)
    return relaySetError(
        409, "relay limit reached (relay.max_relays = " + std::to_string(options_.maxRelays) + ")");
  for (const auto& [id, r] : relays_)
    if (r->streamKey() == key && r->url().redacted() == parsed->redacted() &&
        r->url().query == parsed->query)
      return relaySetError(409, "relay " + r->id() + " already pushes " + key + " there");
  const uint64_t id = nextId_++;
  auto relay =
      std::make_unique<RtmpRelay>(loop_, registry_, coalescer_, options_.relay, std::to_string(id),
                                  key.substr(0, slash), key.substr(slash + 1), std::move(*parsed));
  RtmpRelay& r = *relay;
  relays_.emplace(id, std::move(relay));
  spdlog::info("relay {}: {} -> {} created", id, key, r.url().redacted());
  r.start();
  return {201, r.toJson()};
}

nlohmann::json RelaySet::listRelays() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [id, r] : relays_) list.push_back(r->toJson());
  return {{"relays", std::move(list)}, {"max_relays", options_.maxRelays}};
}

core::RelayControl::Answer RelaySet::getRelay(const std::string& id) const {
  for (const auto& [n, r] : relays_)
    if (r->id() == id) return {200, r->toJson()};
  return relaySetError(404, "no relay " + id.substr(0, 40));
}

core::RelayControl::Answer RelaySet::removeRelay(const std::string& id) {
  for (auto it = relays_.begin(); it != relays_.end(); ++it) {
    if (it->second->id() != id) continue;
    it->second->stop();
    nlohmann::json last = it->second->toJson();
    spdlog::info("relay {}: {} -> {} deleted", id, it->second->streamKey(),
                 it->second->url().redacted());
    loop_.deferDelete(std::move(it->second));
    relays_.erase(it);
    return {200, last};
  }
  return relaySetError(404, "no relay " + id.substr(0, 40));
}

void RelaySet::onPublish(const core::Stream& stream) {
  for (auto& [id, r] : relays_)
    if (r->streamKey() == stream.key()) r->sourcePublished();
}

}  // namespace rtmp
