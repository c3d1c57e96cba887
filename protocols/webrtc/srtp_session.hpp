// SrtpSession: SRTP/SRTCP (RFC 3711, RFC 7714 AES-GCM) for one DTLS-SRTP association,
// over libsrtp2: an inbound context (any SSRC, the peer's key) and an outbound one (any
// SSRC, our key). Owned by the WebRTC session; loop thread; WebrtcLibraries outlives it.
#pragma once

#include <srtp2/srtp.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace webrtc {

// The DTLS-SRTP protection profiles we negotiate (RFC 5764 §4.1.2, RFC 7714 §14.2);
// the values are the IANA ids, equal to OpenSSL's SRTP_AES128_CM_SHA1_80 and
// SRTP_AEAD_AES_128_GCM.
inline constexpr int kSrtpAes128CmSha1_80 = 0x0001;
inline constexpr int kSrtpAeadAes128Gcm = 0x0007;

// "SRTP_AES128_CM_SHA1_80", "SRTP_AEAD_AES_128_GCM" or "unknown".
const char* srtpProfileName(int profile);
// "srtp_err_status_auth_fail"...
const char* srtpStatusName(srtp_err_status_t status);

// The keys one DTLS handshake exported (RFC 5764 §4.2): master key followed by master
// salt, ours (to protect) and the peer's (to unprotect). AES_CM_128: 16 + 14 bytes;
// AEAD_AES_128_GCM: 16 + 12.
struct SrtpKeys {
  int profile = 0;  // kSrtpAes128CmSha1_80 | kSrtpAeadAes128Gcm
  std::vector<uint8_t> localKeySalt, remoteKeySalt;
};

class SrtpSession {
 public:
  static constexpr size_t kMaxPacketBytes = 64 * 1024;  // bigger input is refused
  // Room protect*() needs past the packet's end (libsrtp2 writes the tag, SRTCP also
  // its E+index word, before we know the final size).
  static constexpr size_t kTailRoom = SRTP_MAX_TRAILER_LEN + 4;

  // nullptr + `error` for an unknown profile, keys of the wrong length, or srtp_create's
  // failure ("outbound srtp_create: srtp_err_status_...").
  static std::unique_ptr<SrtpSession> create(const SrtpKeys& keys, std::string& error);
  ~SrtpSession();

  SrtpSession(const SrtpSession&) = delete;
  SrtpSession& operator=(const SrtpSession&) = delete;

  // In place: protect grows `packet` by the trailer, unprotect shrinks it. On false
  // drop the packet (its size is restored, its bytes may be touched) and lastError()
  // says why ("unprotect RTP: srtp_err_status_replay_fail"). Replay window 1024 packets; a sender
  // may protect the same RTP packet again (a NACK answer without RTX: allow_repeat_tx).
  bool protectRtp(std::vector<uint8_t>& packet);
  bool unprotectRtp(std::vector<uint8_t>& packet);
  bool protectRtcp(std::vector<uint8_t>& packet);
  bool unprotectRtcp(std::vector<uint8_t>& packet);
  // protectRtp() without a vector: the packet is the first `length` bytes of `buffer`,
  // which has at least kTailRoom more; `length` becomes the protected size. The WHEP
  // sender's path: its one reusable buffer, no allocation per packet.
  bool protectRtp(std::span<uint8_t> buffer, size_t& length);

  int profile() const { return profile_; }
  const std::string& lastError() const { return lastError_; }

 private:
  enum class SrtpOp { ProtectRtp, UnprotectRtp, ProtectRtcp, UnprotectRtcp };
  SrtpSession() = default;
  bool run(SrtpOp op, std::vector<uint8_t>& packet);
  bool runInPlace(SrtpOp op, uint8_t* data, size_t& length);

  srtp_t inbound_ = nullptr;
  srtp_t outbound_ = nullptr;
  int profile_ = 0;
  std::string lastError_;
};

}  // namespace webrtc
