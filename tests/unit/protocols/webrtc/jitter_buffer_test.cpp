#include "protocols/webrtc/jitter_buffer.hpp"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <vector>

using webrtc::JitterBuffer;
using webrtc::JitterPacket;

namespace {

// A packet whose bytes carry `id` (the test's own 64-bit index), to check identity.
JitterPacket jbPacket(uint16_t seq, int64_t id = -1, int64_t nowMs = 0) {
  if (id < 0) id = seq;
  std::vector<uint8_t> bytes(sizeof(id));
  std::memcpy(bytes.data(), &id, sizeof(id));
  return JitterPacket{seq, static_cast<uint32_t>(seq * 3000u), false,
                      core::SharedBuffer::adopt(std::move(bytes)), nowMs};
}

int64_t jbId(const JitterBuffer::Out& out) {
  int64_t id = 0;
  BOOST_REQUIRE(out.packet.bytes.size() == sizeof(id));
  std::memcpy(&id, out.packet.bytes.data(), sizeof(id));
  return id;
}

std::vector<uint16_t> jbSeqs(const std::vector<JitterBuffer::Out>& outs) {
  std::vector<uint16_t> seqs;
  for (const auto& o : outs) seqs.push_back(o.packet.seq);
  return seqs;
}

JitterBuffer::Options jbOptions() {
  JitterBuffer::Options o;
  o.maxPackets = 64;
  o.maxWaitMs = 100;
  o.minRetryMs = 20;
  o.initialRttMs = 30;
  o.maxNackTries = 10;
  return o;
}

}  // namespace

BOOST_AUTO_TEST_CASE(in_order_flow_is_released_at_once) {
  JitterBuffer jb(64, 100);
  for (uint16_t seq = 1000; seq < 1010; ++seq) {
    jb.insert(jbPacket(seq), seq);
    auto out = jb.pop(seq);
    BOOST_REQUIRE(out.size() == 1);
    BOOST_TEST(out[0].packet.seq == seq);
    BOOST_TEST(!out[0].lossBefore);
    BOOST_TEST(jb.nacks(seq).empty());
    BOOST_TEST(jb.nextDeadlineMs() == JitterBuffer::kNoDeadline);
  }
  BOOST_TEST(jb.stats().received == 10u);
  BOOST_TEST(jb.stats().lost == 0u);
  BOOST_TEST(jb.held() == 0u);
}

BOOST_AUTO_TEST_CASE(reordering_inside_the_window_is_repaired) {
  JitterBuffer jb(jbOptions());
  jb.insert(jbPacket(1), 0);
  BOOST_TEST(jb.pop(0).size() == 1u);
  jb.insert(jbPacket(3), 1);
  jb.insert(jbPacket(4), 2);
  BOOST_TEST(jb.pop(2).empty());  // 2 is missing: 3 and 4 wait
  jb.insert(jbPacket(2), 5);
  auto out = jb.pop(5);
  BOOST_TEST(jbSeqs(out) == (std::vector<uint16_t>{2, 3, 4}), boost::test_tools::per_element());
  for (const auto& o : out) BOOST_TEST(!o.lossBefore);
  BOOST_TEST(jb.stats().recovered == 0u);  // never asked for: plain reordering
  BOOST_TEST(jb.stats().lost == 0u);
}

BOOST_AUTO_TEST_CASE(a_nacked_gap_filled_by_a_late_packet_counts_as_recovered) {
  JitterBuffer jb(jbOptions());
  jb.insert(jbPacket(10), 0);
  jb.insert(jbPacket(12), 0);
  BOOST_TEST(jb.nacks(0) == (std::vector<uint16_t>{11}), boost::test_tools::per_element());
  jb.insert(jbPacket(11), 40);
  auto out = jb.pop(40);
  BOOST_TEST(jbSeqs(out) == (std::vector<uint16_t>{10, 11, 12}), boost::test_tools::per_element());
  BOOST_TEST(!out[1].lossBefore);
  BOOST_TEST(jb.stats().recovered == 1u);
  BOOST_TEST(jb.stats().nacked == 1u);
  BOOST_TEST(jb.nextDeadlineMs() == JitterBuffer::kNoDeadline);
}

