#include "protocols/rtmp/handshake.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <random>
#include <utility>

namespace rtmp {
namespace {

constexpr size_t kDigestSize = 32;
constexpr size_t kSignedSize = kHandshakeSize - kDigestSize;  // 1504 bytes before S2/C2 sig
constexpr size_t kC0C1Size = 1 + kHandshakeSize;
constexpr size_t kS0S1S2Size = 1 + 2 * kHandshakeSize;
constexpr size_t kFpKeyTextSize = 30;   // "Genuine Adobe Flash Player 001"
constexpr size_t kFmsKeyTextSize = 36;  // "Genuine Adobe Flash Media Server 001"
constexpr std::array<uint8_t, 4> kServerVersion = {0x0d, 0x0e, 0x0a, 0x0d};
constexpr std::array<uint8_t, 4> kClientVersion = {9, 0, 124, 2};

constexpr std::array<uint8_t, 32> kKeyTail = {
    0xF0, 0xEE, 0xC2, 0x4A, 0x80, 0x68, 0xBE, 0xE8, 0x2E, 0x00, 0xD0, 0xD1, 0x02, 0x9E, 0x7E, 0x57,
    0x6E, 0xEC, 0x5D, 0x2D, 0x29, 0x80, 0x6F, 0xAB, 0x93, 0xB8, 0xE6, 0x36, 0xCF, 0xEB, 0x31, 0xAE};

template <size_t N>
std::array<uint8_t, N + 32> makeKey(const char (&text)[N + 1]) {
  std::array<uint8_t, N + 32> key{};
  std::copy(text, text + N, key.begin());
  std::copy(kKeyTail.begin(), kKeyTail.end(), key.begin() + N);
  return key;
}

const auto kFpKey = makeKey<kFpKeyTextSize>("Genuine Adobe Flash Player 001");
const auto kFmsKey = makeKey<kFmsKeyTextSize>("Genuine Adobe Flash Media Server 001");

std::span<const uint8_t> fpKeyText() {
  return std::span(kFpKey).first(kFpKeyTextSize);
}
std::span<const uint8_t> fmsKeyText() {
  return std::span(kFmsKey).first(kFmsKeyTextSize);
}

std::vector<uint8_t> hmacSha256(std::span<const uint8_t> key, std::span<const uint8_t> data) {
  std::vector<uint8_t> out(kDigestSize);
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data.data(), data.size(), out.data(),
       &len);
  return out;
}

void fillRandom(uint8_t* p, size_t n) {
  if (n == 0 || RAND_bytes(p, static_cast<int>(n)) == 1) return;
  // NOTE: the handshake's random bytes carry no secret; a weak fallback is acceptable.
  std::random_device device;
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(device());
}

void putTime(uint8_t* p) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now().time_since_epoch())
                .count();
  auto t = static_cast<uint32_t>(ms);
  p[0] = t >> 24, p[1] = t >> 16, p[2] = t >> 8, p[3] = t;
}

// time + version + random, with a digest placed per `schema` when key is non-empty.
std::vector<uint8_t> makeBlock(std::span<const uint8_t, 4> version, DigestSchema schema,
                               std::span<const uint8_t> key) {
  std::vector<uint8_t> block(kHandshakeSize);
  putTime(block.data());
  std::copy(version.begin(), version.end(), block.begin() + 4);
  fillRandom(block.data() + 8, kHandshakeSize - 8);
  if (!key.empty()) {
    size_t offset = handshake_detail::digestOffset(block, schema);
    auto digest = handshake_detail::blockDigest(block, offset, key);
    std::copy(digest.begin(), digest.end(), block.begin() + offset);
  }
  return block;
}

// 1504 random bytes + HMAC(HMAC(longKey, peerDigest), those bytes): the digest S2 / C2.
std::vector<uint8_t> makeSignedEcho(std::span<const uint8_t> longKey,
                                    std::span<const uint8_t> peerDigest) {
  std::vector<uint8_t> block(kHandshakeSize);
  fillRandom(block.data(), kSignedSize);
  auto key = hmacSha256(longKey, peerDigest);
  auto sig = hmacSha256(key, std::span(block).first(kSignedSize));
  std::copy(sig.begin(), sig.end(), block.begin() + kSignedSize);
  return block;
}

