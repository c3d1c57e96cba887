#include "bench/room/room_load_runner.hpp"

#include <sys/resource.h>
#include <uv.h>

#include <cmath>
#include <cstdio>
#include <ctime>

#include "core/auth/user_sig.hpp"

namespace bench {
namespace {

constexpr uint64_t kTickMs = 2;   // sender pacing resolution
constexpr double kTailMs = 1000;  // after the window: replies still arriving
constexpr int64_t kUserSigTtl = 86400;

double nowMs() {
  return static_cast<double>(uv_hrtime()) / 1e6;
}

double cpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec +
         u.ru_stime.tv_usec / 1e6;
}

}  // namespace

RoomLoadRunner::RoomLoadRunner(core::EventLoop& loop, RoomLoadOptions options)
    : loop_(loop),
      options_(std::move(options)),
      rampTimer_(loop, [this] { rampStep(); }),
      tickTimer_(loop, [this] { tick(); }),
      progressTimer_(loop, [this] { progress(); }) {
  members_.reserve(static_cast<size_t>(options_.connections()));
  senders_.resize(static_cast<size_t>(options_.rooms));
  roomSent_.assign(static_cast<size_t>(options_.rooms), 0);
  const int64_t now = std::time(nullptr);
  uint64_t seed = static_cast<uint64_t>(uv_hrtime());
  // Senders first, so every room can send as soon as its members are in.
  for (int r = 0; r < options_.rooms; ++r) {
    const std::string room = options_.roomPrefix + std::to_string(r);
    for (int k = 0; k < options_.senders; ++k) {
      const std::string user = "bench-s" + std::to_string(r) + "-" + std::to_string(k);
      const std::string sig =
          core::generateUserSig(options_.appId, options_.key, user, kUserSigTtl, now);
      members_.push_back(std::make_unique<RoomMember>(
          loop_, options_, stats_, room,
          R"({"cmd":"login","id":1,"user":")" + user + R"(","usersig":")" + sig + "\"}", ++seed));
      senders_[static_cast<size_t>(r)].push_back(members_.back().get());
    }
  }
  // Members interleaved over the rooms, so every room fills at the same pace.
  for (int m = 0; m < options_.members; ++m)
    for (int r = 0; r < options_.rooms; ++r)
      members_.push_back(std::make_unique<RoomMember>(
          loop_, options_, stats_, options_.roomPrefix + std::to_string(r),
          R"({"cmd":"login","id":1,"guest":true})", ++seed));
}

RoomLoadReport RoomLoadRunner::run() {
  runStartMs_ = nowMs();
  rampStep();
  tickTimer_.start(kTickMs, kTickMs);
  progressTimer_.start(1000, 1000);
  loop_.run();
  // NOTE: finish() closed every socket; run the loop again until their close (and any
  // cancelled connect) callbacks have fired, so none outlives its RoomMember.
  loop_.run();
  return report_;
}

void RoomLoadRunner::rampStep() {
  for (int i = 0; i < options_.rampBatch && started_ < members_.size(); ++i)
    members_[started_++]->start();
  lastStartMs_ = nowMs();
  if (started_ < members_.size())
    rampTimer_.start(static_cast<uint64_t>(std::max(1.0, std::round(options_.rampMs))));
}

int RoomLoadRunner::membersJoinedNow() const {
  int n = 0;
  for (const auto& m : members_) n += m->state() == RoomMember::State::Joined;
  return n;
}

