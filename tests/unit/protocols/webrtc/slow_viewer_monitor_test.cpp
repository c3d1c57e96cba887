#include "protocols/webrtc/slow_viewer_monitor.hpp"

#include <boost/test/unit_test.hpp>
#include <random>

using webrtc::SlowViewerMonitor;
using Change = SlowViewerMonitor::Change;

namespace {

// One window: `sent` video packets, `nacked` of them asked again.
Change slowWindow(SlowViewerMonitor& m, size_t sent, size_t nacked) {
  m.onSent(sent);
  m.onNacked(nacked);
  return m.endWindow();
}

// A viewer's receiver reports: cumulative lost and the extended highest seq.
struct SlowReports {
  int32_t lost = 0;
  uint32_t highest = 1000;
  // One window of `sent` packets of which `lost` never arrived, reported in `reports`
  // RRs, no NACKs.
  Change window(SlowViewerMonitor& m, uint32_t sent, int32_t lostNow, int reports = 4) {
    m.onSent(sent);
    for (int i = 1; i <= reports; ++i)
      m.onReceiverReport(lost + lostNow * i / reports, highest + sent * i / reports);
    lost += lostNow;
    highest += sent;
    return m.endWindow();
  }
};

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
  SlowReports rr;
  rr.window(m, 300, 0);  // the first report starts the count
  // No NACKs (a viewer without NACK) but its RRs say 25 % lost.
  BOOST_TEST((rr.window(m, 300, 75) == Change::None));
  BOOST_TEST((rr.window(m, 300, 75) == Change::Entered));
  BOOST_TEST(m.stats().lastLoss == 0.25, boost::test_tools::tolerance(1e-9));
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
  // Reports of heavy loss over enough packets count as behind again.
  SlowReports rr;
  rr.window(m, 10, 0);
  rr.window(m, 100, 50);
  BOOST_TEST((rr.window(m, 100, 50) == Change::Entered));
  BOOST_TEST(m.stats().entered == 2u);
}

BOOST_AUTO_TEST_CASE(one_lost_packet_in_a_short_report_interval_is_not_a_slow_viewer) {
  // The viewer reports with each NACK: 1 lost of the 8 since its last RR (12.5 %),
  // 8 times a second, but 8 of 600 (1.3 %) over the window.
  SlowViewerMonitor m;
  SlowReports rr;
  for (int w = 0; w < 10; ++w) rr.window(m, 600, 8, 75);
  BOOST_TEST(!m.keyframesOnly());
  BOOST_TEST(m.stats().windowsBehind == 0u);
}

BOOST_AUTO_TEST_CASE(thresholds_are_options) {
  SlowViewerMonitor::Options o;
  o.enterLoss = 0.5;
  o.enterWindows = 1;
  SlowViewerMonitor m(o);
  BOOST_TEST((slowWindow(m, 100, 40) == Change::None));
  BOOST_TEST((slowWindow(m, 100, 50) == Change::Entered));
}

BOOST_AUTO_TEST_CASE(random_five_percent_loss_at_a_low_bitrate_never_looks_slow) {
  // 75 packets a second (600 kbit/s), each lost with p = 0.05, for 1000 seconds.
  std::mt19937 rng(17);
  std::bernoulli_distribution lost(0.05);
  SlowViewerMonitor m;
  for (int w = 0; w < 1000; ++w) {
    size_t n = 0;
    for (int i = 0; i < 75; ++i) n += lost(rng) ? 1 : 0;
    slowWindow(m, 75, n);
  }
  BOOST_TEST(m.stats().entered == 0u);
  // At 25 % it is slow within two seconds.
  std::bernoulli_distribution heavy(0.25);
  for (int w = 0; w < 2; ++w) {
    size_t n = 0;
    for (int i = 0; i < 75; ++i) n += heavy(rng) ? 1 : 0;
    slowWindow(m, 75, n);
  }
  BOOST_TEST(m.keyframesOnly());
}