bool signatureValid(std::span<const uint8_t> block, std::span<const uint8_t> longKey,
                    std::span<const uint8_t> peerDigest) {
  auto key = hmacSha256(longKey, peerDigest);
  auto sig = hmacSha256(key, block.first(kSignedSize));
  return std::equal(sig.begin(), sig.end(), block.begin() + kSignedSize);
}

bool versionIsZero(std::span<const uint8_t> block) {
  return block[4] == 0 && block[5] == 0 && block[6] == 0 && block[7] == 0;
}

std::string badVersion(uint8_t v) {
  char text[48];
  std::snprintf(text, sizeof text, "not RTMP (version byte 0x%02X)", v);
  return text;
}

// Appends up to `want - buf.size()` bytes of in[pos..] to buf; advances pos.
void fill(std::vector<uint8_t>& buf, size_t want, std::span<const uint8_t> in, size_t& pos) {
  size_t n = std::min(want - buf.size(), in.size() - pos);
  buf.insert(buf.end(), in.begin() + pos, in.begin() + pos + n);
  pos += n;
}

}  // namespace

namespace handshake_detail {

size_t digestOffset(std::span<const uint8_t> block, DigestSchema schema) {
  size_t base = schema == DigestSchema::Schema1 ? 8 : 772;
  size_t sum = size_t{block[base]} + block[base + 1] + block[base + 2] + block[base + 3];
  return sum % 728 + base + 4;
}

std::vector<uint8_t> blockDigest(std::span<const uint8_t> block, size_t offset,
                                 std::span<const uint8_t> key) {
  std::vector<uint8_t> data;
  data.reserve(kSignedSize);
  data.insert(data.end(), block.begin(), block.begin() + offset);
  data.insert(data.end(), block.begin() + offset + kDigestSize, block.end());
  return hmacSha256(key, data);
}

bool hasValidDigest(std::span<const uint8_t> block, DigestSchema schema,
                    std::span<const uint8_t> key) {
  if (block.size() != kHandshakeSize) return false;
  size_t offset = digestOffset(block, schema);
  auto digest = blockDigest(block, offset, key);
  return std::equal(digest.begin(), digest.end(), block.begin() + offset);
}

std::span<const uint8_t> flashPlayerKey() {
  return kFpKey;
}
std::span<const uint8_t> flashMediaServerKey() {
  return kFmsKey;
}

}  // namespace handshake_detail

// ---- server -----------------------------------------------------------------------

HandshakeResult ServerHandshake::feed(std::span<const uint8_t> in) {
  if (state_ == State::Failed) return {HandshakeStatus::Error, error_};
  if (state_ == State::Done) {
    leftover_.insert(leftover_.end(), in.begin(), in.end());
    return {HandshakeStatus::Done, {}};
  }
  size_t pos = 0;
  bool produced = false;
  if (state_ == State::C0C1) {
    if (buf_.empty() && !in.empty() && in[0] != kRtmpVersion) {
      state_ = State::Failed;
      error_ = badVersion(in[0]);
      return {HandshakeStatus::Error, error_};
    }
    fill(buf_, kC0C1Size, in, pos);
    if (buf_.size() < kC0C1Size) return {HandshakeStatus::NeedMore, {}};
    respond();
    produced = true;
    buf_.clear();
    state_ = State::C2;
  }
  // NOTE: C2 is read but not verified: many encoders send an arbitrary C2.
  fill(buf_, kHandshakeSize, in, pos);
  if (buf_.size() < kHandshakeSize) {
    return {produced ? HandshakeStatus::SendAndContinue : HandshakeStatus::NeedMore, {}};
  }
  state_ = State::Done;
  std::vector<uint8_t>().swap(buf_);
  leftover_.insert(leftover_.end(), in.begin() + pos, in.end());
  return {HandshakeStatus::Done, {}};
}

