#include "bench/room/room_load_self_test.hpp"

#include <cstdio>
#include <string>
#include <vector>

#include "bench/room/latency_histogram.hpp"
#include "bench/room/ws_frame.hpp"
#include "bench/room/ws_handshake.hpp"

namespace bench {
namespace {

int gPassed = 0, gFailed = 0;

void check(bool ok, const std::string& what) {
  if (ok) {
    ++gPassed;
  } else {
    ++gFailed;
    std::printf("FAILED: %s\n", what.c_str());
  }
}

struct Collect : WsFrameDecoder::Sink {
  std::vector<std::pair<WsOpcode, std::string>> got;
  bool onWsMessage(WsOpcode opcode, std::span<const uint8_t> payload) override {
    got.emplace_back(opcode, std::string(payload.begin(), payload.end()));
    return true;
  }
};

std::span<const uint8_t> bytesOf(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

void testRoundTrip() {
  for (size_t n : {0, 5, 125, 126, 127, 65535, 65536, 70000}) {
    std::string payload(n, '\0');
    for (size_t i = 0; i < n; ++i) payload[i] = static_cast<char>('a' + i % 26);
    std::vector<uint8_t> frame;
    appendWsFrame(frame, WsOpcode::Text, bytesOf(payload), true, 0xA1B2C3D4);
    const size_t head = n < 126 ? 2 : n <= 0xFFFF ? 4 : 10;
    check(frame.size() == head + 4 + n, "masked frame size for " + std::to_string(n));
    check(frame[0] == 0x81 && (frame[1] & 0x80), "FIN+text and mask bit for " + std::to_string(n));
    check(n == 0 || frame[head + 4] != static_cast<uint8_t>(payload[0]),
          "payload is masked for " + std::to_string(n));
    WsFrameDecoder server(1 << 20, true);
    Collect sink;
    check(server.feed(frame, sink) && sink.got.size() == 1 && sink.got[0].second == payload,
          "masked round trip of " + std::to_string(n) + " bytes");
    WsFrameDecoder client;
    Collect unused;
    check(!client.feed(frame, unused) && !client.error().empty(),
          "client rejects a masked frame of " + std::to_string(n));
  }
}

void testIncremental() {
  std::vector<uint8_t> stream;
  const std::string a = "{\"event\":\"message\",\"body\":{\"text\":\"t=42\"}}";
  const std::string big(300, 'x'), huge(70000, 'y');
  appendWsFrame(stream, WsOpcode::Text, bytesOf(a), false, 0);
  appendWsFrame(stream, WsOpcode::Ping, bytesOf("hi"), false, 0);
  appendWsFrame(stream, WsOpcode::Text, bytesOf(big), false, 0);
  appendWsFrame(stream, WsOpcode::Text, bytesOf(huge), false, 0);
  for (size_t step : {size_t{1}, size_t{3}, size_t{1000}, stream.size()}) {
    WsFrameDecoder d;
    Collect sink;
    bool ok = true;
    for (size_t off = 0; off < stream.size(); off += step)
      ok = ok && d.feed(std::span(stream).subspan(off, std::min(step, stream.size() - off)), sink);
    check(ok && sink.got.size() == 4 && sink.got[0].second == a &&
              sink.got[1].first == WsOpcode::Ping && sink.got[1].second == "hi" &&
              sink.got[2].second == big && sink.got[3].second == huge && d.pendingBytes() == 0,
          "4 server frames fed in slices of " + std::to_string(step));
  }
  // Fragmented "ab" + ping + "cd".
  const std::vector<uint8_t> frag = {0x01, 2, 'a', 'b', 0x89, 1, 'p', 0x80, 2, 'c', 'd'};
  WsFrameDecoder d;
  Collect sink;
  check(d.feed(frag, sink) && sink.got.size() == 2 && sink.got[0].first == WsOpcode::Ping &&
            sink.got[1].first == WsOpcode::Text && sink.got[1].second == "abcd",
        "fragments reassembled around a ping");
}

void rejects(std::vector<uint8_t> bytes, const std::string& what, size_t limit = 1 << 20) {
  WsFrameDecoder d(limit);
  Collect sink;
  const bool ok = d.feed(bytes, sink);
  check(!ok && !d.error().empty() && sink.got.empty(), "rejects " + what);
  check(!d.feed(bytes, sink), "stays failed after " + what);
}

void testHostile() {
  rejects({0x81, 0x85, 1, 2, 3, 4, 'a', 'b', 'c', 'd', 'e'}, "a masked server frame");
  rejects({0xC1, 1, 'a'}, "RSV1 without an extension");
  rejects({0x83, 1, 'a'}, "opcode 3");
  rejects({0x8F, 0}, "opcode 15");
  rejects({0x09, 1, 'a'}, "a fragmented ping");
  std::vector<uint8_t> longPing = {0x89, 126, 0, 126};
  longPing.resize(4 + 126, 'p');
  rejects(longPing, "a 126-byte ping");
  rejects({0x81, 127, 0x80, 0, 0, 0, 0, 0, 0, 1}, "a 64-bit length with the top bit set");
  rejects({0x81, 127, 0, 0, 0, 1, 0, 0, 0, 0}, "a 4 GiB frame over the limit");
  rejects({0x81, 126, 0x04, 0x00}, "a 1024-byte frame over a 1000-byte limit", 1000);
  rejects({0x80, 1, 'a'}, "a continuation without a first fragment");
  rejects({0x01, 1, 'a', 0x81, 1, 'b'}, "a new message inside a fragmented one");
  // Truncated input is not an error, just incomplete.
  WsFrameDecoder d;
  Collect sink;
  check(d.feed(std::vector<uint8_t>{0x81, 126, 0x01}, sink) && sink.got.empty() &&
            d.pendingBytes() == 3,
        "a truncated 16-bit length waits for more");
}

void testHandshake() {
  // RFC 6455 section 1.3's example.
  check(wsAcceptFor("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
        "Sec-WebSocket-Accept of the RFC example");
  const std::string key = makeWsKey(7);
  check(key.size() == 24 && key != makeWsKey(8), "a key is 16 bytes in base64, seeded");
  const std::string ok =
      "HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
      wsAcceptFor(key) + "\r\n\r\n";
  auto r = parseWsUpgradeResponse(ok + "\x81\x01x", key);
  check(r.status == WsHandshakeResult::Status::Ok && r.headerBytes == ok.size(), "101 accepted");
  r = parseWsUpgradeResponse(ok.substr(0, ok.size() - 1), key);
  check(r.status == WsHandshakeResult::Status::NeedMore, "a partial head needs more");
  r = parseWsUpgradeResponse("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", key);
  check(r.status == WsHandshakeResult::Status::Error && r.error.find("404") != std::string::npos,
        "404 refused with the status line in the error");
  r = parseWsUpgradeResponse(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: "
      "AAAA\r\n\r\n",
      key);
  check(r.status == WsHandshakeResult::Status::Error, "a wrong accept refused");
  r = parseWsUpgradeResponse(std::string(9000, 'x'), key);
  check(r.status == WsHandshakeResult::Status::Error, "an endless head refused");
}

void testHistogram() {
  LatencyHistogram h;
  for (uint64_t v = 1; v <= 100000; ++v) h.record(v);
  check(h.count() == 100000 && h.min() == 1 && h.max() == 100000, "count, min, max");
  const auto near = [](uint64_t got, double want) {
    return got >= want * 0.999 && got <= want * 1.017;
  };
  check(near(h.percentile(50), 50000), "p50 of 1..100000: " + std::to_string(h.percentile(50)));
  check(near(h.percentile(99), 99000), "p99 of 1..100000: " + std::to_string(h.percentile(99)));
  check(h.percentile(100) == 100000 && h.percentile(0) == 1, "p100 is the max, p0 the min");
  bool contiguous = true;
  for (size_t i = 1; i < 2000; ++i)
    contiguous =
        contiguous && LatencyHistogram::bucketLow(i) == LatencyHistogram::bucketHigh(i - 1) + 1;
  check(contiguous, "buckets are contiguous");
  bool inside = true;
  for (uint64_t v : {0ull, 63ull, 64ull, 127ull, 128ull, 1000ull, 123456789ull, 1ull << 40}) {
    const size_t b = LatencyHistogram::bucketOf(v);
    inside = inside && LatencyHistogram::bucketLow(b) <= v && v <= LatencyHistogram::bucketHigh(b);
  }
  check(inside, "a value lies in its bucket");
  LatencyHistogram empty;
  check(empty.percentile(99) == 0 && empty.count() == 0, "an empty histogram gives 0");
  h.record(UINT64_MAX);
  check(h.max() == UINT64_MAX && h.count() == 100001, "a huge value is kept, capped bucket");
}

}  // namespace

int runRoomLoadSelfTest() {
  testRoundTrip();
  testIncremental();
  testHostile();
  testHandshake();
  testHistogram();
  std::printf("self-test: %d passed, %d failed\n", gPassed, gFailed);
  return gFailed == 0 ? 0 : 1;
}

}  // namespace bench