BOOST_AUTO_TEST_CASE(a_gap_is_given_up_after_max_wait) {
  JitterBuffer jb(jbOptions());  // maxWaitMs 100
  jb.insert(jbPacket(1), 0);
  jb.pop(0);
  jb.insert(jbPacket(3), 10);
  jb.insert(jbPacket(4), 20);
  BOOST_TEST(jb.pop(109).empty());
  BOOST_TEST(jb.nextDeadlineMs() <= 110);
  auto out = jb.pop(110);
  BOOST_TEST(jbSeqs(out) == (std::vector<uint16_t>{3, 4}), boost::test_tools::per_element());
  BOOST_TEST(out[0].lossBefore);
  BOOST_TEST(!out[1].lossBefore);
  BOOST_TEST(jb.stats().lost == 1u);
  // The retransmission comes too late: counted and dropped.
  jb.insert(jbPacket(2), 120);
  BOOST_TEST(jb.pop(120).empty());
  BOOST_TEST(jb.stats().late == 1u);
  BOOST_TEST(jb.nacks(120).empty());  // never asked for once given up
}

BOOST_AUTO_TEST_CASE(nack_first_at_once_then_every_retry_interval) {
  JitterBuffer jb(jbOptions());  // RTT 30 ms > minRetry 20 ms
  jb.insert(jbPacket(100), 0);
  jb.insert(jbPacket(103), 5);
  BOOST_TEST(jb.nextDeadlineMs() == 5);  // ask now
  BOOST_TEST(jb.nacks(5) == (std::vector<uint16_t>{101, 102}), boost::test_tools::per_element());
  BOOST_TEST(jb.nacks(6).empty());
  BOOST_TEST(jb.nacks(34).empty());
  BOOST_TEST(jb.nextDeadlineMs() == 35);
  BOOST_TEST(jb.nacks(35) == (std::vector<uint16_t>{101, 102}), boost::test_tools::per_element());
  // A smaller RTT: the floor minRetryMs applies.
  jb.setRttMs(5);
  BOOST_TEST(jb.nacks(54).empty());
  BOOST_TEST(jb.nacks(55).size() == 2u);
  // Only the still missing seq is asked again.
  jb.insert(jbPacket(101), 60);
  BOOST_TEST(jb.nacks(75) == (std::vector<uint16_t>{102}), boost::test_tools::per_element());
  BOOST_TEST(jb.stats().nacked == 7u);
  BOOST_TEST(jb.stats().recovered == 1u);
}

BOOST_AUTO_TEST_CASE(nack_stops_after_max_tries_and_at_give_up) {
  auto options = jbOptions();
  options.maxNackTries = 3;
  options.maxWaitMs = 1000;
  JitterBuffer jb(options);
  jb.insert(jbPacket(1), 0);
  jb.insert(jbPacket(3), 0);
  int asked = 0;
  for (int64_t t = 0; t < 1000; t += 10) asked += static_cast<int>(jb.nacks(t).size());
  BOOST_TEST(asked == 3);
  // Tries exhausted: only the give-up is left to wait for.
  BOOST_TEST(jb.nextDeadlineMs() == 1000);
  auto out = jb.pop(1000);
  BOOST_TEST(jbSeqs(out) == (std::vector<uint16_t>{1, 3}), boost::test_tools::per_element());
  BOOST_TEST(out[1].lossBefore);

  // Expired but not yet popped: no request either.
  JitterBuffer jb2(jbOptions());
  jb2.insert(jbPacket(1), 0);
  jb2.insert(jbPacket(3), 0);
  BOOST_TEST(jb2.nacks(100).empty());
}

BOOST_AUTO_TEST_CASE(a_gap_wider_than_the_nack_bound_is_not_requested) {
  auto options = jbOptions();
  options.maxPackets = 512;
  options.maxNackGap = 50;
  JitterBuffer jb(options);
  jb.insert(jbPacket(1), 0);
  jb.insert(jbPacket(101), 1);  // 99 missing > 50
  BOOST_TEST(jb.nacks(1).empty());
  auto out = jb.pop(1);  // given up at once: no wait for what nobody asked for
  BOOST_TEST(jbSeqs(out) == (std::vector<uint16_t>{1, 101}), boost::test_tools::per_element());
  BOOST_TEST(out[1].lossBefore);
  BOOST_TEST(jb.stats().lost == 99u);
  BOOST_TEST(jb.stats().nacked == 0u);
  // A gap of exactly the bound is requested.
  jb.insert(jbPacket(152), 2);
  BOOST_TEST(jb.nacks(2).size() == 50u);
}

