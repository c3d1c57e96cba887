#include "protocols/webrtc/slow_viewer_monitor.hpp"

#include <boost/test/unit_test.hpp>

using webrtc::SlowViewerMonitor;
using Change = SlowViewerMonitor::Change;

namespace {

// One window: `sent` video packets, `nacked` of them asked again; an RR if given.
Change slowWindow(SlowViewerMonitor& m, size_t sent, size_t nacked, int report = -1) {
  m.onSent(sent);
  m.onNacked(nacked);
  if (report >= 0) m.onReceiverReport(static_cast<uint8_t>(report));
  return m.endWindow();
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_viewer_with_little_loss_keeps_full_video) {
  SlowViewerMonitor m;
  for (int i = 0; i < 20; ++i) BOOST_TEST((slowWindow(m, 300, 15) == Change::None));  // 5 %
  BOOST_TEST(!m.keyframesOnly());
  BOOST_TEST(m.stats().windowsBehind == 0u);
  BOOST_TEST(m.stats().nacked == 300u);
}

BOOST_AUTO_TEST_CASE(two_lossy_windows_in_a_row_give_keyframes_only) {
  SlowViewerMonitor m;
  BOOST_TEST((slowWindow(m, 300, 90) == Change::None));  // 30 %: one window is not enough
  BOOST_TEST(!m.keyframesOnly());
  BOOST_TEST((slowWindow(m, 300, 3) == Change::None));  // the run is broken
  BOOST_TEST((slowWindow(m, 300, 90) == Change::None));
  BOOST_TEST((slowWindow(m, 300, 60) == Change::Entered));
  BOOST_TEST(m.keyframesOnly());
  BOOST_TEST(m.stats().entered == 1u);
  BOOST_TEST(m.stats().lastLoss == 0.2, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(receiver_reports_and_kernel_drops_count_as_loss) {
  SlowViewerMonitor m;
  // No NACKs (a viewer without NACK) but its RRs say 25 % lost.
  BOOST_TEST((slowWindow(m, 300, 0, 64) == Change::None));
  BOOST_TEST((slowWindow(m, 300, 0, 64) == Change::Entered));
  SlowViewerMonitor k;
  for (int i = 0; i < 2; ++i) {
    k.onSent(100);
    k.onSendDropped(50);  // the kernel's buffer was full
    k.endWindow();
  }
  BOOST_TEST(k.keyframesOnly());
  BOOST_TEST(k.stats().sendDropped == 100u);
}

BOOST_AUTO_TEST_CASE(a_window_of_few_packets_is_not_judged_by_its_nacks) {
  SlowViewerMonitor m;
  for (int i = 0; i < 5; ++i) slowWindow(m, 5, 2);  // 40 %, but of 5 packets
  BOOST_TEST(!m.keyframesOnly());
  BOOST_TEST(m.stats().windowsBehind == 0u);
}

BOOST_AUTO_TEST_CASE(the_viewer_returns_after_clean_windows_only) {
  SlowViewerMonitor m;
  slowWindow(m, 300, 150);
  BOOST_TEST((slowWindow(m, 300, 150) == Change::Entered));
  // Keyframes only: few packets a window. A window with a loss is not clean.
  BOOST_TEST((slowWindow(m, 10, 0) == Change::None));
  BOOST_TEST((slowWindow(m, 10, 0) == Change::None));
  BOOST_TEST((slowWindow(m, 10, 1) == Change::None));  // the clean run starts over
  BOOST_TEST((slowWindow(m, 10, 0) == Change::None));
  BOOST_TEST((slowWindow(m, 10, 0) == Change::None));
  BOOST_TEST((slowWindow(m, 10, 0) == Change::None));
  BOOST_TEST(m.keyframesOnly());
  BOOST_TEST((slowWindow(m, 10, 0) == Change::Left));
  BOOST_TEST(!m.keyframesOnly());
  // A report of heavy loss in a small window still counts as behind.
  slowWindow(m, 5, 0, 128);
  BOOST_TEST((slowWindow(m, 5, 0, 128) == Change::Entered));
  BOOST_TEST(m.stats().entered == 2u);
}

BOOST_AUTO_TEST_CASE(thresholds_are_options) {
  SlowViewerMonitor::Options o;
  o.enterLoss = 0.5;
  o.enterWindows = 1;
  SlowViewerMonitor m(o);
  BOOST_TEST((slowWindow(m, 100, 40) == Change::None));
  BOOST_TEST((slowWindow(m, 100, 50) == Change::Entered));
}
