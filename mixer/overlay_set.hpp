// OverlaySet: a pipeline's live overlays by id, and what it takes to go from one list
// to another: filter commands (move, hide/show, drawtext "reinit") or a graph rebuild
// (added, removed, new image, new font, new clock format or zone, new stacking). Owned by the
// Pipeline on the loop; the resulting OverlayChange goes to the VideoWorker. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mixer/overlay_filters.hpp"
#include "mixer/overlay_spec.hpp"

namespace mixer {

// One avfilter_graph_send_command(graph, target, command, argument).
struct OverlayCommand {
  std::string target;    // "drawtext@ov_title"
  std::string command;   // "reinit", "x", "y", "enable"
  std::string argument;  // escaped where it carries user text
  bool operator==(const OverlayCommand&) const = default;
};

struct OverlayChange {
  // Applied at once, in order; with a rebuild too, they bridge the time until the
  // rebuilt graph takes over at the next key (a removed overlay is hidden at once).
  std::vector<OverlayCommand> commands;
  bool needsRebuild = false;
  std::string reason;  // why a rebuild: "overlay logo: image changed"
  bool empty() const { return commands.empty() && !needsRebuild; }
};

class OverlaySet {
 public:
  // `top`: the top rung's frame, which overlay positions refer to.
  explicit OverlaySet(FrameSize top, std::vector<OverlaySpec> overlays = {});

  const std::vector<OverlaySpec>& overlays() const { return overlays_; }
  const OverlaySpec* find(std::string_view id) const;

  // The list with `overlay` added (new id, at the end) or replaced (same id, in place).
  std::vector<OverlaySpec> with(const OverlaySpec& overlay) const;
  // The list without overlay `id` (unchanged when there is none).
  std::vector<OverlaySpec> without(std::string_view id) const;

  // Adopts `next` and returns what the running graph needs to show it.
  OverlayChange update(std::vector<OverlaySpec> next);

  // The command that shows clock `clock` in its new state (after its zone's
  // transition, ClockState::validUntil): a "reinit" of its text only.
  static OverlayCommand clockCommand(const OverlaySpec& clock, const ClockState& state);

  static OverlayChange diff(const std::vector<OverlaySpec>& from,
                            const std::vector<OverlaySpec>& to, FrameSize top);

 private:
  FrameSize top_;
  std::vector<OverlaySpec> overlays_;
};

}  // namespace mixer
