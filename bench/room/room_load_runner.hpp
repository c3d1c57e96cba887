// RoomLoadRunner: ramps the members of R rooms in batches, waits until they joined,
// paces the senders at the room rate, warms up, measures a window (announced on
// stdout as "WINDOW start"/"WINDOW end" for the driver), then builds the report.
// Owned by main(); loop thread only.
#pragma once

#include <memory>
#include <vector>

#include "bench/room/room_load_options.hpp"
#include "bench/room/room_load_report.hpp"
#include "bench/room/room_member.hpp"
#include "core/loop/event_loop.hpp"
#include "core/loop/timer.hpp"

namespace bench {

class RoomLoadRunner {
 public:
  RoomLoadRunner(core::EventLoop& loop, RoomLoadOptions options);

  // Runs the loop until the window and the tail are over; returns the report.
  RoomLoadReport run();

 private:
  enum class Phase { Ramp, Warmup, Measure, Tail };

  void rampStep();
  void tick();
  void sendDue(double now);
  void beginWindow(double now);
  void endWindow(double now);
  void progress();
  void finish();
  int membersJoinedNow() const;

  core::EventLoop& loop_;
  RoomLoadOptions options_;
  RoomLoadStats stats_;
  std::vector<std::unique_ptr<RoomMember>> members_;
  std::vector<std::vector<RoomMember*>> senders_;  // per room
  std::vector<uint64_t> roomSent_;                 // messages due so far, per room
  Phase phase_ = Phase::Ramp;
  size_t started_ = 0;
  double runStartMs_ = 0, lastStartMs_ = 0, rampEndMs_ = 0;
  double sendStartMs_ = 0, phaseEndMs_ = 0, windowStartMs_ = 0, windowEndMs_ = 0;
  double cpuAtWindowStart_ = 0, cpuAtWindowEnd_ = 0;
  double lastTickMs_ = 0;
  int membersAtEnd_ = 0;
  uint64_t deliveriesAtLastProgress_ = 0;
  core::Timer rampTimer_;
  core::Timer tickTimer_;
  core::Timer progressTimer_;
  RoomLoadReport report_;
};

}  // namespace bench
