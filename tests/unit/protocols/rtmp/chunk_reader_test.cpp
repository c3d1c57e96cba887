#include "protocols/rtmp/chunk_reader.hpp"

#include <malloc.h>

#include <boost/test/unit_test.hpp>
#include <optional>
#include <random>

#include "core/buffer/byte_io.hpp"
#include "protocols/rtmp/chunk_writer.hpp"

using namespace rtmp;

namespace {

using Bytes = std::vector<uint8_t>;

// Hand-built chunk headers (independent of ChunkWriter).
struct Stream {
  core::ByteWriter w;

  Stream& basic(uint8_t fmt, uint32_t csid) {
    if (csid < 64) {
      w.u8(uint8_t(fmt << 6 | csid));
    } else if (csid < 320) {
      w.u8(uint8_t(fmt << 6));
      w.u8(uint8_t(csid - 64));
    } else {
      w.u8(uint8_t(fmt << 6 | 1));
      w.u8(uint8_t((csid - 64) & 0xFF));
      w.u8(uint8_t((csid - 64) >> 8));
    }
    return *this;
  }
  Stream& fmt0(uint32_t csid, uint32_t ts, uint32_t len, uint8_t type, uint32_t sid) {
    basic(0, csid);
    w.u24(ts >= 0xFFFFFF ? 0xFFFFFF : ts);
    w.u24(len);
    w.u8(type);
    w.u32le(sid);
    if (ts >= 0xFFFFFF) w.u32(ts);
    return *this;
  }
  Stream& fmt1(uint32_t csid, uint32_t delta, uint32_t len, uint8_t type) {
    basic(1, csid);
    w.u24(delta >= 0xFFFFFF ? 0xFFFFFF : delta);
    w.u24(len);
    w.u8(type);
    if (delta >= 0xFFFFFF) w.u32(delta);
    return *this;
  }
  Stream& fmt2(uint32_t csid, uint32_t delta) {
    basic(2, csid);
    w.u24(delta >= 0xFFFFFF ? 0xFFFFFF : delta);
    if (delta >= 0xFFFFFF) w.u32(delta);
    return *this;
  }
  Stream& fmt3(uint32_t csid) { return basic(3, csid); }
  Stream& ext(uint32_t ts) {
    w.u32(ts);
    return *this;
  }
  Stream& data(const Bytes& b, size_t from = 0, size_t n = SIZE_MAX) {
    n = std::min(n, b.size() - from);
    w.bytes(std::span(b).subspan(from, n));
    return *this;
  }
  Stream& u32(uint32_t v) {
    w.u32(v);
    return *this;
  }
  Bytes bytes() { return w.vector(); }
};

Bytes pattern(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = uint8_t(seed + i * 7);
  return b;
}

Bytes payloadOf(const RtmpMessage& m) {
  return Bytes(m.payload.span().begin(), m.payload.span().end());
}

void expectMessage(const RtmpMessage& m, uint32_t csid, uint8_t type, uint32_t ts, uint32_t sid,
                   const Bytes& payload) {
  BOOST_TEST(m.csid == csid);
  BOOST_TEST(int(m.type) == int(type));
  BOOST_TEST(m.timestamp == ts);
  BOOST_TEST(m.streamId == sid);
  BOOST_TEST(payloadOf(m) == payload);
}

std::vector<RtmpMessage> readAll(const Bytes& in, ChunkReadStatus& st,
                                 ChunkReaderLimits limits = {}) {
  ChunkReader r(limits);
  std::vector<RtmpMessage> out;
  st = r.feed(in, out);
  return out;
}

ChunkReadStatus errorOf(const Bytes& in, ChunkReaderLimits limits = {}) {
  ChunkReadStatus st;
  readAll(in, st, limits);
  return st;
}

}  // namespace