BOOST_AUTO_TEST_CASE(nacks_are_capped_per_call_oldest_first) {
  auto options = jbOptions();
  options.maxPackets = 1024;
  options.maxNackGap = 1000;
  options.maxNacksPerCall = 256;
  JitterBuffer jb(options);
  jb.insert(jbPacket(0), 0);
  jb.insert(jbPacket(601), 0);  // 600 missing
  auto first = jb.nacks(0);
  BOOST_REQUIRE(first.size() == 256u);
  BOOST_TEST(first.front() == 1);
  BOOST_TEST(first.back() == 256);
  BOOST_TEST(jb.nextDeadlineMs() == 0);  // the rest are still due
  BOOST_TEST(jb.nacks(0).size() == 256u);
  auto third = jb.nacks(0);
  BOOST_TEST(third.size() == 88u);
  BOOST_TEST(third.back() == 600);
}

BOOST_AUTO_TEST_CASE(wrap_65530_to_5_with_reordering) {
  JitterBuffer jb(jbOptions());
  const std::vector<uint16_t> order{65530, 65532, 65531, 65534, 65535, 0, 65533, 2, 1, 3, 5, 4};
  std::vector<uint16_t> released;
  int64_t now = 0;
  for (uint16_t seq : order) {
    jb.insert(jbPacket(seq), now);
    for (const auto& o : jb.pop(now)) {
      BOOST_TEST(!o.lossBefore);
      released.push_back(o.packet.seq);
    }
    now += 5;
  }
  const std::vector<uint16_t> expected{65530, 65531, 65532, 65533, 65534, 65535, 0, 1, 2, 3, 4, 5};
  BOOST_TEST(released == expected, boost::test_tools::per_element());
  BOOST_TEST(jb.stats().lost == 0u);
  BOOST_TEST(jb.stats().late == 0u);
}

BOOST_AUTO_TEST_CASE(duplicates_are_counted_and_dropped) {
  JitterBuffer jb(jbOptions());
  jb.insert(jbPacket(1), 0);
  jb.insert(jbPacket(3), 0);
  jb.insert(jbPacket(3), 1);  // held twice
  jb.insert(jbPacket(2), 2);
  auto out = jb.pop(2);
  BOOST_TEST(jbSeqs(out) == (std::vector<uint16_t>{1, 2, 3}), boost::test_tools::per_element());
  jb.insert(jbPacket(2), 3);  // already released
  jb.insert(jbPacket(3), 3);
  BOOST_TEST(jb.pop(3).empty());
  BOOST_TEST(jb.stats().duplicates == 3u);
  BOOST_TEST(jb.stats().late == 0u);
  BOOST_TEST(jb.stats().received == 6u);
}

BOOST_AUTO_TEST_CASE(overflow_of_max_packets_gives_up_the_oldest_gap) {
  auto options = jbOptions();
  options.maxPackets = 8;
  options.maxWaitMs = 10000;
  JitterBuffer jb(options);
  jb.insert(jbPacket(1), 0);
  BOOST_TEST(jb.pop(0).size() == 1u);
  for (uint16_t seq = 3; seq <= 9; ++seq) {  // 2 missing, 7 held: the window is 2..9
    jb.insert(jbPacket(seq), 0);
    BOOST_TEST(jb.pop(0).empty());
  }
  BOOST_TEST(jb.held() == 7u);
  jb.insert(jbPacket(10), 0);  // does not fit: 2 is given up
  auto out = jb.pop(0);
  BOOST_TEST(out.size() == 8u);
  BOOST_TEST(out.front().packet.seq == 3);
  BOOST_TEST(out.front().lossBefore);
  BOOST_TEST(out.back().packet.seq == 10);
  BOOST_TEST(jb.stats().lost == 1u);
  BOOST_TEST(jb.held() == 0u);
}

