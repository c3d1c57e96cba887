#include "core/media/stream_registry.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/loop/event_loop.hpp"

namespace core {

StreamRegistry::StreamRegistry(EventLoop& loop, StreamOptions options)
    : loop_(loop), options_(options) {}

StreamRegistry::~StreamRegistry() {
  shutdown("server shutting down");
}

std::unique_ptr<PublishLease> StreamRegistry::publish(
    const PublishSpec& spec, std::function<void(std::string_view)> onRevoked, std::string& error) {
  const std::string key = makeKey(spec.app, spec.name);
  const std::string& peer = spec.peer;
  auto it = streams_.find(key);
  const bool existed = it != streams_.end();
  if (!existed) {
    it =
        streams_.emplace(key, std::make_unique<Stream>(loop_, *this, spec.app, spec.name, options_))
            .first;
  }
  Stream& stream = *it->second;
  // NOTE: also while the stream waits out its grace period: the name stays with
  // whoever made it (a rung waits for its source's return, a client for its own).
  const bool derived = spec.origin == StreamOrigin::Mixer;
  if (existed && stream.derived() != derived) {
    error = stream.derived() ? "stream " + key + " is a rendition of " + stream.groupKey() +
                                   " made by the server"
                             : "stream " + key + " belongs to the client " + stream.publisherPeer_;
    return nullptr;
  }
  if (stream.publisher_) {
    if (!options_.publisherTakeover) {
      error = "stream " + key + " is already being published by " + stream.publisherPeer_;
      return nullptr;
    }
    PublishLease* old = stream.publisher_;
    spdlog::info("stream {}: publisher {} taken over by {}", key, stream.publisherPeer_, peer);
    stream.detachPublisher(old, "taken over by a new publisher");
    old->stream_ = nullptr;
    // NOTE: the callback may destroy the old lease (its owner closes), so it is
    // moved out of the lease before it runs.
    auto revoked = std::move(old->onRevoked_);
    if (revoked) revoked("taken over by a new publisher from " + peer);
  }
  std::unique_ptr<PublishLease> lease(new PublishLease(&stream, std::move(onRevoked)));
  stream.attachPublisher(lease.get(), spec);
  for (StreamObserver* o : observers_) o->onPublish(stream);
  return lease;
}

std::unique_ptr<Subscription> StreamRegistry::subscribe(const std::string& app,
                                                        const std::string& name, MediaSink& sink,
                                                        std::string protocol) {
  auto it = streams_.find(makeKey(app, name));
  if (it == streams_.end() || !it->second->hasPublisher()) return nullptr;
  std::unique_ptr<Subscription> sub(new Subscription(it->second.get(), sink, std::move(protocol)));
  it->second->attach(sub.get());
  return sub;
}

const Stream* StreamRegistry::find(const std::string& key) const {
  auto it = streams_.find(key);
  return it == streams_.end() ? nullptr : it->second.get();
}

std::vector<const Stream*> StreamRegistry::group(const std::string& sourceKey) const {
  std::vector<const Stream*> out;
  if (const Stream* source = find(sourceKey)) out.push_back(source);
  const size_t renditions = out.size();
  for (const auto& [key, stream] : streams_)
    if (key != sourceKey && stream->groupKey() == sourceKey) out.push_back(stream.get());
  std::sort(out.begin() + static_cast<std::ptrdiff_t>(renditions), out.end(),
            [](const Stream* a, const Stream* b) {
              if (a->info().height != b->info().height) return a->info().height > b->info().height;
              return a->nominalKbps() > b->nominalKbps();
            });
  return out;
}

bool StreamRegistry::requestKeyframe(const std::string& key, std::string_view who) {
  auto it = streams_.find(key);
  if (it == streams_.end()) return false;
  it->second->requestKeyframe(who);
  return true;
}

bool StreamRegistry::keyframesOnRequest(const std::string& key) const {
  auto it = streams_.find(key);
  return it != streams_.end() && it->second->keyframesOnRequest();
}

bool StreamRegistry::addAudioVariant(const std::string& key, MediaPacket packet) {
  auto it = streams_.find(key);
  return it != streams_.end() && it->second->addAudioVariant(std::move(packet));
}

void StreamRegistry::endAudioVariant(const std::string& key) {
  if (auto it = streams_.find(key); it != streams_.end()) it->second->endAudioVariant();
}

bool StreamRegistry::injectData(const std::string& key, MediaPacket packet, bool sticky) {
  auto it = streams_.find(key);
  if (it == streams_.end() || !it->second->hasPublisher()) return false;
  it->second->injectData(std::move(packet), sticky);
  return true;
}

bool StreamRegistry::queueSei(const std::string& key, std::string payload) {
  auto it = streams_.find(key);
  if (it == streams_.end() || !it->second->hasPublisher()) return false;
  it->second->queueSei(std::move(payload));
  return true;
}

std::vector<const Stream*> StreamRegistry::streams() const {
  std::vector<const Stream*> out;
  for (const auto& [key, stream] : streams_) out.push_back(stream.get());
  return out;
}

void StreamRegistry::shutdown(std::string_view reason) {
  auto streams = std::move(streams_);
  streams_.clear();
  for (auto& [key, stream] : streams) stream->end(reason);
}

void StreamRegistry::remove(Stream* stream) {
  auto it = streams_.find(stream->key());
  if (it == streams_.end() || it->second.get() != stream) return;
  loop_.deferDelete(std::move(it->second));
  streams_.erase(it);
}

}  // namespace core
