#include "protocols/webrtc/ice_lite_agent.hpp"

#include <fmt/format.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "core/loop/udp_socket.hpp"

namespace webrtc {
namespace {

// Peer-chosen text for a log line: printable ASCII only, bounded.
std::string iceLogSafe(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, 64)) out.push_back(c >= 0x20 && c < 0x7F ? c : '?');
  if (text.size() > 64) out += "...";
  return out;
}

std::string_view iceReasonPhrase(int code) {
  switch (code) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthenticated";
    case 420:
      return "Unknown Attribute";
    case 487:
      return "Role Conflict";
    default:
      return "Error";
  }
}

}  // namespace

IceLiteAgent::IceLiteAgent(std::string localUfrag, std::string localPwd, std::string remoteUfrag,
                           std::string remotePwd, int64_t consentTimeoutMs)
    : localUfrag_(std::move(localUfrag)),
      localPwd_(std::move(localPwd)),
      remoteUfrag_(std::move(remoteUfrag)),
      remotePwd_(std::move(remotePwd)),
      consentTimeoutMs_(consentTimeoutMs) {}

void IceLiteAgent::setRemoteCredentials(std::string remoteUfrag, std::string remotePwd) {
  remoteUfrag_ = std::move(remoteUfrag);
  remotePwd_ = std::move(remotePwd);
}

IceLiteAgent::Reply IceLiteAgent::onStun(const StunMessage& m, const sockaddr_storage& from,
                                         int64_t nowMs) {
  Reply r;
  if (m.hasFingerprint() && !m.fingerprintOk()) {
    // NOTE: RFC 8489 §7.3: a wrong FINGERPRINT means "not STUN": dropped without answer.
    r.error = "stun: FINGERPRINT does not match, dropped";
    return r;
  }
  switch (m.messageClass()) {
    case StunClass::Indication:
      return r;  // keepalives (RFC 8445 §11): no answer, no consent
    case StunClass::Success:
    case StunClass::Error:
      r.error = "stun: unexpected response (an ICE-lite agent sends no requests), dropped";
      return r;
    case StunClass::Request:
      break;
  }
  if (m.method() != kStunMethodBinding) {
    return refuse(m, 400, fmt::format("unsupported method 0x{:03x}", m.method()), false);
  }
  if (!m.attributeError().empty()) return refuse(m, 400, m.attributeError(), false);
  // RFC 8489 §9.1.3: short-term credentials; no USERNAME or no integrity -> 400, an
  // unknown USERNAME or a wrong HMAC -> 401, both without integrity of our own.
  const auto user = m.username();
  if (!user || !m.hasIntegrity()) {
    return refuse(m, 400, !user ? "no USERNAME" : "no MESSAGE-INTEGRITY", false);
  }
  if (!usernameMatches(*user)) {
    return refuse(m, 401,
                  fmt::format("USERNAME \"{}\" is not \"{}:{}\"", iceLogSafe(*user), localUfrag_,
                              remoteUfrag_.empty() ? "*" : remoteUfrag_),
                  false);
  }
  if (!m.verifyIntegrity(localPwd_)) {
    return refuse(m, 401, "MESSAGE-INTEGRITY does not verify with our ice-pwd", false);
  }
  // Authenticated from here: our errors carry MESSAGE-INTEGRITY.
  if (!m.unknownRequired().empty()) {
    return refuse(m, 420,
                  fmt::format("unknown comprehension-required attribute 0x{:04x}",
                              m.unknownRequired().front()),
                  true);
  }
  if (m.iceControlled()) {
    // NOTE: RFC 8445 §7.3.1.1: a lite agent is always controlled (§6.1.1), so the full
    // peer must be controlling; a peer that also claims controlled gets 487.
    return refuse(m, 487, "the peer claims ICE-CONTROLLED; an ICE-lite agent is controlled", true);
  }
  r.bytes = stunBindingSuccess(m, from, localPwd_);
  if (r.bytes.empty()) {
    r.error = fmt::format("stun: address family {} cannot be answered", from.ss_family);
    return r;
  }
  r.valid = true;
  updateSelection(m, from, nowMs, r);
  return r;
}

IceLiteAgent::Reply IceLiteAgent::refuse(const StunMessage& request, int code, std::string reason,
                                         bool authenticated) const {
  Reply r;
  r.bytes = stunBindingError(request, code, iceReasonPhrase(code),
                             authenticated ? std::string_view(localPwd_) : std::string_view());
  r.error = fmt::format("stun: {} {} to a request: {}", code, iceReasonPhrase(code), reason);
  return r;
}

void IceLiteAgent::updateSelection(const StunMessage& request, const sockaddr_storage& from,
                                   int64_t nowMs, Reply& reply) {
  const bool same = selected_ && core::sameAddress(*selected_, from);
  if (request.useCandidate()) {
    // NOTE: RFC 8445 §7.3.1.5: USE-CANDIDATE on a valid check nominates its pair; a
    // later nomination from another address (re-nomination, NAT rebinding) moves it.
    if (!same) {
      selected_ = from;
      reply.selectedChanged = true;
    }
    nominated_ = true;
    lastValidMs_ = nowMs;
  } else if (!selected_) {
    // A peer that never nominates still gets media: the first valid check's address.
    selected_ = from;
    reply.selectedChanged = true;
    lastValidMs_ = nowMs;
  } else if (same) {
    lastValidMs_ = std::max(lastValidMs_, nowMs);
  }
}

bool IceLiteAgent::usernameMatches(std::string_view username) const {
  // NOTE: RFC 8445 §7.2.2: USERNAME = "<receiver's ufrag>:<sender's ufrag>"; ice-chars
  // have no colon, so the first colon splits it.
  const size_t colon = username.find(':');
  if (colon == std::string_view::npos || username.substr(0, colon) != localUfrag_) return false;
  return remoteUfrag_.empty() || username.substr(colon + 1) == remoteUfrag_;
}

void IceLiteAgent::onValidTraffic(const sockaddr_storage& from, int64_t nowMs) {
  if (selected_ && core::sameAddress(*selected_, from))
    lastValidMs_ = std::max(lastValidMs_, nowMs);
}

bool IceLiteAgent::consentExpired(int64_t nowMs) const {
  return selected_ && nowMs - lastValidMs_ >= consentTimeoutMs_;
}

std::optional<int64_t> IceLiteAgent::consentDeadlineMs() const {
  if (!selected_) return std::nullopt;
  return lastValidMs_ + consentTimeoutMs_;
}

}  // namespace webrtc
