// IceLiteAgent: the ICE-lite answerer of one WebRTC session (RFC 8445 §2.5, §7.3; consent
// RFC 7675): answers Binding requests, selects the nominated address, tracks consent.
// Owned by the session; loop thread; no sockets, no timers, no logging (the owner logs
// Reply::error and asks consentExpired() from its own timer).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/webrtc/stun_message.hpp"

namespace webrtc {

// RFC 7675 §5.1: consent expires 30 s after the last authenticated traffic.
inline constexpr int64_t kIceConsentTimeoutMs = 30'000;

class IceLiteAgent {
 public:
  // `remoteUfrag` may be empty (not known yet, e.g. a WHIP client that trickles): then
  // any remote part of USERNAME is accepted. `remotePwd` is kept for checks we might send.
  IceLiteAgent(std::string localUfrag, std::string localPwd, std::string remoteUfrag,
               std::string remotePwd, int64_t consentTimeoutMs = kIceConsentTimeoutMs);

  struct Reply {
    std::vector<uint8_t> bytes;    // to send back to `from`; empty: send nothing
    bool valid = false;            // an authenticated Binding request we answered with success
    std::string error;             // log-worthy: why it was refused or dropped; empty if fine
    bool selectedChanged = false;  // selected() is now `from` (first check or a nomination)
  };
  // A STUN datagram from `from`: a success (valid check), a 400/401/420/487 error, or
  // nothing (responses, indications, a wrong FINGERPRINT). A valid check with
  // USE-CANDIDATE selects `from`; until one does, the first valid check's address is
  // selected (peers that never nominate). A later nomination from another address (NAT
  // rebinding, a network change) moves the selection.
  Reply onStun(const StunMessage& message, const sockaddr_storage& from, int64_t nowMs);

  std::optional<sockaddr_storage> selected() const { return selected_; }
  bool nominated() const { return nominated_; }
  // Authenticated SRTP/SRTCP/DTLS from `from`: refreshes consent when it is the selected
  // address.
  void onValidTraffic(const sockaddr_storage& from, int64_t nowMs);
  // True once no valid traffic came from the selected address for the consent timeout.
  // NOTE: false before the first valid check: there is no consent to lose yet; the owner's
  // set-up timeout covers a peer that never connects.
  bool consentExpired(int64_t nowMs) const;
  // When consent expires without more traffic (for the owner's timer); nullopt before the
  // first valid check.
  std::optional<int64_t> consentDeadlineMs() const;

  // The remote credentials once known (late offer/answer or trickle).
  void setRemoteCredentials(std::string remoteUfrag, std::string remotePwd);
  const std::string& localUfrag() const { return localUfrag_; }

 private:
  bool usernameMatches(std::string_view username) const;
  Reply refuse(const StunMessage& request, int code, std::string reason, bool authenticated) const;
  void updateSelection(const StunMessage& request, const sockaddr_storage& from, int64_t nowMs,
                       Reply& reply);

  // passed in
  std::string localUfrag_, localPwd_, remoteUfrag_, remotePwd_;
  int64_t consentTimeoutMs_;
  // state
  std::optional<sockaddr_storage> selected_;
  bool nominated_ = false;
  int64_t lastValidMs_ = 0;
};

}  // namespace webrtc
