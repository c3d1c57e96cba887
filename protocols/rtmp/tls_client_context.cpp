#include "protocols/rtmp/tls_client_context.hpp"

#include <openssl/err.h>

#include <stdexcept>
#include <string>

#include "core/auth/openssl_errors.hpp"

namespace rtmp {

TlsClientContext::TlsClientContext(bool verifyPeer)
    : ctx_(SSL_CTX_new(TLS_client_method())), verify_(verifyPeer) {
  if (!ctx_) throw std::runtime_error("TLS: SSL_CTX_new: " + core::opensslErrors());
  SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
  if (verify_) {
    // NOTE: the system's CA store (Debian: /etc/ssl/certs via OpenSSL's default paths).
    if (SSL_CTX_set_default_verify_paths(ctx_) != 1) {
      const std::string why = core::opensslErrors();
      SSL_CTX_free(ctx_);
      throw std::runtime_error("TLS: cannot load the system CA store: " + why);
    }
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
  }
}

TlsClientContext::~TlsClientContext() {
  SSL_CTX_free(ctx_);
}

}  // namespace rtmp
