#include "protocols/webrtc/dtls_transport.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/time.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace webrtc {
namespace {

constexpr size_t kDtlsRecordHeaderBytes = 13;  // RFC 6347 §4.1: type, version, epoch+seq, length
constexpr unsigned int kDtlsMaxRetransmitUs = 60'000'000;              // RFC 6347 §4.2.4.1
constexpr const char* kDtlsSrtpExporterLabel = "EXTRACTOR-dtls_srtp";  // RFC 5764 §4.2
constexpr size_t kDtlsSrtpMasterKeyBytes = 16;

// The SDP fingerprint in upper case, or "" when it is not `digestBytes` hex pairs
// joined by colons (RFC 8122 §5).
std::string dtlsTransportNormalizeFingerprint(std::string_view text, size_t digestBytes) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  if (digestBytes == 0 || text.size() != digestBytes * 3 - 1) return "";
  std::string out(text);
  for (size_t i = 0; i < out.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(out[i]);
    if (i % 3 == 2 ? c != ':' : !std::isxdigit(c)) return "";
    out[i] = static_cast<char>(std::toupper(c));
  }
  return out;
}

// Length of the DTLS record at the front of `bytes` (header included), or all of it when
// the header does not parse (never happens for OpenSSL's own output).
size_t dtlsTransportRecordSize(std::span<const uint8_t> bytes) {
  if (bytes.size() < kDtlsRecordHeaderBytes) return bytes.size();
  const size_t body = static_cast<size_t>(bytes[11]) << 8 | bytes[12];
  return std::min(bytes.size(), kDtlsRecordHeaderBytes + body);
}

}  // namespace

DtlsTransport::DtlsTransport(const DtlsIdentity& identity, bool client,
                             std::string remoteFingerprintAlg, std::string remoteFingerprint,
                             Callbacks callbacks, DtlsTransportOptions options)
    : client_(client),
      remoteAlg_(std::move(remoteFingerprintAlg)),
      callbacks_(std::move(callbacks)),
      options_(std::move(options)) {
  const EVP_MD* md = dtlsFingerprintDigest(remoteAlg_);
  if (!md) {
    setupError_ = "DTLS: unsupported fingerprint algorithm \"" + remoteAlg_.substr(0, 32) + "\"";
    return;
  }
  expectedFingerprint_ = dtlsTransportNormalizeFingerprint(remoteFingerprint, EVP_MD_get_size(md));
  if (expectedFingerprint_.empty()) {
    setupError_ = "DTLS: malformed " + remoteAlg_ + " fingerprint \"" +
                  remoteFingerprint.substr(0, 200) + "\"";
    return;
  }
  ERR_clear_error();
  ssl_ = SSL_new(identity.context());
  rbio_ = BIO_new(BIO_s_mem());
  wbio_ = BIO_new(BIO_s_mem());
  if (!ssl_ || !rbio_ || !wbio_) {
    setupError_ = "DTLS: SSL_new/BIO_new: " + dtlsOpensslErrors();
    BIO_free(rbio_);
    BIO_free(wbio_);
    rbio_ = wbio_ = nullptr;
    return;
  }
  // An empty memory BIO reads as "try again", not as end of file.
  BIO_set_mem_eof_return(rbio_, -1);
  BIO_set_mem_eof_return(wbio_, -1);
  SSL_set_bio(ssl_, rbio_, wbio_);
  SSL_set_app_data(ssl_, this);
  DTLS_set_timer_cb(ssl_, &DtlsTransport::nextRetransmitUs);
  if (SSL_set_mtu(ssl_, static_cast<long>(options_.mtu)) <= 0) {
    setupError_ = "DTLS: MTU " + std::to_string(options_.mtu) + " refused (too small)";
    return;
  }
  // NOTE: returns 0 on success, like SSL_CTX_set_tlsext_use_srtp.
  if (!options_.srtpProfiles.empty() &&
      SSL_set_tlsext_use_srtp(ssl_, options_.srtpProfiles.c_str()) != 0) {
    setupError_ =
        "DTLS: SSL_set_tlsext_use_srtp(" + options_.srtpProfiles + "): " + dtlsOpensslErrors();
    return;
  }
  if (client_) {
    SSL_set_connect_state(ssl_);
  } else {
    SSL_set_accept_state(ssl_);
  }
}

DtlsTransport::~DtlsTransport() {
  SSL_free(ssl_);
}

unsigned int DtlsTransport::nextRetransmitUs(SSL* ssl, unsigned int previousUs) noexcept {
  const auto* self = static_cast<const DtlsTransport*>(SSL_get_app_data(ssl));
  if (previousUs == 0) {
    const int64_t initialUs = self ? self->options_.initialRetransmitMs * 1000 : 1'000'000;
    return static_cast<unsigned int>(std::clamp<int64_t>(initialUs, 1000, kDtlsMaxRetransmitUs));
  }
  return previousUs >= kDtlsMaxRetransmitUs / 2 ? kDtlsMaxRetransmitUs : previousUs * 2;
}

