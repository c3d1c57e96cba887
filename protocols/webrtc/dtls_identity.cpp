#include "protocols/webrtc/dtls_identity.hpp"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cctype>

#include "core/auth/openssl_errors.hpp"

namespace webrtc {
namespace {

// DTLS 1.2 suites with forward secrecy and AEAD first. Our own certificate is ECDSA, so
// as a server we use the ECDSA ones; the RSA ones let us be the client of a peer with an
// RSA certificate. The CBC suites are there for old peers only.
constexpr const char* kDtlsIdentityCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA";
constexpr const char* kDtlsIdentityGroups = "X25519:P-256:P-384";
// Our preference first (RFC 7714 GCM, then RFC 5764's mandatory profile); OpenSSL as a
// server picks by its own order.
constexpr const char* kDtlsIdentitySrtpProfiles = "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80";
constexpr long kDtlsIdentitySecondsPerDay = 24L * 60 * 60;
// NOTE: one identity lives as long as the server. Peers check the fingerprint, not the
// dates (RFC 8827 §6.5), but a year keeps a long-running server inside its validity.
constexpr long kDtlsIdentityValidDays = 365;

// NOTE: a WebRTC peer's certificate is self-signed; it is authenticated by its digest
// against the SDP's a=fingerprint (RFC 8842 §5), which DtlsTransport checks once the
// handshake is done. Chain verification would always fail, so accept here.
int dtlsIdentityAcceptPeerCertificate(int /*preverifyOk*/, X509_STORE_CTX* /*store*/) noexcept {
  return 1;
}

std::string dtlsIdentityStepError(const char* step) {
  return std::string("DTLS identity: ") + step + ": " + dtlsOpensslErrors();
}

bool dtlsIdentityFail(std::string& error, const char* step) {
  error = dtlsIdentityStepError(step);
  return false;
}

}  // namespace

std::string dtlsOpensslErrors() {
  std::string out = core::opensslErrors();
  return out.empty() ? "no OpenSSL error queued" : out;
}

const EVP_MD* dtlsFingerprintDigest(std::string_view alg) {
  std::string lower(alg);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "sha-256") return EVP_sha256();
  if (lower == "sha-1") return EVP_sha1();
  if (lower == "sha-384") return EVP_sha384();
  if (lower == "sha-512") return EVP_sha512();
  return nullptr;
}

std::optional<std::string> dtlsCertificateFingerprint(X509* cert, std::string_view alg) {
  const EVP_MD* md = dtlsFingerprintDigest(alg);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (!md || !cert || X509_digest(cert, md, digest, &size) != 1) return std::nullopt;
  constexpr const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    if (i) out += ':';
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0x0F];
  }
  return out;
}

std::unique_ptr<DtlsIdentity> DtlsIdentity::create(std::string& error) {
  ERR_clear_error();
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (!key) {
    error = dtlsIdentityStepError("EVP_EC_gen(P-256)");
    return nullptr;
  }
  auto identity = createWithKey(key, error);
  EVP_PKEY_free(key);
  return identity;
}

std::unique_ptr<DtlsIdentity> DtlsIdentity::createWithKey(EVP_PKEY* key, std::string& error) {
  ERR_clear_error();
  if (!key || EVP_PKEY_up_ref(key) != 1) {
    error = dtlsIdentityStepError("EVP_PKEY_up_ref");
    return nullptr;
  }
  std::unique_ptr<DtlsIdentity> identity(new DtlsIdentity());
  identity->key_ = key;
  if (!identity->makeCertificate(error) || !identity->makeContext(error)) return nullptr;
  return identity;
}

DtlsIdentity::~DtlsIdentity() {
  SSL_CTX_free(ctx_);
  X509_free(cert_);
  EVP_PKEY_free(key_);
}

bool DtlsIdentity::makeCertificate(std::string& error) {
  cert_ = X509_new();
  if (!cert_) return dtlsIdentityFail(error, "X509_new");
  if (X509_set_version(cert_, X509_VERSION_3) != 1) {
    return dtlsIdentityFail(error, "X509_set_version");
  }
  // RFC 5280 §4.1.2.2: a positive serial of at most 20 octets; random so that two
  // identities of one host never share one.
  BIGNUM* serial = BN_new();
  const bool serialOk = serial && BN_rand(serial, 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
                        BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert_)) != nullptr;
  BN_free(serial);
  if (!serialOk) return dtlsIdentityFail(error, "random serial");
  if (!X509_gmtime_adj(X509_getm_notBefore(cert_), -kDtlsIdentitySecondsPerDay) ||
      !X509_gmtime_adj(X509_getm_notAfter(cert_),
                       kDtlsIdentityValidDays * kDtlsIdentitySecondsPerDay)) {
    return dtlsIdentityFail(error, "X509_gmtime_adj");
  }
  if (X509_set_pubkey(cert_, key_) != 1) {
    return dtlsIdentityFail(error, "X509_set_pubkey");
  }
  X509_NAME* name = X509_get_subject_name(cert_);
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>("roomcast"), -1, -1,
                                 0) != 1 ||
      X509_set_issuer_name(cert_, name) != 1) {
    return dtlsIdentityFail(error, "X509 subject/issuer name");
  }
  if (X509_sign(cert_, key_, EVP_sha256()) <= 0) {
    return dtlsIdentityFail(error, "X509_sign(sha256)");
  }
  auto fingerprint = dtlsCertificateFingerprint(cert_, "sha-256");
  if (!fingerprint) return dtlsIdentityFail(error, "X509_digest(sha256)");
  fingerprint_ = std::move(*fingerprint);
  return true;
}

bool DtlsIdentity::makeContext(std::string& error) {
  ctx_ = SSL_CTX_new(DTLS_method());
  if (!ctx_) return dtlsIdentityFail(error, "SSL_CTX_new(DTLS_method)");
  if (SSL_CTX_set_min_proto_version(ctx_, DTLS1_2_VERSION) != 1) {
    return dtlsIdentityFail(error, "SSL_CTX_set_min_proto_version(DTLS 1.2)");
  }
  if (SSL_CTX_use_certificate(ctx_, cert_) != 1 || SSL_CTX_use_PrivateKey(ctx_, key_) != 1 ||
      SSL_CTX_check_private_key(ctx_) != 1) {
    return dtlsIdentityFail(error, "SSL_CTX_use_certificate/PrivateKey");
  }
  if (SSL_CTX_set_cipher_list(ctx_, kDtlsIdentityCiphers) != 1) {
    return dtlsIdentityFail(error, "SSL_CTX_set_cipher_list");
  }
  if (SSL_CTX_set1_groups_list(ctx_, kDtlsIdentityGroups) != 1) {
    return dtlsIdentityFail(error, "SSL_CTX_set1_groups_list");
  }
  // NOTE: unlike nearly every other OpenSSL call, this one returns 0 on success.
  if (SSL_CTX_set_tlsext_use_srtp(ctx_, kDtlsIdentitySrtpProfiles) != 0) {
    return dtlsIdentityFail(error, "SSL_CTX_set_tlsext_use_srtp");
  }
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                     dtlsIdentityAcceptPeerCertificate);
  // NOTE: NO_QUERY_MTU: there is no socket to ask; DtlsTransport sets the MTU, and only
  // with this option does OpenSSL keep it (and never lowers it after timeouts).
  // NO_RENEGOTIATION: a renegotiation could swap the certificate we checked.
  SSL_CTX_set_options(ctx_, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET |
                                SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_OFF);
  return true;
}

}  // namespace webrtc
