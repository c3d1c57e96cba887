#include "protocols/webrtc/sdp_session.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <set>

namespace webrtc {

namespace {

// RFC 8866 §9 token-char: %x21 / %x23-27 / %x2A-2B / %x2D-2E / %x30-39 / %x41-5A / %x5E-7E.
bool sdpIsTokenChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u == 0x21 || (u >= 0x23 && u <= 0x27) || u == 0x2A || u == 0x2B || u == 0x2D ||
         u == 0x2E || (u >= 0x30 && u <= 0x39) || (u >= 0x41 && u <= 0x5A) ||
         (u >= 0x5E && u <= 0x7E);
}

bool sdpIsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!sdpIsTokenChar(c)) return false;
  return true;
}

// RFC 8839 §5.4 ice-char: ALPHA / DIGIT / "+" / "/".
bool sdpIsIceChars(std::string_view s) {
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '/';
    if (!ok) return false;
  }
  return true;
}

bool sdpIsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

std::optional<uint64_t> sdpNumber(std::string_view s, uint64_t max) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v > max) return std::nullopt;
  return v;
}

// Splits on single spaces (SDP fields are separated by exactly one space; we also
// tolerate runs of spaces, which some stacks write).
std::vector<std::string_view> sdpFields(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    if (i >= s.size()) break;
    size_t j = s.find(' ', i);
    if (j == std::string_view::npos) j = s.size();
    out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

// "<first> <rest>": the first space-separated field and the remainder.
std::pair<std::string_view, std::string_view> sdpHead(std::string_view s) {
  const size_t sp = s.find(' ');
  if (sp == std::string_view::npos) return {s, {}};
  return {s.substr(0, sp), s.substr(sp + 1)};
}

bool sdpIsPayloadType(std::string_view s) {
  return sdpNumber(s, 127).has_value();
}

// The syntax of the attributes negotiation reads; "" when fine, else the reason.
std::string sdpCheckRtpAttribute(std::string_view name, std::string_view value) {
  if (name == "rtpmap") {
    auto [pt, enc] = sdpHead(value);
    if (!sdpIsPayloadType(pt)) return "a=rtpmap: payload type '" + std::string(pt) + "' not 0-127";
    const size_t s1 = enc.find('/');
    if (s1 == 0 || s1 == std::string_view::npos) return "a=rtpmap: expected <name>/<clock rate>";
    std::string_view rest = enc.substr(s1 + 1);
    const size_t s2 = rest.find('/');
    if (!sdpNumber(rest.substr(0, s2), 1000000000).value_or(0))
      return "a=rtpmap: bad clock rate in '" + std::string(enc) + "'";
    if (s2 != std::string_view::npos && !sdpNumber(rest.substr(s2 + 1), 255).value_or(0))
      return "a=rtpmap: bad channel count in '" + std::string(enc) + "'";
    return {};
  }
  if (name == "fmtp" || name == "rtcp-fb") {
    auto [fmt, params] = sdpHead(value);
    if (!sdpIsToken(fmt)) return "a=" + std::string(name) + ": expected <format> <parameters>";
    if (name == "rtcp-fb" && fmt != "*" && !sdpIsPayloadType(fmt))
      return "a=rtcp-fb: payload type '" + std::string(fmt) + "' not 0-127 or *";
    if (name == "rtcp-fb" && !sdpIsToken(sdpHead(params).first))
      return "a=rtcp-fb: missing feedback type";
    return {};
  }
  if (name == "extmap") {
    auto [idDir, rest] = sdpHead(value);
    const std::string_view id = idDir.substr(0, idDir.find('/'));
    if (!sdpNumber(id, 255).value_or(0)) return "a=extmap: id '" + std::string(id) + "' not 1-255";
    if (sdpHead(rest).first.empty()) return "a=extmap: missing URI";
    return {};
  }
  if (name == "ssrc") {
    auto [ssrc, attr] = sdpHead(value);
    if (!sdpNumber(ssrc, UINT32_MAX))
      return "a=ssrc: '" + std::string(ssrc) + "' not a 32-bit SSRC";
    if (attr.empty()) return "a=ssrc: missing source attribute";
    return {};
  }
  if (name == "ssrc-group") {
    const auto f = sdpFields(value);
    if (f.empty() || !sdpIsToken(f[0])) return "a=ssrc-group: missing semantics";
    for (size_t i = 1; i < f.size(); ++i)
      if (!sdpNumber(f[i], UINT32_MAX))
        return "a=ssrc-group: '" + std::string(f[i]) + "' not an SSRC";
    return {};
  }
  return {};
}

std::string sdpCheckTransportAttribute(std::string_view name, std::string_view value) {
  if (name == "fingerprint") {
    auto [alg, hex] = sdpHead(value);
    if (!sdpIsToken(alg) || hex.empty()) return "a=fingerprint: expected <hash> <hex>";
    // RFC 8122 §5: pairs of hex digits separated by colons.
    for (size_t i = 0; i < hex.size(); ++i) {
      const bool ok = (i % 3 == 2) ? hex[i] == ':' : sdpIsHex(hex[i]);
      if (!ok) return "a=fingerprint: '" + std::string(hex) + "' is not colon-separated hex";
    }
    if (hex.size() % 3 != 2) return "a=fingerprint: truncated hex '" + std::string(hex) + "'";
    return {};
  }
  if (name == "setup") {
    if (value != "active" && value != "passive" && value != "actpass" && value != "holdconn")
      return "a=setup: '" + std::string(value) + "' is not active, passive, actpass or holdconn";
    return {};
  }
  if (name == "ice-ufrag" || name == "ice-pwd") {
    // RFC 8839 §5.4: ufrag 4-256, pwd 22-256 ice-chars.
    const size_t min = name == "ice-ufrag" ? 4 : 22;
    if (value.size() < min || value.size() > 256 || !sdpIsIceChars(value))
      return "a=" + std::string(name) + ": needs " + std::to_string(min) +
             "-256 characters of [A-Za-z0-9+/]";
    return {};
  }
  if (name == "mid" && (!sdpIsToken(value) || value.size() > 64)) return "a=mid: not a token";
  if (name == "group") {
    const auto f = sdpFields(value);
    if (f.empty() || !sdpIsToken(f[0])) return "a=group: missing semantics";
    for (auto tag : f)
      if (!sdpIsToken(tag)) return "a=group: bad identification tag";
    return {};
  }
  if (name == "sctp-port" && !sdpNumber(value, 65535)) return "a=sctp-port: not 0-65535";
  if (name == "max-message-size" && !sdpNumber(value, UINT32_MAX))
    return "a=max-message-size: not a 32-bit number";
  return sdpCheckRtpAttribute(name, value);
}

std::string sdpParseMediaLine(std::string_view value, SdpMedia& m) {
  const auto f = sdpFields(value);
  if (f.size() < 4) return "m=: expected <media> <port> <proto> <format>...";
  if (!sdpIsToken(f[0])) return "m=: bad media type";
  m.kind = std::string(f[0]);
  const std::string_view portField = f[1];
  const size_t slash = portField.find('/');
  const auto port = sdpNumber(portField.substr(0, slash), 65535);
  if (!port) return "m=: port '" + std::string(portField) + "' not 0-65535";
  m.port = static_cast<int>(*port);
  if (slash != std::string_view::npos) {
    const auto count = sdpNumber(portField.substr(slash + 1), 65535);
    if (!count || *count == 0) return "m=: bad port count in '" + std::string(portField) + "'";
    m.portCount = static_cast<int>(*count);
  }
  // RFC 8866 §9: proto = token *("/" token)
  for (size_t start = 0; start <= f[2].size();) {
    const size_t slash = std::min(f[2].find('/', start), f[2].size());
    if (!sdpIsToken(f[2].substr(start, slash - start))) return "m=: bad protocol";
    start = slash + 1;
  }
  m.proto = std::string(f[2]);
  if (f.size() - 3 > kSdpMaxFormats) return "m=: more than 128 formats";
  for (size_t i = 3; i < f.size(); ++i) {
    if (!sdpIsToken(f[i])) return "m=: bad format '" + std::string(f[i]) + "'";
    m.formats.emplace_back(f[i]);
  }
  return {};
}

std::string sdpCheckLineText(std::string_view line) {
  for (char c : line) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7F) return "control character in the line";
  }
  if (line.size() < 2 || line[1] != '=') return "expected <type>=<value>";
  if (line[0] < 'a' || line[0] > 'z') return "type must be a lower-case letter";
  return {};
}

