#include "protocols/webrtc/srtp_session.hpp"

#include <openssl/srtp.h>

#include <algorithm>
#include <climits>

namespace webrtc {
namespace {

static_assert(kSrtpAes128CmSha1_80 == SRTP_AES128_CM_SHA1_80);
static_assert(kSrtpAeadAes128Gcm == SRTP_AEAD_AES_128_GCM);

constexpr size_t kSrtpMasterKeyBytes = 16;
constexpr size_t kSrtpCmSaltBytes = 14;   // RFC 3711 §8.2 (n_s = 112 bits)
constexpr size_t kSrtpGcmSaltBytes = 12;  // RFC 7714 §12 (96-bit salt)
constexpr size_t kSrtpMinRtpBytes = 12;   // the fixed RTP header
constexpr size_t kSrtpMinRtcpBytes = 8;   // RTCP header + sender SSRC
// Replay window (RFC 3711 §3.3.2 asks for at least 64): video bursts reorder widely.
constexpr unsigned long kSrtpReplayWindow = 1024;

// One libsrtp2 context for every SSRC of one direction.
srtp_err_status_t srtpSessionCreate(srtp_t* out, int profile, srtp_ssrc_type_t direction,
                                    const std::vector<uint8_t>& keySalt) {
  srtp_policy_t policy{};
  if (profile == kSrtpAeadAes128Gcm) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
  } else {
    srtp_crypto_policy_set_rtp_default(&policy.rtp);  // AES_CM_128_HMAC_SHA1_80
    srtp_crypto_policy_set_rtcp_default(&policy.rtcp);
  }
  policy.ssrc.type = direction;
  // libsrtp2 only reads the key while creating the context.
  policy.key = const_cast<unsigned char*>(keySalt.data());
  policy.window_size = kSrtpReplayWindow;
  // NOTE: a NACK is answered by sending the stored packet again under its own sequence
  // number (no RTX stream); libsrtp2 refuses that as a replay unless allowed. Safe as
  // long as the payload is the same, which the retransmission buffer guarantees.
  policy.allow_repeat_tx = 1;
  policy.next = nullptr;
  return srtp_create(out, &policy);
}

}  // namespace

const char* srtpProfileName(int profile) {
  switch (profile) {
    case kSrtpAes128CmSha1_80:
      return "SRTP_AES128_CM_SHA1_80";
    case kSrtpAeadAes128Gcm:
      return "SRTP_AEAD_AES_128_GCM";
    default:
      return "unknown";
  }
}

const char* srtpStatusName(srtp_err_status_t status) {
  switch (status) {
    case srtp_err_status_ok:
      return "srtp_err_status_ok";
    case srtp_err_status_fail:
      return "srtp_err_status_fail";
    case srtp_err_status_bad_param:
      return "srtp_err_status_bad_param";
    case srtp_err_status_alloc_fail:
      return "srtp_err_status_alloc_fail";
    case srtp_err_status_dealloc_fail:
      return "srtp_err_status_dealloc_fail";
    case srtp_err_status_init_fail:
      return "srtp_err_status_init_fail";
    case srtp_err_status_terminus:
      return "srtp_err_status_terminus";
    case srtp_err_status_auth_fail:
      return "srtp_err_status_auth_fail";
    case srtp_err_status_cipher_fail:
      return "srtp_err_status_cipher_fail";
    case srtp_err_status_replay_fail:
      return "srtp_err_status_replay_fail";
    case srtp_err_status_replay_old:
      return "srtp_err_status_replay_old";
    case srtp_err_status_algo_fail:
      return "srtp_err_status_algo_fail";
    case srtp_err_status_no_such_op:
      return "srtp_err_status_no_such_op";
    case srtp_err_status_no_ctx:
      return "srtp_err_status_no_ctx";
    case srtp_err_status_cant_check:
      return "srtp_err_status_cant_check";
    case srtp_err_status_key_expired:
      return "srtp_err_status_key_expired";
    case srtp_err_status_socket_err:
      return "srtp_err_status_socket_err";
    case srtp_err_status_signal_err:
      return "srtp_err_status_signal_err";
    case srtp_err_status_nonce_bad:
      return "srtp_err_status_nonce_bad";
    case srtp_err_status_read_fail:
      return "srtp_err_status_read_fail";
    case srtp_err_status_write_fail:
      return "srtp_err_status_write_fail";
    case srtp_err_status_parse_err:
      return "srtp_err_status_parse_err";
    case srtp_err_status_encode_err:
      return "srtp_err_status_encode_err";
    case srtp_err_status_semaphore_err:
      return "srtp_err_status_semaphore_err";
    case srtp_err_status_pfkey_err:
      return "srtp_err_status_pfkey_err";
    case srtp_err_status_bad_mki:
      return "srtp_err_status_bad_mki";
    case srtp_err_status_pkt_idx_old:
      return "srtp_err_status_pkt_idx_old";
    case srtp_err_status_pkt_idx_adv:
      return "srtp_err_status_pkt_idx_adv";
  }
  return "srtp_err_status_(unknown)";
}

