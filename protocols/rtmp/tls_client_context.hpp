// TlsClientContext: the SSL_CTX every rtmps:// relay shares (TLS 1.2+, the system CA
// store, verification on or off). Owned by the RelaySet; loop thread.
#pragma once

#include <openssl/ssl.h>

namespace rtmp {

class TlsClientContext {
 public:
  // Throws std::runtime_error when OpenSSL cannot make a context or load the CAs.
  explicit TlsClientContext(bool verifyPeer);
  ~TlsClientContext();
  TlsClientContext(const TlsClientContext&) = delete;
  TlsClientContext& operator=(const TlsClientContext&) = delete;

  SSL_CTX* get() const { return ctx_; }
  bool verifyPeer() const { return verify_; }

 private:
  SSL_CTX* ctx_;
  bool verify_;
};

}  // namespace rtmp