BOOST_AUTO_TEST_CASE(all_four_header_types) {
  Bytes a = pattern(10, 1), b = pattern(5, 2), c = pattern(5, 3), d = pattern(5, 4);
  Bytes e = pattern(200, 5), f = pattern(200, 6);
  Stream s;
  s.fmt0(3, 1000, 10, msg::kCommandAmf0, 0).data(a);
  s.fmt1(3, 20, 5, msg::kDataAmf0).data(b);
  s.fmt2(3, 30).data(c);
  s.fmt3(3).data(d);  // new message: same length/type, delta 30 again
  s.fmt0(300, 5000, 200, msg::kVideo, 1).data(e, 0, 128).fmt3(300).data(e, 128);
  // fmt 3 starting a new message right after fmt 0: the delta is the fmt 0 timestamp.
  s.fmt3(300).data(f, 0, 128).fmt3(300).data(f, 128);
  ChunkReadStatus st;
  auto out = readAll(s.bytes(), st);
  BOOST_TEST(st.ok, st.reason);
  BOOST_REQUIRE(out.size() == 6u);
  expectMessage(out[0], 3, msg::kCommandAmf0, 1000, 0, a);
  expectMessage(out[1], 3, msg::kDataAmf0, 1020, 0, b);
  expectMessage(out[2], 3, msg::kDataAmf0, 1050, 0, c);
  expectMessage(out[3], 3, msg::kDataAmf0, 1080, 0, d);
  expectMessage(out[4], 300, msg::kVideo, 5000, 1, e);
  expectMessage(out[5], 300, msg::kVideo, 10000, 1, f);
}

BOOST_AUTO_TEST_CASE(basic_header_forms) {
  Stream s;
  Bytes p = {1, 2, 3};
  for (uint32_t csid : {2u, 63u, 64u, 319u, 320u, 65599u}) {
    s.fmt0(csid, csid, 3, msg::kAudio, 1).data(p);
  }
  ChunkReadStatus st;
  auto out = readAll(s.bytes(), st);
  BOOST_TEST(st.ok, st.reason);
  BOOST_REQUIRE(out.size() == 6u);
  uint32_t expected[] = {2, 63, 64, 319, 320, 65599};
  for (int i = 0; i < 6; ++i) expectMessage(out[i], expected[i], msg::kAudio, expected[i], 1, p);
}

BOOST_AUTO_TEST_CASE(extended_timestamps) {
  Bytes a = pattern(300, 9), b = pattern(300, 10), c = pattern(4, 11);
  // fmt 0 with an extended timestamp: both fmt 3 continuations repeat it; then fmt 1
  // with delta exactly 0xFFFFFF (the marker value itself needs the extended form); then a
  // small delta: no extended field any more, on that chunk or on a following fmt 3.
  Stream t;
  t.fmt0(5, 0x01000000, 300, msg::kVideo, 1).data(a, 0, 128);
  t.fmt3(5).ext(0x01000000).data(a, 128, 128).fmt3(5).ext(0x01000000).data(a, 256);
  t.fmt1(5, 0xFFFFFF, 300, msg::kVideo).data(b, 0, 128);
  t.fmt3(5).ext(0xFFFFFF).data(b, 128, 128).fmt3(5).ext(0xFFFFFF).data(b, 256);
  t.fmt1(5, 40, 4, msg::kVideo).data(c).fmt3(5).data(c);
  ChunkReadStatus st;
  auto out = readAll(t.bytes(), st);
  BOOST_TEST(st.ok, st.reason);
  BOOST_REQUIRE(out.size() == 4u);
  expectMessage(out[0], 5, msg::kVideo, 0x01000000, 1, a);
  expectMessage(out[1], 5, msg::kVideo, 0x01000000 + 0xFFFFFF, 1, b);
  expectMessage(out[2], 5, msg::kVideo, 0x01000000 + 0xFFFFFF + 40, 1, c);
  expectMessage(out[3], 5, msg::kVideo, 0x01000000 + 0xFFFFFF + 80, 1, c);
}

BOOST_AUTO_TEST_CASE(timestamp_wraps) {
  Bytes p = {7};
  Stream s;
  s.fmt0(4, 0xFFFFFFF0, 1, msg::kAudio, 1).data(p).fmt2(4, 0x20).data(p);
  ChunkReadStatus st;
  auto out = readAll(s.bytes(), st);
  BOOST_REQUIRE(out.size() == 2u);
  BOOST_TEST(out[1].timestamp == 0x10u);
}

BOOST_AUTO_TEST_CASE(interleaved_chunk_streams) {
  Bytes video = pattern(300, 20), a1 = pattern(50, 21), a2 = pattern(50, 22);
  Stream s;
  s.fmt0(6, 100, 300, msg::kVideo, 1).data(video, 0, 128);
  s.fmt0(4, 90, 50, msg::kAudio, 1).data(a1);
  s.fmt3(6).data(video, 128, 128);
  s.fmt2(4, 23).data(a2);
  s.fmt3(6).data(video, 256);
  ChunkReadStatus st;
  auto out = readAll(s.bytes(), st);
  BOOST_TEST(st.ok, st.reason);
  BOOST_REQUIRE(out.size() == 3u);
  expectMessage(out[0], 4, msg::kAudio, 90, 1, a1);
  expectMessage(out[1], 4, msg::kAudio, 113, 1, a2);
  expectMessage(out[2], 6, msg::kVideo, 100, 1, video);
}