void ServerHandshake::respond() {
  auto c1 = std::span<const uint8_t>(buf_).subspan(1, kHandshakeSize);
  digest_ = false;
  if (!versionIsZero(c1)) {
    // NOTE: like nginx-rtmp, a C1 whose digest validates in neither schema gets the
    // simple handshake instead of an error.
    for (auto schema : {DigestSchema::Schema1, DigestSchema::Schema0}) {
      if (handshake_detail::hasValidDigest(c1, schema, fpKeyText())) {
        digest_ = true;
        schema_ = schema;
        break;
      }
    }
  }
  output_.clear();
  output_.reserve(kS0S1S2Size);
  output_.push_back(kRtmpVersion);
  if (digest_) {
    auto s1 = makeBlock(kServerVersion, schema_, fmsKeyText());
    size_t offset = handshake_detail::digestOffset(c1, schema_);
    auto s2 = makeSignedEcho(kFmsKey, c1.subspan(offset, kDigestSize));
    output_.insert(output_.end(), s1.begin(), s1.end());
    output_.insert(output_.end(), s2.begin(), s2.end());
  } else {
    constexpr std::array<uint8_t, 4> zero{};
    auto s1 = makeBlock(zero, schema_, {});
    output_.insert(output_.end(), s1.begin(), s1.end());
    output_.insert(output_.end(), c1.begin(), c1.end());  // S2 echoes C1
  }
}

std::vector<uint8_t> ServerHandshake::takeOutput() {
  return std::exchange(output_, {});
}
std::vector<uint8_t> ServerHandshake::takeLeftover() {
  return std::exchange(leftover_, {});
}

// ---- client -----------------------------------------------------------------------

ClientHandshake::ClientHandshake(Mode mode, DigestSchema schema) : mode_(mode), schema_(schema) {}

std::vector<uint8_t> ClientHandshake::start() {
  if (mode_ == Mode::Digest) {
    c1_ = makeBlock(kClientVersion, schema_, fpKeyText());
    size_t offset = handshake_detail::digestOffset(c1_, schema_);
    clientDigest_.assign(c1_.begin() + offset, c1_.begin() + offset + kDigestSize);
  } else {
    constexpr std::array<uint8_t, 4> zero{};
    c1_ = makeBlock(zero, schema_, {});
  }
  state_ = State::S0S1S2;
  std::vector<uint8_t> out;
  out.reserve(kC0C1Size);
  out.push_back(kRtmpVersion);
  out.insert(out.end(), c1_.begin(), c1_.end());
  return out;
}

HandshakeResult ClientHandshake::feed(std::span<const uint8_t> in) {
  if (state_ == State::Failed) return {HandshakeStatus::Error, error_};
  if (state_ == State::Start) return fail("feed() before start()");
  if (state_ == State::Done) {
    leftover_.insert(leftover_.end(), in.begin(), in.end());
    return {HandshakeStatus::Done, {}};
  }
  if (buf_.empty() && !in.empty() && in[0] != kRtmpVersion) return fail(badVersion(in[0]));
  size_t pos = 0;
  fill(buf_, kS0S1S2Size, in, pos);
  if (buf_.size() < kS0S1S2Size) return {HandshakeStatus::NeedMore, {}};
  leftover_.insert(leftover_.end(), in.begin() + pos, in.end());
  return finish();
}

HandshakeResult ClientHandshake::finish() {
  auto s1 = std::span<const uint8_t>(buf_).subspan(1, kHandshakeSize);
  auto s2 = std::span<const uint8_t>(buf_).subspan(1 + kHandshakeSize, kHandshakeSize);
  if (mode_ == Mode::Digest && !versionIsZero(s1)) {
    if (!handshake_detail::hasValidDigest(s1, schema_, fmsKeyText())) {
      return fail("server S1 digest invalid");
    }
    if (!signatureValid(s2, kFmsKey, clientDigest_)) return fail("server S2 signature invalid");
    size_t offset = handshake_detail::digestOffset(s1, schema_);
    output_ = makeSignedEcho(kFpKey, s1.subspan(offset, kDigestSize));
    verified_ = true;
  } else {
    output_.assign(s1.begin(), s1.end());  // C2 echoes S1
  }
  std::vector<uint8_t>().swap(buf_);
  state_ = State::Done;
  return {HandshakeStatus::Done, {}};
}

HandshakeResult ClientHandshake::fail(std::string reason) {
  state_ = State::Failed;
  error_ = std::move(reason);
  return {HandshakeStatus::Error, error_};
}

std::vector<uint8_t> ClientHandshake::takeOutput() {
  return std::exchange(output_, {});
}
std::vector<uint8_t> ClientHandshake::takeLeftover() {
  return std::exchange(leftover_, {});
}

}  // namespace rtmp