// Parser state across lines.
struct SdpParseState {
  SdpSession session;
  SdpMedia* media = nullptr;  // the current m= section
  bool sawOrigin = false, sawName = false, sawTiming = false;
  size_t attributes = 0;
  std::set<std::string, std::less<>> mids;
};

std::string sdpParseLine(char type, std::string_view value, int lineNo, SdpParseState& st) {
  SdpSession& s = st.session;
  if (type == 'v') return "v= only as the first line";
  if (type == 'm') {
    if (!st.sawOrigin || !st.sawName || !st.sawTiming)
      return "m= before the session's o=, s= and t= lines";
    if (s.media.size() >= kSdpMaxMedia) return "more than 16 m= sections";
    s.media.emplace_back();
    st.media = &s.media.back();
    st.media->line = lineNo;
    return sdpParseMediaLine(value, *st.media);
  }
  if (type == 'a') {
    if (++st.attributes > kSdpMaxAttributes) return "more than 1024 attributes";
    const size_t colon = value.find(':');
    std::string_view name = value.substr(0, colon);
    std::string_view val = colon == std::string_view::npos ? "" : value.substr(colon + 1);
    if (!sdpIsToken(name)) return "a=: bad attribute name";
    if (std::string reason = sdpCheckTransportAttribute(name, val); !reason.empty()) return reason;
    if (name == "mid" && !st.mids.insert(std::string(val)).second)
      return "a=mid:" + std::string(val) + " appears twice";
    auto& list = st.media ? st.media->attributes : s.attributes;
    list.emplace_back(std::string(name), std::string(val));
    return {};
  }
  if (type == 'c') {
    if (sdpFields(value).size() != 3) return "c=: expected <nettype> <addrtype> <address>";
    (st.media ? st.media->connection : s.connection) = std::string(value);
    return {};
  }
  if (type == 'i' || type == 'b' || type == 'k') return {};  // allowed anywhere, unused
  if (st.media) return std::string(1, type) + "= is not allowed in an m= section";
  switch (type) {
    case 'o':
      if (st.sawOrigin) return "second o= line";
      if (sdpFields(value).size() != 6)
        return "o=: expected <username> <sess-id> <sess-version> <nettype> <addrtype> <address>";
      st.sawOrigin = true;
      s.origin = std::string(value);
      return {};
    case 's':
      if (st.sawName) return "second s= line";
      st.sawName = true;
      s.sessionName = std::string(value);
      return {};
    case 't':
      if (!st.sawTiming) s.timing = std::string(value);
      st.sawTiming = true;
      return sdpFields(value).size() == 2 ? std::string() : "t=: expected <start> <stop>";
    case 'u':
    case 'e':
    case 'p':
    case 'r':
    case 'z':
      return {};
    default:
      return "unknown type '" + std::string(1, type) + "='";
  }
}

}  // namespace

