// DtlsTransport: one DTLS 1.2 association (RFC 6347) over two OpenSSL memory BIOs, no
// socket: datagrams in by onDatagram(), out through Callbacks::send; the peer's
// certificate checked against its SDP a=fingerprint (RFC 8842 §5); DTLS-SRTP keys
// exported (RFC 5764 §4.2); application data (SCTP, RFC 8261) in and out.
// Owned by the WebRTC session; loop thread; its DtlsIdentity outlives it.
#pragma once

#include <openssl/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "protocols/webrtc/dtls_identity.hpp"
#include "protocols/webrtc/srtp_session.hpp"

namespace webrtc {

struct DtlsTransportOptions {
  // The largest datagram we send (UDP payload): 1200 fits every path WebRTC expects
  // (IPv6's 1280 minus headers and TURN); handshake flights are cut to it.
  size_t mtu = 1200;
  // Retransmission: RFC 6347 §4.2.4.1's 1 s, doubled on each timeout up to 60 s.
  int64_t initialRetransmitMs = 1000;
  // A handshake not done this long after start() fails ("handshake timeout").
  int64_t handshakeTimeoutMs = 30000;
  // Empty: the DtlsIdentity's profiles (AEAD_AES_128_GCM, AES128_CM_SHA1_80); else an
  // OpenSSL list such as "SRTP_AES128_CM_SHA1_80" (tests force one this way).
  std::string srtpProfiles;
};

class DtlsTransport {
 public:
  static constexpr size_t kMaxDatagramBytes = 64 * 1024;  // bigger input is refused
  static constexpr size_t kMaxApplicationBytes = 16384;   // one DTLS record's plaintext

  enum class State { New, Handshaking, Connected, Closed, Failed };

  // NOTE: the callbacks run inside this object's methods: they may call send() and
  // close() (SCTP answers from `received`), but must not destroy it (defer that to the
  // loop), and `send` must not feed the peer's answer back into onDatagram() at once.
  struct Callbacks {
    std::function<void(std::span<const uint8_t>)> send;      // a datagram to the peer
    std::function<void(int64_t delayMs)> armTimer;           // call onTimer() then; -1: cancel
    std::function<void()> connected;                         // handshake done, fingerprint ok
    std::function<void(const std::string& reason)> failed;   // alert, mismatch, timeout...
    std::function<void(std::span<const uint8_t>)> received;  // application data (SCTP)
    // The peer's close_notify (optional: when unset, failed("closed by the peer ...")).
    std::function<void()> closed;
  };

  // `client`: we send the ClientHello (a=setup:active); else we wait (passive).
  // `remoteFingerprintAlg` / `remoteFingerprint`: the peer's SDP a=fingerprint ("sha-256",
  // "AB:CD:..." in either case). Errors here (bad fingerprint, OpenSSL) surface as
  // failed() from start().
  DtlsTransport(const DtlsIdentity& identity, bool client, std::string remoteFingerprintAlg,
                std::string remoteFingerprint, Callbacks callbacks,
                DtlsTransportOptions options = {});
  ~DtlsTransport();

  DtlsTransport(const DtlsTransport&) = delete;
  DtlsTransport& operator=(const DtlsTransport&) = delete;

  void start();  // the client sends its ClientHello; the server waits (timer armed)
  // One UDP datagram from the peer. Empty, oversized, or before start() / after the end:
  // counted in ignoredDatagrams(). Records that fail DTLS's checks are dropped by OpenSSL
  // (RFC 6347 §4.1.2.7); a fatal handshake error is failed().
  void onDatagram(std::span<const uint8_t> datagram);
  void onTimer();
  // Application data after connected(): one record, at most kMaxApplicationBytes (keep it
  // within dataMtu() to stay inside one datagram). false when refused or failed.
  bool send(std::span<const uint8_t> data);
  std::optional<SrtpKeys> srtpKeys() const;  // after connected(), if SRTP was negotiated
  void close();                              // close_notify; no callback follows

  State state() const { return state_; }
  // Application bytes that fit in one datagram of `mtu` (0 before the handshake).
  size_t dataMtu() const;
  // For logs once connected: "DTLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256 SRTP_AEAD_AES_128_GCM".
  std::string summary() const;
  uint64_t ignoredDatagrams() const { return ignored_; }

 private:
  static unsigned int nextRetransmitUs(SSL* ssl, unsigned int previousUs) noexcept;
  void driveHandshake();
  void finishHandshake();
  bool checkPeerFingerprint();
  bool exportSrtpKeys();
  void readApplicationData();
  void flushOutput();
  void updateTimer();
  void fail(const std::string& reason);

  // passed in
  const bool client_;
  const std::string remoteAlg_;
  Callbacks callbacks_;
  const DtlsTransportOptions options_;
  std::string expectedFingerprint_;  // the SDP's, upper case; "" when malformed
  // owned
  SSL* ssl_ = nullptr;  // owns both BIOs
  BIO* rbio_ = nullptr;
  BIO* wbio_ = nullptr;
  // other
  State state_ = State::New;
  std::string setupError_;  // reported by start()
  std::chrono::steady_clock::time_point deadline_{};
  bool timerArmed_ = false;
  std::optional<SrtpKeys> keys_;
  uint64_t ignored_ = 0;
};

}  // namespace webrtc
