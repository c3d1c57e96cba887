#include "protocols/rtmp/tls_client.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <stdexcept>

#include "core/auth/openssl_errors.hpp"

namespace rtmp {
namespace {

bool tlsClientIsIp(const std::string& host) {
  unsigned char addr[16];
  return inet_pton(AF_INET, host.c_str(), addr) == 1 ||
         inet_pton(AF_INET6, host.c_str(), addr) == 1;
}

}  // namespace

TlsClient::TlsClient(const TlsClientContext& context, const std::string& host)
    : ssl_(SSL_new(context.get())), in_(BIO_new(BIO_s_mem())), out_(BIO_new(BIO_s_mem())) {
  if (!ssl_ || !in_ || !out_) {
    // NOTE: start() reports it; nothing here may throw on the data path.
    if (in_) BIO_free(in_);
    if (out_) BIO_free(out_);
    in_ = out_ = nullptr;
    return;
  }
  BIO_set_mem_eof_return(in_, -1);  // an empty input BIO means "wait", not EOF
  SSL_set_bio(ssl_, in_, out_);
  SSL_set_connect_state(ssl_);
  if (tlsClientIsIp(host)) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl_, host.c_str());  // SNI (RFC 6066: names only)
    SSL_set1_host(ssl_, host.c_str());
  }
}

TlsClient::~TlsClient() {
  if (ssl_) SSL_free(ssl_);  // frees both BIOs
}

std::string TlsClient::lastError(int rc) {
  const int e = SSL_get_error(ssl_, rc);
  std::string why = core::opensslErrors();
  const long verify = SSL_get_verify_result(ssl_);
  if (verify != X509_V_OK)
    why = std::string("certificate: ") + X509_verify_cert_error_string(verify) +
          (why.empty() ? "" : " (" + why + ")");
  if (why.empty())
    why = e == SSL_ERROR_ZERO_RETURN ? "the peer closed TLS" : "SSL error " + std::to_string(e);
  return "TLS: " + why;
}

bool TlsClient::start(std::string& error) {
  if (!ssl_ || !in_) {
    error = "TLS: cannot create a session: " + core::opensslErrors();
    return false;
  }
  return step(error);
}

bool TlsClient::step(std::string& error) {
  if (done_) return true;
  ERR_clear_error();
  const int rc = SSL_do_handshake(ssl_);
  if (rc == 1) {
    done_ = true;
    return true;
  }
  const int e = SSL_get_error(ssl_, rc);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return true;
  error = lastError(rc);
  return false;
}

bool TlsClient::feed(std::span<const uint8_t> cipher, std::vector<uint8_t>& plain,
                     std::string& error) {
  if (!cipher.empty() && BIO_write(in_, cipher.data(), static_cast<int>(cipher.size())) <= 0) {
    error = "TLS: cannot buffer the input";
    return false;
  }
  if (!done_ && !step(error)) return false;
  if (!done_) return true;
  uint8_t buf[16 * 1024];
  for (;;) {
    ERR_clear_error();
    const int n = SSL_read(ssl_, buf, sizeof buf);
    if (n > 0) {
      plain.insert(plain.end(), buf, buf + n);
      continue;
    }
    const int e = SSL_get_error(ssl_, n);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return true;
    error = lastError(n);
    return false;
  }
}

bool TlsClient::write(std::span<const uint8_t> plain, std::string& error) {
  if (!done_) {
    error = "TLS: write before the handshake finished";
    return false;
  }
  while (!plain.empty()) {
    ERR_clear_error();
    const int n =
        SSL_write(ssl_, plain.data(), static_cast<int>(std::min<size_t>(plain.size(), 1 << 20)));
    if (n <= 0) {
      error = lastError(n);
      return false;
    }
    plain = plain.subspan(static_cast<size_t>(n));
  }
  return true;
}

std::vector<uint8_t> TlsClient::takeCipher() {
  std::vector<uint8_t> out;
  if (!out_) return out;
  const size_t pending = BIO_ctrl_pending(out_);
  out.resize(pending);
  if (pending > 0) {
    const int n = BIO_read(out_, out.data(), static_cast<int>(pending));
    out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  }
  return out;
}

}  // namespace rtmp