BOOST_AUTO_TEST_CASE(zero_length_message) {
  Bytes p = pattern(3, 1);
  Stream s;
  s.fmt0(3, 1, 0, msg::kDataAmf0, 0).fmt1(3, 1, 3, msg::kDataAmf0).data(p);
  ChunkReadStatus st;
  auto out = readAll(s.bytes(), st);
  BOOST_REQUIRE(out.size() == 2u);
  expectMessage(out[0], 3, msg::kDataAmf0, 1, 0, {});
  expectMessage(out[1], 3, msg::kDataAmf0, 2, 0, p);
}

BOOST_AUTO_TEST_CASE(set_chunk_size_applies_mid_stream) {
  Bytes big = pattern(300, 30);
  Stream s;
  s.fmt0(2, 0, 4, msg::kSetChunkSize, 0).u32(256);
  s.fmt0(3, 0, 300, msg::kVideo, 1).data(big, 0, 256).fmt3(3).data(big, 256);
  ChunkReader r;
  std::vector<RtmpMessage> out;
  BOOST_TEST(r.chunkSize() == 128u);
  auto st = r.feed(s.bytes(), out);
  BOOST_TEST(st.ok, st.reason);
  BOOST_TEST(r.chunkSize() == 256u);
  BOOST_REQUIRE(out.size() == 2u);
  BOOST_TEST(int(out[0].type) == int(msg::kSetChunkSize));
  expectMessage(out[1], 3, msg::kVideo, 0, 1, big);
  BOOST_TEST(r.bytesReceived() == s.bytes().size());
}

BOOST_AUTO_TEST_CASE(set_chunk_size_limits) {
  auto withSize = [](uint32_t size) {
    Stream s;
    s.fmt0(2, 0, 4, msg::kSetChunkSize, 0).u32(size);
    return s.bytes();
  };
  BOOST_TEST(errorOf(withSize(0)).reason == "invalid chunk size 0");
  BOOST_TEST(errorOf(withSize(0x1000000)).reason == "invalid chunk size 16777216");
  BOOST_TEST(errorOf(withSize(0x80000080)).reason == "invalid chunk size 2147483776");
  BOOST_TEST(errorOf(withSize(0xFFFFFF)).ok);
  BOOST_TEST(errorOf(withSize(1)).ok);
  Stream shortMsg;
  shortMsg.fmt0(2, 0, 2, msg::kSetChunkSize, 0).data({0, 1});
  BOOST_TEST(errorOf(shortMsg.bytes()).reason == "set chunk size message too short (2 bytes)");

  // A failed reader stays failed.
  ChunkReader r;
  std::vector<RtmpMessage> out;
  BOOST_TEST(!r.feed(withSize(0), out).ok);
  Bytes fine = {0x03, 0, 0, 0, 0, 0, 0, 0x14, 0, 0, 0, 0};
  BOOST_TEST(r.feed(fine, out).reason == "invalid chunk size 0");
  BOOST_TEST(out.empty());
}

BOOST_AUTO_TEST_CASE(abort_discards_partial_message) {
  Bytes old = pattern(300, 40), fresh = pattern(300, 41);
  Stream s;
  s.fmt0(6, 100, 300, msg::kVideo, 1).data(old, 0, 128);
  s.fmt0(2, 0, 4, msg::kAbort, 0).u32(6);
  // Without the abort these fmt 3 chunks would continue the old message.
  s.fmt3(6).data(fresh, 0, 128).fmt3(6).data(fresh, 128, 128).fmt3(6).data(fresh, 256);
  ChunkReadStatus st;
  auto out = readAll(s.bytes(), st);
  BOOST_TEST(st.ok, st.reason);
  BOOST_REQUIRE(out.size() == 2u);
  BOOST_TEST(int(out[0].type) == int(msg::kAbort));
  expectMessage(out[1], 6, msg::kVideo, 200, 1, fresh);
}