void DtlsTransport::start() {
  if (state_ != State::New) return;
  if (!setupError_.empty()) {
    fail(setupError_);
    return;
  }
  state_ = State::Handshaking;
  deadline_ =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.handshakeTimeoutMs);
  if (client_) {
    driveHandshake();
  } else {
    updateTimer();
  }
}

void DtlsTransport::onDatagram(std::span<const uint8_t> datagram) {
  if (datagram.empty() || datagram.size() > kMaxDatagramBytes ||
      (state_ != State::Handshaking && state_ != State::Connected)) {
    ++ignored_;
    return;
  }
  BIO_write(rbio_, datagram.data(), static_cast<int>(datagram.size()));
  if (state_ == State::Handshaking) {
    driveHandshake();
  } else {
    readApplicationData();
  }
  // NOTE: one datagram at a time: whatever OpenSSL left unread (a record cut short) must
  // not run into the next datagram.
  BIO_reset(rbio_);
}

void DtlsTransport::driveHandshake() {
  ERR_clear_error();
  const int rc = SSL_do_handshake(ssl_);
  const int error = rc == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl_, rc);
  flushOutput();  // our next flight, or the alert of a failure
  if (rc == 1) {
    finishHandshake();
  } else if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
    updateTimer();
  } else {
    fail("DTLS handshake: " + dtlsOpensslErrors());
  }
}

void DtlsTransport::finishHandshake() {
  // A callback that fed a datagram back in may have finished it already.
  if (state_ != State::Handshaking) return;
  if (!checkPeerFingerprint() || !exportSrtpKeys()) return;
  state_ = State::Connected;
  updateTimer();
  if (callbacks_.connected) callbacks_.connected();
  // Records that came in the same datagram as the peer's Finished (e.g. SCTP's INIT).
  if (state_ == State::Connected) readApplicationData();
}

bool DtlsTransport::checkPeerFingerprint() {
  X509* peer = SSL_get1_peer_certificate(ssl_);
  if (!peer) {
    fail("DTLS: the peer sent no certificate");
    return false;
  }
  const std::optional<std::string> actual = dtlsCertificateFingerprint(peer, remoteAlg_);
  X509_free(peer);
  if (!actual || *actual != expectedFingerprint_) {
    fail("DTLS: fingerprint mismatch: the peer's certificate has " + remoteAlg_ + " " +
         actual.value_or("(no digest)") + ", its SDP says " + expectedFingerprint_);
    return false;
  }
  return true;
}

bool DtlsTransport::exportSrtpKeys() {
  const SRTP_PROTECTION_PROFILE* profile = SSL_get_selected_srtp_profile(ssl_);
  if (!profile) return true;  // no use_srtp agreed: a data-only peer; srtpKeys() is empty
  const int id = static_cast<int>(profile->id);
  const size_t saltBytes = id == kSrtpAes128CmSha1_80 ? 14 : id == kSrtpAeadAes128Gcm ? 12 : 0;
  if (saltBytes == 0) {
    fail("DTLS: the peer chose SRTP profile " + std::to_string(id) + ", which we did not offer");
    return false;
  }
  // RFC 5764 §4.2: client_write_key | server_write_key | client_salt | server_salt.
  const size_t keyBytes = kDtlsSrtpMasterKeyBytes;
  std::vector<uint8_t> material(2 * (keyBytes + saltBytes));
  ERR_clear_error();
  if (SSL_export_keying_material(ssl_, material.data(), material.size(), kDtlsSrtpExporterLabel,
                                 std::char_traits<char>::length(kDtlsSrtpExporterLabel), nullptr, 0,
                                 0) != 1) {
    fail("DTLS: SSL_export_keying_material: " + dtlsOpensslErrors());
    return false;
  }
  const auto part = [&](size_t keyAt, size_t saltAt) {
    std::vector<uint8_t> keySalt(material.begin() + keyAt, material.begin() + keyAt + keyBytes);
    keySalt.insert(keySalt.end(), material.begin() + saltAt, material.begin() + saltAt + saltBytes);
    return keySalt;
  };
  std::vector<uint8_t> clientKeySalt = part(0, 2 * keyBytes);
  std::vector<uint8_t> serverKeySalt = part(keyBytes, 2 * keyBytes + saltBytes);
  SrtpKeys keys;
  keys.profile = id;
  keys.localKeySalt = client_ ? clientKeySalt : serverKeySalt;
  keys.remoteKeySalt = client_ ? std::move(serverKeySalt) : std::move(clientKeySalt);
  keys_ = std::move(keys);
  return true;
}

void DtlsTransport::readApplicationData() {
  std::array<uint8_t, kMaxApplicationBytes> buffer;
  for (;;) {
    ERR_clear_error();
    const int n = SSL_read(ssl_, buffer.data(), static_cast<int>(buffer.size()));
    if (n > 0) {
      if (callbacks_.received) callbacks_.received(std::span<const uint8_t>(buffer.data(), n));
      if (state_ != State::Connected) return;
      continue;
    }
    const int error = SSL_get_error(ssl_, n);
    flushOutput();  // a retransmitted final flight, an alert
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
      updateTimer();
    } else if (error == SSL_ERROR_ZERO_RETURN) {
      state_ = State::Closed;
      updateTimer();
      if (callbacks_.closed) {
        callbacks_.closed();
      } else if (callbacks_.failed) {
        callbacks_.failed("DTLS: closed by the peer (close_notify)");
      }
    } else {
      fail("DTLS read: " + dtlsOpensslErrors());
    }
    return;
  }
}

