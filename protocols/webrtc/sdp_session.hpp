// SdpSession: one SDP description (RFC 8866) parsed into lines, bounded, with the
// syntax of the attributes WebRTC negotiation reads checked; serialize() writes it back.
// A value type; no I/O; any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace webrtc {

// Limits of SdpSession::parse (an offer from a browser is ~6 KiB, ~150 lines).
inline constexpr size_t kSdpMaxBytes = 64 * 1024;
inline constexpr size_t kSdpMaxLines = 2048;
inline constexpr size_t kSdpMaxMedia = 16;
inline constexpr size_t kSdpMaxAttributes = 1024;  // in the whole description
inline constexpr size_t kSdpMaxFormats = 128;      // payload types of one m= line

using SdpAttributes = std::vector<std::pair<std::string, std::string>>;  // name, value

// Lookup helpers over an attribute list (names compare exactly: SDP names are
// case-sensitive, RFC 8866 §5.13).
std::optional<std::string_view> sdpAttribute(const SdpAttributes&, std::string_view name);
std::vector<std::string_view> sdpAttributes(const SdpAttributes&, std::string_view name);
bool sdpHasAttribute(const SdpAttributes&, std::string_view name);

struct SdpMedia {
  std::string kind;  // "audio" | "video" | "application" | anything else offered
  int port = 0;
  int portCount = 1;  // m=<kind> <port>/<count>
  std::string proto;  // "UDP/TLS/RTP/SAVPF", "UDP/DTLS/SCTP"
  std::vector<std::string> formats;
  std::string connection;    // c= of this section ("IN IP4 0.0.0.0"), empty if none
  SdpAttributes attributes;  // in order
  int line = 0;              // line number of the m= line (1-based) in the parsed text

  std::optional<std::string_view> attribute(std::string_view name) const {
    return sdpAttribute(attributes, name);
  }
  bool has(std::string_view name) const { return sdpHasAttribute(attributes, name); }
  std::string mid() const;  // a=mid, "" if none
};

struct SdpSession {
  std::string origin = "- 0 1 IN IP4 127.0.0.1";  // o= value
  std::string sessionName = "-";                  // s= value
  std::string connection;                         // session c=, empty if none
  std::string timing = "0 0";                     // t= value (the first one)
  SdpAttributes attributes;                       // session-level, in order
  std::vector<SdpMedia> media;

  std::optional<std::string_view> attribute(std::string_view name) const {
    return sdpAttribute(attributes, name);
  }
  bool has(std::string_view name) const { return sdpHasAttribute(attributes, name); }

  // RFC 8866 text (CRLF or LF lines) -> the description. Checks the line grammar,
  // the order v= o= s= ... t= ... m=, the limits above, and the value syntax of
  // rtpmap, fmtp, rtcp-fb, extmap, ssrc, ssrc-group, fingerprint, setup, ice-ufrag,
  // ice-pwd, mid (unique), group, sctp-port and max-message-size. On failure:
  // nullopt and `error` = "line N: what is wrong".
  static std::optional<SdpSession> parse(std::string_view text, std::string& error);

  // The description as SDP text with CRLF line ends.
  std::string serialize() const;
};

}  // namespace webrtc
