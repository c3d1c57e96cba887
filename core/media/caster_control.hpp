// CasterControl: what the HTTP API needs of the caster (mixer/), which protocols/
// cannot see: create, list, read and stop pipelines from JSON. Implemented by
// mixer::Mixer; loop thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace core {

class CasterControl {
 public:
  struct Answer {
    int status = 200;
    nlohmann::json body;  // the caster, or {"error": ...}
  };
  virtual ~CasterControl() = default;
  // POST /api/v1/casters {"stream":"app/name", "profile"?: name, ...PipelineSpec fields}
  virtual Answer createCaster(const nlohmann::json& body) = 0;
  // {"casters": [...]}
  virtual nlohmann::json listCasters() const = 0;
  virtual Answer getCaster(const std::string& key) const = 0;
  virtual Answer removeCaster(const std::string& key) = 0;
  // The overlays of a running caster, answered 202 {"revision": n} once queued:
  //   PATCH  {key}                 {"overlays": [...]}  the whole list; with ladder
  //                                fields ("rungs", "preset", ...) the run restarts
  //                                on the merged spec (200 with the caster)
  //   POST   {key}/overlays        {overlay}            one more (a new id)
  //   PATCH  {key}/overlays/{id}   {fields}             fields of one, merged
  //   DELETE {key}/overlays/{id}
  // `id` is "" for the first two.
  virtual Answer changeOverlays(const std::string& key, const std::string& method,
                                const std::string& id, const nlohmann::json& body) = 0;
};

}  // namespace core
