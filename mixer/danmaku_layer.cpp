#include "mixer/danmaku_layer.hpp"

namespace mixer {

std::unique_ptr<DanmakuLayer> DanmakuLayer::open(int width, int height, const DanmakuSpec& spec,
                                                 const std::string& fontFile, DanmakuInbox& inbox,
                                                 std::string& error) {
  auto renderer = DanmakuRenderer::open(width, height, spec, fontFile, error);
  if (!renderer) return nullptr;
  return std::unique_ptr<DanmakuLayer>(new DanmakuLayer(std::move(renderer), inbox));
}

void DanmakuLayer::apply(AVFrame* frame, int64_t ptsMs, int64_t dueNs) {
  // NOTE: bounded per tick (the queue's capacity), and the renderer keeps at most
  // max_on_screen waiting: a burst costs a few string moves, not a stall.
  while (auto item = inbox_.queue.tryPop())
    renderer_->add({std::move(item->text), item->rgb, ptsOf(item->acceptedMs, ptsMs, dueNs)});
  renderer_->draw(frame, ptsMs);
  inbox_.shown.store(renderer_->shown(), std::memory_order_relaxed);
  inbox_.dropped.store(renderer_->dropped(), std::memory_order_relaxed);
  inbox_.onScreen.store(renderer_->onScreen(), std::memory_order_relaxed);
}

}  // namespace mixer