BOOST_AUTO_TEST_CASE(the_buffer_never_holds_more_than_max_packets) {
  auto options = jbOptions();
  options.maxPackets = 16;
  options.maxWaitMs = 1000000;
  JitterBuffer jb(options);
  jb.insert(jbPacket(0), 0);
  // The owner never pops and 1 never comes.
  for (uint16_t seq = 2; seq < 500; ++seq) {
    jb.insert(jbPacket(seq), 0);
    BOOST_TEST(jb.held() <= 16u);
  }
  auto out = jb.pop(0);
  BOOST_TEST(out.size() <= 16u);
  BOOST_TEST(out.back().packet.seq == 499);
  BOOST_TEST(out.front().lossBefore);
}

BOOST_AUTO_TEST_CASE(a_sender_restart_resets_without_a_nack_storm) {
  JitterBuffer jb(jbOptions());
  std::vector<JitterBuffer::Out> out;
  auto take = [&](int64_t now) {
    auto part = jb.pop(now);
    for (auto& o : part) out.push_back(std::move(o));
  };
  for (uint16_t seq = 100; seq < 110; ++seq) {
    jb.insert(jbPacket(seq), seq);
    take(seq);
  }
  jb.insert(jbPacket(40000), 200);  // on probation: not released, nothing asked
  take(200);
  BOOST_TEST(out.size() == 10u);
  BOOST_TEST(jb.nacks(200).empty());
  for (uint16_t seq = 40001; seq < 40010; ++seq) {
    jb.insert(jbPacket(seq), 200 + seq - 40000);
    take(200 + seq - 40000);
    BOOST_TEST(jb.nacks(200 + seq - 40000).empty());
  }
  BOOST_REQUIRE(out.size() == 20u);
  BOOST_TEST(out[10].packet.seq == 40000);  // the probation packet is kept
  BOOST_TEST(out[10].lossBefore);           // a discontinuity for the depacketizer
  for (size_t i = 11; i < out.size(); ++i) BOOST_TEST(!out[i].lossBefore);
  BOOST_TEST(jb.stats().restarts == 1u);
  BOOST_TEST(jb.stats().nacked == 0u);
  BOOST_TEST(jb.nextDeadlineMs() == JitterBuffer::kNoDeadline);
}

BOOST_AUTO_TEST_CASE(a_jump_inside_max_dropout_is_a_gap_given_up_without_nacks) {
  JitterBuffer jb(jbOptions());  // window 64, maxNackGap 256
  jb.insert(jbPacket(100), 0);
  jb.pop(0);
  jb.insert(jbPacket(2100), 1);  // 1999 missing: more than the window and the bound
  BOOST_TEST(jb.nacks(1).empty());
  auto out = jb.pop(1);
  BOOST_REQUIRE(jbSeqs(out) == (std::vector<uint16_t>{2100}));
  BOOST_TEST(out[0].lossBefore);
  BOOST_TEST(jb.stats().lost == 1999u);
}

BOOST_AUTO_TEST_CASE(very_late_retransmissions_we_asked_for_are_not_a_restart) {
  auto options = jbOptions();
  options.maxPackets = 16;  // "behind" reaches 100 seqs (A.1's MAX_MISORDER)
  JitterBuffer jb(options);
  jb.insert(jbPacket(1), 0);
  jb.insert(jbPacket(4), 0);
  BOOST_TEST(jb.nacks(0) == (std::vector<uint16_t>{2, 3}), boost::test_tools::per_element());
  std::vector<uint16_t> released;
  for (uint16_t seq = 5; seq < 200; ++seq) {
    jb.insert(jbPacket(seq), seq);
    for (const auto& o : jb.pop(seq)) released.push_back(o.packet.seq);
  }
  // The answers come 190 seqs late, one after the other: two sequential packets far
  // behind, which RFC 3550 A.1 alone would take for a restart.
  jb.insert(jbPacket(2), 300);
  jb.insert(jbPacket(3), 300);
  jb.insert(jbPacket(200), 300);
  for (const auto& o : jb.pop(300)) released.push_back(o.packet.seq);
  BOOST_TEST(jb.stats().restarts == 0u);
  BOOST_TEST(jb.stats().late == 2u);
  BOOST_REQUIRE(released.size() == 198u);
  BOOST_TEST(std::is_sorted(released.begin(), released.end()));
  BOOST_TEST(released.back() == 200);
}

