// StreamRegistry: every live Stream by key "app/name". Owned by main(); loop thread.
// Publishing creates a Stream (or resumes one in its grace period); a Stream with no
// publisher past the grace period ends and is removed.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/media/stream.hpp"

namespace core {

// Told whenever a publisher starts on a Stream (a new one or one resuming within
// its grace period), so taps such as HLS can subscribe. Loop thread.
class StreamObserver {
 public:
  virtual ~StreamObserver() = default;
  virtual void onPublish(const Stream& stream) = 0;
  // The publisher left (the stream waits its grace period for a reconnect).
  virtual void onUnpublish(const Stream& stream) {}
};

class StreamRegistry {
 public:
  StreamRegistry(EventLoop& loop, StreamOptions options);
  ~StreamRegistry();

  // nullptr with `error` set when the name is taken (and takeover is off). A
  // client never takes over a stream the mixer derives, nor the mixer a client's,
  // takeover or not. `onRevoked` runs if a later publisher takes the stream over.
  std::unique_ptr<PublishLease> publish(const PublishSpec& spec,
                                        std::function<void(std::string_view)> onRevoked,
                                        std::string& error);
  // A client's push (PublishSpec with origin Push).
  std::unique_ptr<PublishLease> publish(const std::string& app, const std::string& name,
                                        const std::string& peer,
                                        std::function<void(std::string_view)> onRevoked,
                                        std::string& error) {
    PublishSpec spec;
    spec.app = app;
    spec.name = name;
    spec.peer = peer;
    return publish(spec, std::move(onRevoked), error);
  }
  // nullptr when no such stream is live. The sink gets headers, metadata and the
  // GOP at once, then live packets. `protocol` labels the viewer count in the
  // API; an empty label marks an internal tap (HLS muxer, recorder): not a viewer.
  std::unique_ptr<Subscription> subscribe(const std::string& app, const std::string& name,
                                          MediaSink& sink, std::string protocol);

  // Observers outlive the registry's use of them (main() owns both).
  void addObserver(StreamObserver* observer) { observers_.push_back(observer); }

  const Stream* find(const std::string& key) const;
  // The source `sourceKey` (when it exists) first, then its renditions, tallest
  // first (then by nominal bit rate). Scans every stream: there are few.
  std::vector<const Stream*> group(const std::string& sourceKey) const;
  // Stream::requestKeyframe on the stream `key`; false when there is none.
  bool requestKeyframe(const std::string& key, std::string_view who);
  // Stream::keyframesOnRequest of the stream `key` (false when there is none).
  bool keyframesOnRequest(const std::string& key) const;
  // Stream::injectData on the stream `key`; false when no publisher is on it.
  bool injectData(const std::string& key, MediaPacket packet, bool sticky = false);
  // Stream::queueSei on the stream `key`; false when no publisher is on it.
  bool queueSei(const std::string& key, std::string payload);
  // Stream::addAudioVariant / endAudioVariant on the stream `key` (the mixer's audio
  // variant); false when there is none or the packet is refused.
  bool addAudioVariant(const std::string& key, MediaPacket packet);
  void endAudioVariant(const std::string& key);
  std::vector<const Stream*> streams() const;
  // Ends every stream (server shutdown).
  void shutdown(std::string_view reason);

  static std::string makeKey(const std::string& app, const std::string& name) {
    return app + "/" + name;
  }

 private:
  friend class Stream;
  void remove(Stream* stream);
  void notifyUnpublish(const Stream& stream) {
    for (StreamObserver* o : observers_) o->onUnpublish(stream);
  }

  EventLoop& loop_;
  StreamOptions options_;
  std::map<std::string, std::unique_ptr<Stream>> streams_;
  std::vector<StreamObserver*> observers_;
};

}  // namespace core
