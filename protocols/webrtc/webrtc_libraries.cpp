#include "protocols/webrtc/webrtc_libraries.hpp"

#include <openssl/crypto.h>
#include <srtp2/srtp.h>

#include "protocols/webrtc/srtp_session.hpp"

namespace webrtc {

std::unique_ptr<WebrtcLibraries> WebrtcLibraries::create(std::string& error) {
  std::unique_ptr<WebrtcLibraries> libraries(new WebrtcLibraries());
  const srtp_err_status_t status = srtp_init();
  if (status != srtp_err_status_ok) {
    error = std::string("srtp_init: ") + srtpStatusName(status);
    return nullptr;
  }
  libraries->srtpReady_ = true;
  return libraries;
}

WebrtcLibraries::~WebrtcLibraries() {
  if (srtpReady_) srtp_shutdown();
}

std::string WebrtcLibraries::versions() const {
  return std::string(srtp_get_version_string()) + ", " + OpenSSL_version(OPENSSL_VERSION);
}

}  // namespace webrtc