BOOST_AUTO_TEST_CASE(a_lone_jump_is_a_stray) {
  JitterBuffer jb(jbOptions());
  jb.insert(jbPacket(100), 0);
  jb.insert(jbPacket(101), 0);
  jb.insert(jbPacket(30000), 0);
  jb.insert(jbPacket(102), 0);
  auto out = jb.pop(0);
  BOOST_TEST(jbSeqs(out) == (std::vector<uint16_t>{100, 101, 102}),
             boost::test_tools::per_element());
  for (const auto& o : out) BOOST_TEST(!o.lossBefore);
  BOOST_TEST(jb.stats().strays == 1u);
  BOOST_TEST(jb.stats().restarts == 0u);
}

// Property: whatever arrives (loss, reordering, duplicates, retransmissions answering
// the NACKs, a wrap, in odd rounds a sender restart after a 500 ms pause), pop()
// yields packets in strictly increasing order, each at most once, and never skips one
// without lossBefore; every insert is accounted for.
BOOST_AUTO_TEST_CASE(random_arrivals_keep_the_output_ordered) {
  std::mt19937 rng(17);
  for (int round = 0; round < 40; ++round) {
    auto options = jbOptions();
    options.maxPackets = 32 + rng() % 200;
    options.maxWaitMs = 20 + rng() % 200;
    options.maxNackGap = 1 + rng() % 100;
    JitterBuffer jb(options);
    const int total = 3000;
    const uint16_t firstSeq = static_cast<uint16_t>(65536 - 1000 + rng() % 300);
    // Ids from restartAt on are sent with seqs 30000 further (a restart).
    const int restartAt = round % 2 == 1 ? 1000 + static_cast<int>(rng() % 1000) : total;
    auto seqOf = [&](int64_t id) {
      return static_cast<uint16_t>(id < restartAt ? firstSeq + id
                                                  : firstSeq + 30000 + (id - restartAt));
    };
    auto idOf = [&](uint16_t seq) {
      const int64_t d = static_cast<uint16_t>(seq - firstSeq);
      return d < 30000 ? d : restartAt + (d - 30000);
    };
    // Each send: (arrival time, id); id i has seq firstSeq + i.
    std::multimap<int64_t, int64_t> arrivals;
    const int lossPct = static_cast<int>(rng() % 20);
    for (int i = 0; i < total; ++i) {
      const int64_t sent = i * 2 + (i >= restartAt ? 500 : 0);
      if (static_cast<int>(rng() % 100) < lossPct) continue;
      const int64_t jitter = rng() % 4 == 0 ? static_cast<int64_t>(rng() % 60) : 0;
      arrivals.emplace(sent + jitter, i);
      if (rng() % 50 == 0)
        arrivals.emplace(sent + jitter + static_cast<int64_t>(rng() % 30), i);  // duplicate
    }
    std::set<int64_t> released;
    int64_t lastId = -1;
    uint64_t popped = 0;
    int64_t now = 0;
    auto check = [&](std::vector<JitterBuffer::Out> outs) {
      for (const auto& o : outs) {
        const int64_t id = jbId(o);
        BOOST_REQUIRE(id > lastId);
        BOOST_REQUIRE(released.insert(id).second);
        if (lastId >= 0 && id != lastId + 1) BOOST_REQUIRE(o.lossBefore);
        BOOST_REQUIRE(o.packet.seq == seqOf(id));
        lastId = id;
        ++popped;
      }
    };
    while (!arrivals.empty()) {
      auto it = arrivals.begin();
      now = std::max(now, it->first);
      const int64_t id = it->second;
      arrivals.erase(it);
      jb.insert(jbPacket(seqOf(id), id, now), now);
      check(jb.pop(now));
      for (uint16_t seq : jb.nacks(now)) {
        // The sender answers most requests one RTT later.
        if (rng() % 3 == 0) continue;
        arrivals.emplace(now + 10 + static_cast<int64_t>(rng() % 40), idOf(seq));
      }
      BOOST_REQUIRE(jb.held() <= options.maxPackets);
    }
    check(jb.pop(now + 1000000));
    const auto s = jb.stats();
    BOOST_TEST(s.received == popped + s.duplicates + s.late + s.strays);
    BOOST_TEST(jb.held() == 0u);
    BOOST_TEST(lastId >= total - 100);
    BOOST_TEST(s.restarts == (restartAt < total ? 1u : 0u));
  }
}