std::optional<std::string_view> sdpAttribute(const SdpAttributes& list, std::string_view name) {
  for (const auto& [n, v] : list)
    if (n == name) return std::string_view(v);
  return std::nullopt;
}

std::vector<std::string_view> sdpAttributes(const SdpAttributes& list, std::string_view name) {
  std::vector<std::string_view> out;
  for (const auto& [n, v] : list)
    if (n == name) out.emplace_back(v);
  return out;
}

bool sdpHasAttribute(const SdpAttributes& list, std::string_view name) {
  return sdpAttribute(list, name).has_value();
}

std::string SdpMedia::mid() const {
  return std::string(attribute("mid").value_or(""));
}

std::optional<SdpSession> SdpSession::parse(std::string_view text, std::string& error) {
  if (text.size() > kSdpMaxBytes) {
    error = "SDP of " + std::to_string(text.size()) + " bytes (limit 65536)";
    return std::nullopt;
  }
  SdpParseState st;
  int lineNo = 0;
  size_t pos = 0;
  bool sawVersion = false;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++lineNo;
    if (lineNo > static_cast<int>(kSdpMaxLines)) {
      error = "line " + std::to_string(lineNo) + ": more than 2048 lines";
      return std::nullopt;
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;  // NOTE: blank lines are not SDP, but stacks emit them
    std::string reason = sdpCheckLineText(line);
    if (reason.empty() && !sawVersion) {
      if (line != "v=0") reason = "expected v=0 first";
      sawVersion = true;
    } else if (reason.empty()) {
      reason = sdpParseLine(line[0], line.substr(2), lineNo, st);
    }
    if (!reason.empty()) {
      error = "line " + std::to_string(lineNo) + ": " + reason;
      return std::nullopt;
    }
  }
  if (!sawVersion || !st.sawOrigin || !st.sawName || !st.sawTiming) {
    error = "line " + std::to_string(lineNo) + ": missing " +
            (!sawVersion     ? "v="
             : !st.sawOrigin ? "o="
             : !st.sawName   ? "s="
                             : "t=") +
            " line";
    return std::nullopt;
  }
  error.clear();
  return std::move(st.session);
}

std::string SdpSession::serialize() const {
  std::string out;
  out.reserve(2048);
  auto line = [&out](char type, std::string_view value) {
    out += type;
    out += '=';
    out += value;
    out += "\r\n";
  };
  auto attrs = [&line](const SdpAttributes& list) {
    for (const auto& [n, v] : list) line('a', v.empty() ? n : n + ":" + v);
  };
  line('v', "0");
  line('o', origin);
  line('s', sessionName);
  if (!connection.empty()) line('c', connection);
  line('t', timing);
  attrs(attributes);
  for (const SdpMedia& m : media) {
    std::string ml = m.kind + " " + std::to_string(m.port);
    if (m.portCount != 1) ml += "/" + std::to_string(m.portCount);
    ml += " " + m.proto;
    for (const auto& f : m.formats) ml += " " + f;
    line('m', ml);
    if (!m.connection.empty()) line('c', m.connection);
    attrs(m.attributes);
  }
  return out;
}

}  // namespace webrtc