void RoomLoadRunner::tick() {
  const double now = nowMs();
  // NOTE: how late this tick is shows how long the client's loop was busy: latency
  // that the client itself adds (it cannot read a socket while it is elsewhere).
  if (stats_.measuring && lastTickMs_ > 0)
    stats_.loopLag.record(
        static_cast<uint64_t>(std::max(0.0, (now - lastTickMs_ - kTickMs) * 1000)));
  lastTickMs_ = now;
  switch (phase_) {
    case Phase::Ramp: {
      const bool allStarted = started_ == members_.size();
      const bool settled = stats_.joined + stats_.failed >= static_cast<int>(members_.size());
      const bool timedOut = now - lastStartMs_ > options_.joinTimeoutSec * 1000;
      if (!allStarted || (!settled && !timedOut)) return;
      rampEndMs_ = now;
      std::printf("ramp done: %d joined, %d failed in %.1f s%s\n", stats_.joined, stats_.failed,
                  (now - runStartMs_) / 1000, timedOut && !settled ? " (join timeout)" : "");
      std::fflush(stdout);
      phase_ = Phase::Warmup;
      sendStartMs_ = now;
      phaseEndMs_ = now + options_.warmupSec * 1000;
      return;
    }
    case Phase::Warmup:
      sendDue(now);
      if (now >= phaseEndMs_) beginWindow(now);
      return;
    case Phase::Measure:
      sendDue(now);
      if (now >= phaseEndMs_) endWindow(now);
      return;
    case Phase::Tail:
      if (now >= phaseEndMs_) finish();
      return;
  }
}

void RoomLoadRunner::sendDue(double now) {
  const double elapsed = (now - sendStartMs_) / 1000.0;
  const size_t rooms = senders_.size();
  for (size_t r = 0; r < rooms; ++r) {
    // NOTE: room r is offset by r/R of a message interval, so R rooms do not all
    // send in the same tick.
    const auto due =
        static_cast<uint64_t>(std::floor(options_.rate * elapsed + static_cast<double>(r) / rooms));
    auto& sent = roomSent_[r];
    const auto& senders = senders_[r];
    for (; sent < due; ++sent) {
      RoomMember* sender = senders[sent % senders.size()];
      if (!sender->sendText()) ++stats_.errors["message not sent: its sender is not in the room"];
    }
  }
}

void RoomLoadRunner::beginWindow(double now) {
  phase_ = Phase::Measure;
  stats_.measuring = true;
  windowStartMs_ = now;
  phaseEndMs_ = now + options_.durationSec * 1000;
  cpuAtWindowStart_ = cpuSeconds();
  std::printf("WINDOW start\n");
  std::fflush(stdout);
}

void RoomLoadRunner::endWindow(double now) {
  stats_.measuring = false;
  windowEndMs_ = now;
  cpuAtWindowEnd_ = cpuSeconds();
  membersAtEnd_ = membersJoinedNow();
  std::printf("WINDOW end\n");
  std::fflush(stdout);
  phase_ = Phase::Tail;
  phaseEndMs_ = now + kTailMs;
}

void RoomLoadRunner::progress() {
  if (!options_.progress) return;
  const uint64_t total = stats_.deliveriesTotal;
  std::printf("t=%.0fs joined=%d failed=%d dropped=%d sent=%llu deliveries=%llu/s p99=%.1f ms\n",
              (nowMs() - runStartMs_) / 1000, stats_.joined, stats_.failed, stats_.dropped,
              static_cast<unsigned long long>(stats_.sent),
              static_cast<unsigned long long>(total - deliveriesAtLastProgress_),
              stats_.latency.percentile(99) / 1000.0);
  std::fflush(stdout);
  deliveriesAtLastProgress_ = total;
}

void RoomLoadRunner::finish() {
  const double rampSeconds = (rampEndMs_ - runStartMs_) / 1000;
  const double windowSeconds = (windowEndMs_ - windowStartMs_) / 1000;
  report_ = RoomLoadReport::build(options_, stats_, rampSeconds, windowSeconds, membersAtEnd_,
                                  cpuAtWindowEnd_ - cpuAtWindowStart_, cpuSeconds());
  rampTimer_.stop();
  tickTimer_.stop();
  progressTimer_.stop();
  for (auto& m : members_) m->stop();
  loop_.stop();
}

}  // namespace bench
