#include "mixer/overlay_set.hpp"

#include <algorithm>

namespace mixer {

namespace {

const OverlaySpec* findOverlay(const std::vector<OverlaySpec>& list, std::string_view id) {
  for (const auto& o : list) {
    if (o.id == id) return &o;
  }
  return nullptr;
}

// Ids in stacking order (z, then list order), as GraphSpec chains them.
std::vector<std::string> stackingOrder(const std::vector<OverlaySpec>& list) {
  std::vector<const OverlaySpec*> sorted;
  for (const auto& o : list) sorted.push_back(&o);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const OverlaySpec* a, const OverlaySpec* b) { return a->z < b->z; });
  std::vector<std::string> ids;
  for (const auto* o : sorted) ids.push_back(o->id);
  return ids;
}

bool samePosition(const OverlaySpec& a, const OverlaySpec& b) {
  return a.x == b.x && a.y == b.y && a.anchor == b.anchor && a.unit == b.unit;
}

bool sameDrawing(const OverlaySpec& a, const OverlaySpec& b) {
  return a.text == b.text && a.size == b.size && a.color == b.color && a.opacity == b.opacity &&
         a.box == b.box && a.direction == b.direction && a.speed == b.speed && samePosition(a, b);
}

void rebuild(OverlayChange& change, const std::string& reason) {
  if (!change.needsRebuild) change.reason = reason;
  change.needsRebuild = true;
}

// The commands (or rebuild) turning overlay `a` into `b`, same id.
void diffOne(const OverlaySpec& a, const OverlaySpec& b, FrameSize top, OverlayChange& change) {
  std::string target = overlayInstance(b);
  std::string what = "overlay " + b.id + ": ";
  if (a.type != b.type) return rebuild(change, what + "type changed");
  bool hide = a.visible && !b.visible;
  if (hide) change.commands.push_back({target, "enable", "0"});
  if (b.type == OverlayType::Image) {
    if (a.file != b.file || a.width != b.width || a.opacity != b.opacity)
      rebuild(change, what + "image changed");
    if (!samePosition(a, b)) {
      auto [x, y] = imagePosition(b, top);
      change.commands.push_back({target, "x", x});
      change.commands.push_back({target, "y", y});
    }
  } else {
    if (a.font != b.font) rebuild(change, what + "font changed");
    // NOTE: a clock's text carries its zone's offset, which the VideoWorker reads
    // (ClockZone) when it builds; reinit leaves options it does not name as they were.
    if (b.type == OverlayType::Clock && (a.format != b.format || a.tz != b.tz))
      rebuild(change, what + "clock format or zone changed");
    if (!sameDrawing(a, b))
      change.commands.push_back(
          {target, "reinit", joinOptions(drawtextOptions(b, top, b.type != OverlayType::Clock))});
  }
  if (!a.visible && b.visible) change.commands.push_back({target, "enable", "1"});
}

}  // namespace

OverlayCommand OverlaySet::clockCommand(const OverlaySpec& clock, const ClockState& state) {
  return {overlayInstance(clock), "reinit",
          joinOptions({{"text", clockText(clock.format, state)}})};
}

OverlaySet::OverlaySet(FrameSize top, std::vector<OverlaySpec> overlays)
    : top_(top), overlays_(std::move(overlays)) {}

const OverlaySpec* OverlaySet::find(std::string_view id) const {
  return findOverlay(overlays_, id);
}

std::vector<OverlaySpec> OverlaySet::with(const OverlaySpec& overlay) const {
  std::vector<OverlaySpec> out = overlays_;
  for (auto& o : out) {
    if (o.id == overlay.id) {
      o = overlay;
      return out;
    }
  }
  out.push_back(overlay);
  return out;
}

std::vector<OverlaySpec> OverlaySet::without(std::string_view id) const {
  std::vector<OverlaySpec> out;
  for (const auto& o : overlays_) {
    if (o.id != id) out.push_back(o);
  }
  return out;
}

OverlayChange OverlaySet::update(std::vector<OverlaySpec> next) {
  OverlayChange change = diff(overlays_, next, top_);
  overlays_ = std::move(next);
  return change;
}

OverlayChange OverlaySet::diff(const std::vector<OverlaySpec>& from,
                               const std::vector<OverlaySpec>& to, FrameSize top) {
  OverlayChange change;
  for (const auto& a : from) {
    if (findOverlay(to, a.id)) continue;
    // Hidden at once; gone from the graph at the rebuild.
    if (a.visible) change.commands.push_back({overlayInstance(a), "enable", "0"});
    rebuild(change, "overlay " + a.id + ": removed");
  }
  for (const auto& b : to) {
    const OverlaySpec* a = findOverlay(from, b.id);
    if (!a) {
      rebuild(change, "overlay " + b.id + ": added");
      continue;
    }
    diffOne(*a, b, top, change);
  }
  if (!change.needsRebuild && stackingOrder(from) != stackingOrder(to))
    rebuild(change, "stacking order changed");
  return change;
}

}  // namespace mixer
