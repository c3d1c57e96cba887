// RelaySet: every relay out by id, the RelayControl the HTTP API drives and the
// StreamObserver that resumes relays whose source comes back. Owned by main();
// loop thread.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/media/relay_control.hpp"
#include "core/media/stream_registry.hpp"
#include "protocols/rtmp/rtmp_relay.hpp"
#include "protocols/rtmp/tls_client.hpp"
#include "protocols/rtmp/tls_client_context.hpp"

namespace rtmp {

struct RelaySetOptions {
  size_t maxRelays = 16;
  bool tlsVerify = true;  // false: any certificate (self-signed test receivers)
  RelayOptions relay;
};

class RelaySet final : public core::RelayControl, public core::StreamObserver {
 public:
  // Throws std::runtime_error when the TLS context cannot be made.
  RelaySet(core::EventLoop& loop, core::StreamRegistry& registry, core::WriteCoalescer& coalescer,
           RelaySetOptions options);
  ~RelaySet() override;

  Answer createRelay(const nlohmann::json& body) override;
  nlohmann::json listRelays() const override;
  Answer getRelay(const std::string& id) const override;
  Answer removeRelay(const std::string& id) override;

  void onPublish(const core::Stream& stream) override;

  // Server shutdown: every relay stops (unpublishes politely).
  void shutdown();

 private:
  core::EventLoop& loop_;
  core::StreamRegistry& registry_;
  core::WriteCoalescer& coalescer_;
  RelaySetOptions options_;
  std::unique_ptr<TlsClientContext> tls_;
  std::map<uint64_t, std::unique_ptr<RtmpRelay>> relays_;
  uint64_t nextId_ = 1;
};

}  // namespace rtmp
