#include "protocols/webrtc/video_gate.hpp"

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

using webrtc::VideoGate;
using Answer = VideoGate::LossAnswer;

namespace {

// A decoder model: it decodes a frame only when it holds the frame it refers to (a
// delta refers to the previous frame of its GOP). `admitted` frames go to it.
struct GateDecoder {
  int gop = -1;        // the GOP of the newest keyframe it holds
  int lastFrame = -1;  // the newest frame of that GOP it holds
  int decoded = 0, broken = 0;
  void feed(int g, int frame) {
    if (frame == 0) {
      gop = g;
      lastFrame = 0;
      ++decoded;
    } else if (g == gop && frame == lastFrame + 1) {
      lastFrame = frame;
      ++decoded;
    } else {
      ++broken;  // a delta whose reference it lacks: a broken picture
    }
  }
};

void gateFrame(VideoGate& gate, GateDecoder& d, int g, int frame, bool lost = false) {
  if (!gate.admit(frame == 0)) return;
  if (!lost) d.feed(g, frame);
}

}  // namespace

BOOST_AUTO_TEST_CASE(delta_frames_wait_for_the_first_keyframe_then_flow) {
  VideoGate gate;
  BOOST_TEST(!gate.admit(false));
  BOOST_TEST(gate.admit(true));
  BOOST_TEST(gate.admit(false));
  BOOST_TEST(gate.stats().deltasHeld == 1u);
  gate.restart();  // a new publisher
  BOOST_TEST(!gate.admit(false));
  BOOST_TEST(gate.admit(true));
}

BOOST_AUTO_TEST_CASE(a_picture_loss_is_answered_from_the_cache_at_most_once_per_gap) {
  VideoGate gate;
  gate.admit(true);
  BOOST_TEST((gate.onPictureLoss(1000, 300) == Answer::ResendCached));
  // A storm: 100 PLIs in the next second (gap 500 ms) give two more answers.
  int answers = 0;
  for (int i = 1; i <= 100; ++i)
    if (gate.onPictureLoss(1000 + i * 10, 300) != Answer::Ignore) ++answers;
  BOOST_TEST(answers == 2);
  BOOST_TEST(gate.stats().pictureLosses == 101u);
  BOOST_TEST(gate.stats().fromCache == 3u);
  BOOST_TEST(gate.stats().ignored == 98u);
  BOOST_TEST(gate.stats().sourceRequests == 0u);
}

BOOST_AUTO_TEST_CASE(no_cached_keyframe_or_an_old_one_asks_the_source) {
  VideoGate gate;
  BOOST_TEST((gate.onPictureLoss(0, std::nullopt) == Answer::RequestSource));
  BOOST_TEST((gate.onPictureLoss(100, std::nullopt) == Answer::Ignore));
  BOOST_TEST((gate.onPictureLoss(600, 5000) == Answer::ResendCachedAndRequest));
  BOOST_TEST(gate.stats().sourceRequests == 2u);
  BOOST_TEST(gate.stats().fromCache == 1u);
}

BOOST_AUTO_TEST_CASE(after_a_resent_keyframe_no_delta_lacks_its_reference) {
  VideoGate gate;
  GateDecoder d;
  // GOP 0: frames 0..9; frame 4 is lost on the way, the viewer sends a PLI at 6.
  for (int f = 0; f < 10; ++f) {
    gateFrame(gate, d, 0, f, f == 4);
    if (f == 6 && gate.onPictureLoss(1000, 200) == Answer::ResendCached)
      d.feed(0, 0);  // the cached keyframe, resent
  }
  for (int f = 0; f < 5; ++f) gateFrame(gate, d, 1, f);  // GOP 1 flows again
  // Frame 5 and 6 were broken before the PLI (the loss); nothing after it.
  BOOST_TEST(d.broken == 2);
  BOOST_TEST(gate.stats().deltasHeld == 3u);  // 7, 8, 9
  BOOST_TEST(d.lastFrame == 4);
  BOOST_TEST(d.gop == 1);
}

BOOST_AUTO_TEST_CASE(a_keyframe_resent_before_any_delta_lets_the_gop_go_on) {
  VideoGate gate;
  GateDecoder d;
  gateFrame(gate, d, 0, 0, /*lost=*/true);
  BOOST_TEST((gate.onPictureLoss(1000, 0) == Answer::ResendCached));
  d.feed(0, 0);
  for (int f = 1; f < 10; ++f) gateFrame(gate, d, 0, f);
  BOOST_TEST(d.broken == 0);
  BOOST_TEST(d.decoded == 10);
  BOOST_TEST(gate.stats().deltasHeld == 0u);
}

BOOST_AUTO_TEST_CASE(a_slow_viewer_gets_keyframes_only_and_resumes_at_a_keyframe) {
  VideoGate gate;
  GateDecoder d;
  gateFrame(gate, d, 0, 0);
  for (int w = 0; w < 2; ++w) {  // two windows of 40 % loss
    gate.monitor().onSent(100);
    gate.monitor().onNacked(40);
    gate.endWindow();
  }
  BOOST_TEST(gate.keyframesOnly());
  for (int g = 1; g < 4; ++g)
    for (int f = 0; f < 10; ++f) gateFrame(gate, d, g, f);
  BOOST_TEST(gate.stats().deltasSkipped == 27u);
  BOOST_TEST(d.decoded == 4);  // the keyframes
  // Clean windows: full video again, from the next keyframe (mid-GOP deltas wait).
  for (int w = 0; w < 4; ++w) gate.endWindow();
  BOOST_TEST(!gate.keyframesOnly());
  for (int f = 5; f < 10; ++f) gateFrame(gate, d, 3, f);
  for (int f = 0; f < 10; ++f) gateFrame(gate, d, 4, f);
  BOOST_TEST(d.broken == 0);
  BOOST_TEST(d.decoded == 14);
  BOOST_TEST(gate.stats().deltasHeld == 5u);
}
