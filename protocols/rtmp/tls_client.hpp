// TlsClient: the client side of TLS over memory BIOs (no socket), with SNI and peer
// verification (system CAs, host name) by default. Owned by an RtmpRelay connection;
// loop thread.
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "protocols/rtmp/tls_client_context.hpp"

namespace rtmp {

class TlsClient {
 public:
  // `host`: the name sent as SNI and checked against the certificate (an IP literal
  // is checked as an address and sends no SNI).
  TlsClient(const TlsClientContext& context, const std::string& host);
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  // Starts the handshake (the ClientHello is then in takeCipher()). False: `error`.
  bool start(std::string& error);
  // Ciphertext from the peer; the plaintext it held is appended to `plain`. False:
  // the TLS session failed (`error` says why: a certificate, an alert, garbage).
  bool feed(std::span<const uint8_t> cipher, std::vector<uint8_t>& plain, std::string& error);
  // Encrypts `plain` (only once handshakeDone()). False: `error`.
  bool write(std::span<const uint8_t> plain, std::string& error);
  // What to send to the peer now.
  std::vector<uint8_t> takeCipher();
  bool handshakeDone() const { return done_; }

 private:
  bool step(std::string& error);  // drives the handshake
  std::string lastError(int rc);

  SSL* ssl_;
  BIO* in_;   // owned by ssl_
  BIO* out_;  // owned by ssl_
  bool done_ = false;
};

}  // namespace rtmp