void DtlsTransport::onTimer() {
  timerArmed_ = false;
  if (state_ == State::Handshaking && std::chrono::steady_clock::now() >= deadline_) {
    fail("DTLS: handshake timeout (" + std::to_string(options_.handshakeTimeoutMs) + " ms)");
    return;
  }
  if (state_ != State::Handshaking && state_ != State::Connected) return;
  ERR_clear_error();
  // Retransmits our last flight if OpenSSL's own deadline passed; 0 if it did not yet.
  const int rc = DTLSv1_handle_timeout(ssl_);
  flushOutput();
  if (rc < 0) {
    fail("DTLS retransmission: " + dtlsOpensslErrors());
    return;
  }
  updateTimer();
}

bool DtlsTransport::send(std::span<const uint8_t> data) {
  if (state_ != State::Connected || data.empty() || data.size() > kMaxApplicationBytes) {
    return false;
  }
  ERR_clear_error();
  const int n = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
  const int error = n > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_, n);
  flushOutput();
  if (n == static_cast<int>(data.size())) return true;
  if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
    fail("DTLS write: " + dtlsOpensslErrors());
  }
  return false;
}

std::optional<SrtpKeys> DtlsTransport::srtpKeys() const {
  if (state_ != State::Connected) return std::nullopt;
  return keys_;
}

void DtlsTransport::close() {
  if (state_ == State::Connected) {
    ERR_clear_error();
    SSL_shutdown(ssl_);  // queues close_notify; we do not wait for the peer's
    ERR_clear_error();
    flushOutput();
  }
  if (state_ != State::Failed) state_ = State::Closed;
  updateTimer();
}

size_t DtlsTransport::dataMtu() const {
  return state_ == State::Connected ? DTLS_get_data_mtu(ssl_) : 0;
}

std::string DtlsTransport::summary() const {
  if (!ssl_ || state_ != State::Connected) return "DTLS not connected";
  std::string out = std::string(SSL_get_version(ssl_)) + " " + SSL_get_cipher_name(ssl_);
  if (keys_) out += std::string(" ") + srtpProfileName(keys_->profile);
  return out;
}

// NOTE: a memory BIO is one byte stream, so a flight OpenSSL meant as several datagrams
// arrives here concatenated (OpenSSL 3.0 has no BIO_s_dgram_mem). OpenSSL still cuts every
// handshake record to fit `mtu`: it packs records while BIO_wpending() leaves room and
// otherwise calls BIO_flush() and assumes an empty datagram. Regrouping the records
// greedily, cutting only between them, keeps every datagram within `mtu`. (A debug build of
// OpenSSL asserts BIO_wpending() <= mtu there; Debian's is built with NDEBUG.)
void DtlsTransport::flushOutput() {
  if (!wbio_) return;
  const size_t pending = BIO_ctrl_pending(wbio_);
  if (pending == 0) return;
  std::vector<uint8_t> bytes(pending);
  const int n = BIO_read(wbio_, bytes.data(), static_cast<int>(bytes.size()));
  if (n <= 0) return;
  bytes.resize(static_cast<size_t>(n));
  size_t start = 0;
  size_t at = 0;
  while (at < bytes.size()) {
    const size_t record = dtlsTransportRecordSize(std::span(bytes).subspan(at));
    if (at > start && at + record - start > options_.mtu) {
      if (callbacks_.send) callbacks_.send(std::span(bytes).subspan(start, at - start));
      start = at;
    }
    at += record;
  }
  if (at > start && callbacks_.send) callbacks_.send(std::span(bytes).subspan(start, at - start));
}

void DtlsTransport::updateTimer() {
  int64_t delayMs = -1;
  if (state_ == State::Handshaking || state_ == State::Connected) {
    timeval left{};
    if (DTLSv1_get_timeout(ssl_, &left) == 1) {
      delayMs = static_cast<int64_t>(left.tv_sec) * 1000 + (left.tv_usec + 999) / 1000;
    }
  }
  if (state_ == State::Handshaking) {
    const auto now = std::chrono::steady_clock::now();
    const int64_t toDeadline =
        std::max<int64_t>(0, std::chrono::ceil<std::chrono::milliseconds>(deadline_ - now).count());
    delayMs = delayMs < 0 ? toDeadline : std::min(delayMs, toDeadline);
  }
  if (delayMs < 0) {
    if (timerArmed_ && callbacks_.armTimer) callbacks_.armTimer(-1);
    timerArmed_ = false;
    return;
  }
  timerArmed_ = true;
  if (callbacks_.armTimer) callbacks_.armTimer(delayMs);
}

void DtlsTransport::fail(const std::string& reason) {
  if (state_ == State::Failed || state_ == State::Closed) return;
  state_ = State::Failed;
  updateTimer();
  if (callbacks_.failed) callbacks_.failed(reason);
}

}  // namespace webrtc
