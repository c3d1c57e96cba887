// DtlsIdentity: the server's DTLS certificate (self-signed ECDSA P-256, RFC 8827 §6.5)
// and the one SSL_CTX every DtlsTransport makes its SSL from. Made once by main and
// read-only afterwards; loop thread. It outlives every DtlsTransport.
#pragma once

#include <openssl/types.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace webrtc {

// OpenSSL's error queue of this thread as text ("error:0A000410:SSL routines::sslv3
// alert handshake failure; ..."), emptied; "no OpenSSL error queued" when empty.
std::string dtlsOpensslErrors();

// The digest an SDP a=fingerprint names (RFC 8122 §5, case-insensitive): "sha-1",
// "sha-256", "sha-384", "sha-512"; nullptr for anything else.
const EVP_MD* dtlsFingerprintDigest(std::string_view alg);

// "AB:CD:..." (upper-case hex, colons) of the certificate's DER under `alg`;
// nullopt for an unknown alg or a failed digest.
std::optional<std::string> dtlsCertificateFingerprint(X509* cert, std::string_view alg);

class DtlsIdentity {
 public:
  // A fresh P-256 key and certificate (CN "roomcast", random 64-bit serial, valid from a
  // day ago for a year) and the DTLS context. nullptr + `error` naming the failed step
  // and OpenSSL's reason ("SSL_CTX_set_cipher_list: error:...").
  static std::unique_ptr<DtlsIdentity> create(std::string& error);
  // The same around a given key (tests: an RSA key makes a certificate bigger than one
  // datagram). Takes its own reference to `key`.
  static std::unique_ptr<DtlsIdentity> createWithKey(EVP_PKEY* key, std::string& error);
  ~DtlsIdentity();

  DtlsIdentity(const DtlsIdentity&) = delete;
  DtlsIdentity& operator=(const DtlsIdentity&) = delete;

  const std::string& fingerprint() const { return fingerprint_; }  // sha-256, for the SDP
  SSL_CTX* context() const { return ctx_; }
  X509* certificate() const { return cert_; }

 private:
  DtlsIdentity() = default;
  bool makeCertificate(std::string& error);
  bool makeContext(std::string& error);

  EVP_PKEY* key_ = nullptr;
  X509* cert_ = nullptr;
  SSL_CTX* ctx_ = nullptr;
  std::string fingerprint_;
};

}  // namespace webrtc
