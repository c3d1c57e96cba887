// RelayControl: what the HTTP API needs of the relays out ("restream", issue 18
// point 6), which live in protocols/rtmp: create, list, read and delete relays from
// JSON. Implemented by rtmp::RelaySet; loop thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace core {

class RelayControl {
 public:
  struct Answer {
    int status = 200;
    nlohmann::json body;  // the relay, or {"error": ...}
  };
  virtual ~RelayControl() = default;
  // POST /api/v1/relays {"stream":"app/name","url":"rtmp[s]://host[:port]/app/name[?q]"}
  virtual Answer createRelay(const nlohmann::json& body) = 0;
  // {"relays": [...]}
  virtual nlohmann::json listRelays() const = 0;
  virtual Answer getRelay(const std::string& id) const = 0;
  virtual Answer removeRelay(const std::string& id) = 0;
};

}  // namespace core