std::unique_ptr<SrtpSession> SrtpSession::create(const SrtpKeys& keys, std::string& error) {
  size_t saltBytes = 0;
  if (keys.profile == kSrtpAes128CmSha1_80) {
    saltBytes = kSrtpCmSaltBytes;
  } else if (keys.profile == kSrtpAeadAes128Gcm) {
    saltBytes = kSrtpGcmSaltBytes;
  } else {
    error = "SRTP: unsupported protection profile " + std::to_string(keys.profile);
    return nullptr;
  }
  const size_t want = kSrtpMasterKeyBytes + saltBytes;
  if (keys.localKeySalt.size() != want || keys.remoteKeySalt.size() != want) {
    error = std::string("SRTP: ") + srtpProfileName(keys.profile) + " needs " +
            std::to_string(want) + "-byte key+salt, got " +
            std::to_string(keys.localKeySalt.size()) + " local, " +
            std::to_string(keys.remoteKeySalt.size()) + " remote";
    return nullptr;
  }
  std::unique_ptr<SrtpSession> session(new SrtpSession());
  session->profile_ = keys.profile;
  srtp_err_status_t status =
      srtpSessionCreate(&session->inbound_, keys.profile, ssrc_any_inbound, keys.remoteKeySalt);
  if (status != srtp_err_status_ok) {
    error = std::string("SRTP: inbound srtp_create: ") + srtpStatusName(status);
    return nullptr;
  }
  status =
      srtpSessionCreate(&session->outbound_, keys.profile, ssrc_any_outbound, keys.localKeySalt);
  if (status != srtp_err_status_ok) {
    error = std::string("SRTP: outbound srtp_create: ") + srtpStatusName(status);
    return nullptr;
  }
  return session;
}

SrtpSession::~SrtpSession() {
  if (inbound_) srtp_dealloc(inbound_);
  if (outbound_) srtp_dealloc(outbound_);
}

bool SrtpSession::protectRtp(std::vector<uint8_t>& packet) {
  return run(SrtpOp::ProtectRtp, packet);
}
bool SrtpSession::unprotectRtp(std::vector<uint8_t>& packet) {
  return run(SrtpOp::UnprotectRtp, packet);
}
bool SrtpSession::protectRtcp(std::vector<uint8_t>& packet) {
  return run(SrtpOp::ProtectRtcp, packet);
}
bool SrtpSession::unprotectRtcp(std::vector<uint8_t>& packet) {
  return run(SrtpOp::UnprotectRtcp, packet);
}

bool SrtpSession::protectRtp(std::span<uint8_t> buffer, size_t& length) {
  if (length > buffer.size() || buffer.size() - length < kTailRoom) {
    lastError_ = "protect RTP: " + std::to_string(buffer.size() - std::min(length, buffer.size())) +
                 " bytes of room after the packet (needs " + std::to_string(kTailRoom) + ")";
    return false;
  }
  return runInPlace(SrtpOp::ProtectRtp, buffer.data(), length);
}

bool SrtpSession::run(SrtpOp op, std::vector<uint8_t>& packet) {
  size_t length = packet.size();
  packet.resize(length + kTailRoom);  // NOTE: libsrtp2 writes the trailer past `length`
  const bool ok = runInPlace(op, packet.data(), length);
  packet.resize(length);
  return ok;
}

// `data` holds `length` bytes and kTailRoom more after them; on failure `length` stays.
bool SrtpSession::runInPlace(SrtpOp op, uint8_t* data, size_t& length) {
  const bool rtcp = op == SrtpOp::ProtectRtcp || op == SrtpOp::UnprotectRtcp;
  const char* name = op == SrtpOp::ProtectRtp     ? "protect RTP"
                     : op == SrtpOp::UnprotectRtp ? "unprotect RTP"
                     : op == SrtpOp::ProtectRtcp  ? "protect RTCP"
                                                  : "unprotect RTCP";
  const size_t minBytes = rtcp ? kSrtpMinRtcpBytes : kSrtpMinRtpBytes;
  if (length < minBytes || length > kMaxPacketBytes) {
    lastError_ = std::string(name) + ": " + std::to_string(length) + " bytes (outside " +
                 std::to_string(minBytes) + ".." + std::to_string(kMaxPacketBytes) + ")";
    return false;
  }
  const size_t original = length;
  int srtpLength = static_cast<int>(original);
  srtp_err_status_t status = srtp_err_status_ok;
  switch (op) {
    case SrtpOp::ProtectRtp:
      status = srtp_protect(outbound_, data, &srtpLength);
      break;
    case SrtpOp::UnprotectRtp:
      status = srtp_unprotect(inbound_, data, &srtpLength);
      break;
    case SrtpOp::ProtectRtcp:
      status = srtp_protect_rtcp(outbound_, data, &srtpLength);
      break;
    case SrtpOp::UnprotectRtcp:
      status = srtp_unprotect_rtcp(inbound_, data, &srtpLength);
      break;
  }
  if (status != srtp_err_status_ok || srtpLength < 0 ||
      static_cast<size_t>(srtpLength) > original + kTailRoom) {
    lastError_ = std::string(name) + ": " + srtpStatusName(status);
    return false;
  }
  length = static_cast<size_t>(srtpLength);
  return true;
}

}  // namespace webrtc
