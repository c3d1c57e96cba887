// RTMP handshake state machines on byte buffers: ServerHandshake (C0C1C2 in, S0S1S2 out)
// and ClientHandshake (for tests and the load client). Simple and digest ("complex") modes.
// Owned by one session; loop thread only; no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace rtmp {

inline constexpr size_t kHandshakeSize = 1536;  // C1/S1/C2/S2
inline constexpr uint8_t kRtmpVersion = 3;      // C0/S0

enum class HandshakeStatus {
  NeedMore,         // nothing complete yet; feed more bytes
  SendAndContinue,  // takeOutput() has bytes to send; more input needed
  Done,             // complete; send takeOutput() if non-empty, then hand takeLeftover() on
  Error,            // reason says why; close the connection
};

struct HandshakeResult {
  HandshakeStatus status = HandshakeStatus::NeedMore;
  std::string reason;  // set when status == Error
};

// Where the 32-byte digest sits in a 1536-byte C1/S1 (see digestOffset()).
enum class DigestSchema : uint8_t {
  Schema0 = 0,  // offset from bytes 772..775: (sum % 728) + 776
  Schema1 = 1,  // offset from bytes 8..11:    (sum % 728) + 12
};

class ServerHandshake {
 public:
  // Consumes all of `in`. Whatever the status, send takeOutput() when non-empty.
  HandshakeResult feed(std::span<const uint8_t> in);

  std::vector<uint8_t> takeOutput();
  // Bytes that followed C2 (the first RTMP chunks); feed them to the ChunkReader.
  std::vector<uint8_t> takeLeftover();

  bool done() const { return state_ == State::Done; }
  bool digestMode() const { return digest_; }
  DigestSchema schema() const { return schema_; }

 private:
  enum class State { C0C1, C2, Done, Failed };

  void respond();  // builds S0S1S2 from buf_ (C0C1)

  State state_ = State::C0C1;
  std::string error_;
  std::vector<uint8_t> buf_;
  std::vector<uint8_t> output_;
  std::vector<uint8_t> leftover_;
  bool digest_ = false;
  DigestSchema schema_ = DigestSchema::Schema1;
};

class ClientHandshake {
 public:
  enum class Mode { Simple, Digest };

  explicit ClientHandshake(Mode mode = Mode::Digest, DigestSchema schema = DigestSchema::Schema1);

  // C0 + C1 (1537 bytes); call once, before feed().
  std::vector<uint8_t> start();
  // Consumes S0S1S2. On Done, takeOutput() holds C2. In digest mode an S1 with a
  // non-zero version must carry a valid digest and S2 a valid signature; an S1 with
  // version 0 means the server chose the simple handshake, which is accepted.
  HandshakeResult feed(std::span<const uint8_t> in);

  std::vector<uint8_t> takeOutput();
  std::vector<uint8_t> takeLeftover();

  bool done() const { return state_ == State::Done; }
  // True when the server answered with a verified digest S1 and signed S2.
  bool serverDigestVerified() const { return verified_; }

 private:
  enum class State { Start, S0S1S2, Done, Failed };

  HandshakeResult finish();  // validates buf_ (S0S1S2), builds C2
  HandshakeResult fail(std::string reason);

  Mode mode_;
  DigestSchema schema_;
  State state_ = State::Start;
  std::string error_;
  std::vector<uint8_t> c1_;
  std::vector<uint8_t> clientDigest_;
  std::vector<uint8_t> buf_;
  std::vector<uint8_t> output_;
  std::vector<uint8_t> leftover_;
  bool verified_ = false;
};

// Exposed for tests: digest helpers over a 1536-byte block.
namespace handshake_detail {
size_t digestOffset(std::span<const uint8_t> block, DigestSchema schema);
// HMAC-SHA256 over the block minus the 32 digest bytes at `offset`.
std::vector<uint8_t> blockDigest(std::span<const uint8_t> block, size_t offset,
                                 std::span<const uint8_t> key);
bool hasValidDigest(std::span<const uint8_t> block, DigestSchema schema,
                    std::span<const uint8_t> key);
std::span<const uint8_t> flashPlayerKey();       // 62 bytes
std::span<const uint8_t> flashMediaServerKey();  // 68 bytes
}  // namespace handshake_detail

}  // namespace rtmp
