// WebrtcLibraries: the process-wide set-up of the C libraries protocols/webrtc uses
// (libsrtp2 now, usrsctp through SctpStack later). One per process, owned by main (and
// by each unit test that needs it); made and destroyed on the loop thread.
#pragma once

#include <memory>
#include <string>

namespace webrtc {

class WebrtcLibraries {
 public:
  // srtp_init(); nullptr + `error` ("srtp_init: srtp_err_status_...") on failure.
  // NOTE: one live object per process: the destructor's srtp_shutdown() tears down
  // libsrtp2's crypto kernel for every SrtpSession, so they must all be gone first.
  static std::unique_ptr<WebrtcLibraries> create(std::string& error);
  ~WebrtcLibraries();

  WebrtcLibraries(const WebrtcLibraries&) = delete;
  WebrtcLibraries& operator=(const WebrtcLibraries&) = delete;

  // "libsrtp2 2.5.0, OpenSSL 3.0.19 ..." for the start-up log line.
  std::string versions() const;

 private:
  WebrtcLibraries() = default;

  bool srtpReady_ = false;
  // Unit 6 (SCTP) goes here: `std::unique_ptr<SctpStack> sctp_;` made in create() after
  // srtp_init (usrsctp_init_nothreads), reset first in the destructor, and an accessor
  // `SctpStack& sctp()` for the sessions. Nothing else of usrsctp belongs in this class.
};

}  // namespace webrtc