BOOST_AUTO_TEST_CASE(message_length_limit) {
  Stream s;
  s.fmt0(3, 0, 1001, msg::kVideo, 1);
  ChunkReaderLimits limits;
  limits.maxMessageSize = 1000;
  BOOST_TEST(errorOf(s.bytes(), limits).reason == "message length 1001 exceeds limit 1000");
  Stream t;
  t.fmt0(3, 0, 0xFFFFFF, msg::kVideo, 1);
  BOOST_TEST(errorOf(t.bytes()).reason == "message length 16777215 exceeds limit 8388608");
  // fmt 1 raising the length on an existing chunk stream is checked too.
  Stream u;
  u.fmt0(3, 0, 1, msg::kVideo, 1).data({1}).fmt1(3, 0, 5000, msg::kVideo);
  BOOST_TEST(errorOf(u.bytes(), limits).reason == "message length 5000 exceeds limit 1000");
}

BOOST_AUTO_TEST_CASE(first_chunk_needs_fmt0) {
  Stream s1, s2, s3;
  s1.fmt1(3, 0, 1, msg::kVideo).data({1});
  s2.fmt2(7, 0).data({1});
  s3.fmt3(400).data({1});
  BOOST_TEST(errorOf(s1.bytes()).reason ==
             "chunk stream 3: first chunk has fmt 1 but no previous header");
  BOOST_TEST(errorOf(s2.bytes()).reason ==
             "chunk stream 7: first chunk has fmt 2 but no previous header");
  BOOST_TEST(errorOf(s3.bytes()).reason ==
             "chunk stream 400: first chunk has fmt 3 but no previous header");
}

BOOST_AUTO_TEST_CASE(too_many_chunk_streams) {
  ChunkReaderLimits limits;
  limits.maxChunkStreams = 4;
  Stream s;
  for (uint32_t csid = 3; csid < 7; ++csid) s.fmt0(csid, 0, 1, msg::kAudio, 1).data({1});
  BOOST_TEST(errorOf(s.bytes(), limits).ok);
  s.fmt0(7, 0, 1, msg::kAudio, 1).data({1});
  BOOST_TEST(errorOf(s.bytes(), limits).reason == "too many chunk streams (limit 4)");
}

BOOST_AUTO_TEST_CASE(pending_bytes_bounded) {
  ChunkReaderLimits limits;
  limits.maxPendingBytes = 1000;
  Bytes p = pattern(128, 1);
  Stream s;
  for (uint32_t csid = 3; csid < 20; ++csid) s.fmt0(csid, 0, 100000, msg::kVideo, 1).data(p);
  const auto st = errorOf(s.bytes(), limits);
  BOOST_TEST(st.reason == "incomplete messages would hold more than 1000 bytes on this connection");
  BOOST_TEST(st.overLimit);
}

