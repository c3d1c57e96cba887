#include "core/media/stream_registry.hpp"

#include <spdlog/spdlog.h>

#include "core/loop/event_loop.hpp"

namespace core {

StreamRegistry::StreamRegistry(EventLoop& loop, StreamOptions options)
    : loop_(loop), options_(options) {}

StreamRegistry::~StreamRegistry() {
  shutdown("server shutting down");
}

std::unique_ptr<PublishLease> StreamRegistry::publish(
    const std::string& app, const std::string& name, const std::string& peer,
    std::function<void(std::string_view)> onRevoked, std::string& error) {
  const std::string key = makeKey(app, name);
  auto it = streams_.find(key);
  if (it == streams_.end()) {
    it = streams_.emplace(key, std::make_unique<Stream>(loop_, *this, app, name, options_)).first;
  }
  Stream& stream = *it->second;
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
  stream.attachPublisher(lease.get(), peer);
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