// Heap bytes in use (small chunks and mmapped ones), or nullopt under a sanitizer,
// whose allocator mallinfo2 does not see.
std::optional<size_t> heapInUse() {
#if defined(__SANITIZE_ADDRESS__)
  return std::nullopt;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  return std::nullopt;
#endif
#endif
  const struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

// `streams` chunk streams, each announcing a message of `announced` bytes and sending
// its first chunk (128 bytes, the default chunk size).
Bytes announcingHeaders(size_t streams, uint32_t announced) {
  Bytes p = pattern(128, 3);
  Stream s;
  for (uint32_t csid = 3; csid < 3 + streams; ++csid)
    s.fmt0(csid, 0, announced, msg::kVideo, 1).data(p);
  return s.bytes();
}

BOOST_AUTO_TEST_CASE(announced_length_is_not_allocated_up_front) {
  const auto before = heapInUse();
  ChunkReader r;
  std::vector<RtmpMessage> out;
  BOOST_TEST(r.feed(announcingHeaders(64, 1 << 20), out).ok);
  const auto after = heapInUse();
  BOOST_TEST(out.empty());
  // What is held grows with what arrived (64 x 128 bytes), not with what was announced.
  BOOST_TEST(r.pendingBytes() == 64u * 128);
  if (before && after) {
    BOOST_TEST_MESSAGE("heap grew by " << (*after - *before) << " bytes");
    BOOST_TEST(*after - *before < 128u * 1024);  // the old reader took 64 MiB here
  }
}

BOOST_AUTO_TEST_CASE(buffers_grow_with_the_data_and_are_charged_to_the_budget) {
  core::ByteBudget budget("test budget", 1 << 20);
  ChunkReader r({}, &budget);
  Bytes a = pattern(10000, 1), b = pattern(384, 2);
  Stream s;
  // csid 4 stays incomplete (384 of 5000 bytes); csid 6 completes in 79 chunks.
  s.fmt0(4, 0, 5000, msg::kAudio, 1).data(b, 0, 128).fmt3(4).data(b, 128, 128).fmt3(4).data(b, 256);
  s.fmt0(6, 0, 10000, msg::kVideo, 1);
  std::vector<RtmpMessage> out;
  BOOST_TEST(r.feed(s.bytes(), out).ok);
  BOOST_TEST(r.pendingBytes() >= 384u);
  BOOST_TEST(r.pendingBytes() <= 768u);  // at most twice what arrived
  BOOST_TEST(budget.used() == r.pendingBytes());
  size_t peak = 0;
  for (size_t at = 0; at < a.size(); at += 128) {
    Stream c;
    if (at > 0) c.fmt3(6);
    c.data(a, at, 128);
    BOOST_TEST(r.feed(c.bytes(), out).ok);
    peak = std::max(peak, budget.used());
    if (out.empty()) BOOST_TEST(budget.used() <= 768 + 2 * (at + 128));
  }
  BOOST_REQUIRE(out.size() == 1u);
  expectMessage(out[0], 6, msg::kVideo, 0, 1, a);
  BOOST_TEST(out[0].payload.size() == 10000u);
  BOOST_TEST(peak <= 768u + 10000);               // never more than the announced length
  BOOST_TEST(budget.used() == r.pendingBytes());  // the message took its buffer away
  BOOST_TEST(r.pendingBytes() <= 768u);
  r.release();
  BOOST_TEST(budget.used() == 0u);
  BOOST_TEST(r.pendingBytes() == 0u);
  BOOST_TEST(!r.feed(s.bytes(), out).ok);
}

BOOST_AUTO_TEST_CASE(budget_refusal_names_the_budget) {
  core::ByteBudget total("rtmp.max_partial_bytes", 4096);
  core::ByteBudget share("the share of unauthenticated peers", 1024, &total);
  {
    ChunkReader r({}, &share);
    std::vector<RtmpMessage> out;
    const auto st = r.feed(announcingHeaders(20, 1 << 20), out);
    BOOST_TEST(!st.ok);
    BOOST_TEST(st.overLimit);
    BOOST_TEST(st.reason ==
               "incomplete messages would exceed the share of unauthenticated peers (1024 "
               "bytes, 1024 in use)");
    BOOST_TEST(share.used() == 1024u);
    BOOST_TEST(total.used() == 1024u);
  }  // the destructor gives everything back
  BOOST_TEST(share.used() == 0u);
  BOOST_TEST(total.used() == 0u);
}

BOOST_AUTO_TEST_CASE(moving_to_the_ancestor_budget_keeps_the_count) {
  core::ByteBudget total("total", 1 << 20);
  core::ByteBudget share("share", 1000, &total);
  ChunkReaderLimits limits;
  limits.maxPendingBytes = 1000;
  ChunkReader r(limits, &share);
  std::vector<RtmpMessage> out;
  BOOST_TEST(r.feed(announcingHeaders(5, 1 << 20), out).ok);
  BOOST_TEST(share.used() == 640u);
  r.moveToAncestorBudget(total);
  r.setMaxPendingBytes(1 << 20);
  BOOST_TEST(share.used() == 0u);
  BOOST_TEST(total.used() == 640u);
  // Beyond both former bounds now.
  BOOST_TEST(r.feed(announcingHeaders(20, 1 << 20), out).ok);
  BOOST_TEST(share.used() == 0u);
  BOOST_TEST(total.used() == r.pendingBytes());
  BOOST_TEST(r.pendingBytes() > 1000u);
}

BOOST_AUTO_TEST_CASE(new_header_drops_incomplete_message) {
  Bytes a = pattern(300, 1), b = pattern(10, 2);
  Stream s;
  s.fmt0(6, 0, 300, msg::kVideo, 1).data(a, 0, 128).fmt0(6, 50, 10, msg::kVideo, 1).data(b);
  ChunkReadStatus st;
  auto out = readAll(s.bytes(), st);
  BOOST_TEST(st.ok);
  BOOST_REQUIRE(out.size() == 1u);
  expectMessage(out[0], 6, msg::kVideo, 50, 1, b);
}

BOOST_AUTO_TEST_CASE(byte_by_byte_and_random_splits_agree) {
  std::mt19937 rng(42);
  ChunkWriter writer;
  Bytes stream;
  std::vector<RtmpMessage> sent;
  uint32_t ts = 0xFFFFF000;  // crosses both the extended marker and the wrap
  for (int i = 0; i < 300; ++i) {
    ts += rng() % 3 == 0 ? 0x01000000 : rng() % 100;
    uint32_t csid = 3 + rng() % 5 + (i % 7 == 0 ? 400 : 0);
    size_t len = rng() % 5 == 0 ? rng() % 2000 : rng() % 200;
    Bytes p(len);
    for (auto& x : p) x = uint8_t(rng());
    RtmpMessage m{csid, uint8_t(i % 2 ? msg::kAudio : msg::kVideo), ts, 1,
                  core::SharedBuffer::adopt(std::move(p))};
    writer.writeTo(m, stream);
    sent.push_back(m);
  }
  auto check = [&](const std::vector<RtmpMessage>& got) {
    BOOST_REQUIRE(got.size() == sent.size());
    for (size_t i = 0; i < sent.size(); ++i) {
      expectMessage(got[i], sent[i].csid, sent[i].type, sent[i].timestamp, 1, payloadOf(sent[i]));
    }
  };
  ChunkReadStatus st;
  check(readAll(stream, st));

  ChunkReader bytewise;
  std::vector<RtmpMessage> out;
  for (size_t i = 0; i < stream.size(); ++i) {
    BOOST_REQUIRE(bytewise.feed(std::span(stream).subspan(i, 1), out).ok);
  }
  check(out);
  BOOST_TEST(bytewise.bytesReceived() == stream.size());

  for (int round = 0; round < 10; ++round) {
    ChunkReader split;
    out.clear();
    for (size_t pos = 0; pos < stream.size();) {
      size_t n = std::min<size_t>(stream.size() - pos, rng() % 300);
      BOOST_REQUIRE(split.feed(std::span(stream).subspan(pos, n), out).ok);
      pos += n;
    }
    check(out);
  }
}

BOOST_AUTO_TEST_CASE(random_garbage_never_crashes) {
  std::mt19937 rng(7);
  int errors = 0;
  for (int round = 0; round < 300; ++round) {
    Bytes junk(1 + rng() % 4000);
    for (auto& x : junk) x = uint8_t(rng());
    ChunkReaderLimits limits;
    limits.maxMessageSize = 1 + rng() % 100000;
    ChunkReader r(limits);
    std::vector<RtmpMessage> out;
    for (size_t pos = 0; pos < junk.size();) {
      size_t n = std::min<size_t>(junk.size() - pos, 1 + rng() % 64);
      r.feed(std::span(junk).subspan(pos, n), out);
      pos += n;
    }
    for (const auto& m : out) BOOST_REQUIRE(m.payload.size() <= limits.maxMessageSize);
    errors += r.failed();
  }
  BOOST_TEST(errors > 100);  // most garbage is rejected, none of it crashes
}

BOOST_AUTO_TEST_CASE(the_first_bytes_held_are_not_charged_to_the_budget) {
  core::ByteBudget share("share", 2000);
  ChunkReaderLimits limits;
  limits.unbudgetedBytes = 1000;
  ChunkReader r(limits, &share);
  std::vector<RtmpMessage> out;
  BOOST_TEST(r.feed(announcingHeaders(7, 1 << 20), out).ok);  // 896 bytes: all its own
  BOOST_TEST(r.pendingBytes() == 896u);
  BOOST_TEST(share.used() == 0u);
  BOOST_TEST(r.feed(announcingHeaders(20, 1 << 20), out).ok);  // 2560 held: 1560 charged
  BOOST_TEST(r.pendingBytes() == 2560u);
  BOOST_TEST(share.used() == 1560u);
  // Completing a message returns what it charged, down to the free allowance.
  Bytes rest = pattern(100, 9);
  Stream s;
  s.fmt0(3, 0, 100, msg::kAudio, 1).data(rest);  // a new header drops csid 3's partial
  BOOST_TEST(r.feed(s.bytes(), out).ok);
  BOOST_TEST(out.size() == 1u);
  BOOST_TEST(r.pendingBytes() == 2432u);
  BOOST_TEST(share.used() == 1432u);
  r.release();
  BOOST_TEST(share.used() == 0u);
}
