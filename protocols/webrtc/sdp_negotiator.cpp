#include "protocols/webrtc/sdp_negotiator.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>

namespace webrtc {

namespace {

constexpr std::string_view kSdpMidExtension = "urn:ietf:params:rtp-hdrext:sdes:mid";
constexpr std::string_view kSdpRtpProto = "UDP/TLS/RTP/SAVPF";
constexpr std::string_view kSdpDataProto = "UDP/DTLS/SCTP";
constexpr size_t kSdpSha256Chars = 32 * 3 - 1;         // "AB:CD:..." for 32 bytes
constexpr uint32_t kSdpDefaultMaxMessageSize = 65536;  // RFC 8841 §6.1, when absent

bool sdpIEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto la = static_cast<char>(a[i] >= 'A' && a[i] <= 'Z' ? a[i] + 32 : a[i]);
    const auto lb = static_cast<char>(b[i] >= 'A' && b[i] <= 'Z' ? b[i] + 32 : b[i]);
    if (la != lb) return false;
  }
  return true;
}

std::string_view sdpTrim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> sdpSplit(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(sep, start);
    if (end == std::string_view::npos) end = s.size();
    if (std::string_view part = sdpTrim(s.substr(start, end - start)); !part.empty())
      out.push_back(part);
    start = end + 1;
  }
  return out;
}

// A format parameter of "key=value;key=value" (names case-insensitive, RFC 4855).
std::optional<std::string_view> sdpFmtpParam(std::string_view fmtp, std::string_view key) {
  for (std::string_view p : sdpSplit(fmtp, ';')) {
    const size_t eq = p.find('=');
    if (eq != std::string_view::npos && sdpIEquals(sdpTrim(p.substr(0, eq)), key))
      return sdpTrim(p.substr(eq + 1));
  }
  return std::nullopt;
}

std::optional<uint32_t> sdpU32(std::string_view s) {
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

struct SdpCodec {
  int pt = -1;
  std::string name;  // as offered ("H264", "OPUS")
  uint32_t clockRate = 0;
  int channels = 1;
  std::string fmtp;
  std::vector<std::string> feedback;  // "nack", "nack pli", "ccm fir", ...
};

// The payload types of an RTP m= line with their rtpmap, fmtp and rtcp-fb (the parser
// checked the syntax of each).
std::vector<SdpCodec> sdpCodecsOf(const SdpMedia& m) {
  std::vector<SdpCodec> out;
  for (const auto& f : m.formats) {
    const auto pt = sdpU32(f);
    if (!pt || *pt > 127) continue;
    SdpCodec c;
    c.pt = static_cast<int>(*pt);
    for (const auto& [name, value] : m.attributes) {
      const size_t sp = value.find(' ');
      const std::string_view fmt = std::string_view(value).substr(0, sp);
      const std::string_view rest =
          sp == std::string::npos ? "" : std::string_view(value).substr(sp + 1);
      if (name == "rtpmap" && fmt == f) {
        const auto parts = sdpSplit(rest, '/');
        if (parts.size() < 2) continue;
        c.name = std::string(parts[0]);
        c.clockRate = sdpU32(parts[1]).value_or(0);
        c.channels = parts.size() > 2 ? static_cast<int>(sdpU32(parts[2]).value_or(1)) : 1;
      } else if (name == "fmtp" && fmt == f && c.fmtp.empty()) {
        c.fmtp = std::string(sdpTrim(rest));
      } else if (name == "rtcp-fb" && (fmt == f || fmt == "*")) {
        std::string fb;
        for (std::string_view w : sdpSplit(rest, ' '))
          fb += (fb.empty() ? "" : " ") + std::string(w);
        c.feedback.push_back(std::move(fb));
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

// "VP8, VP9, H264 (packetization-mode=0)": what an m= line offered, for 422 reasons.
std::string sdpOfferedList(const std::vector<SdpCodec>& codecs) {
  std::vector<std::string> names;
  for (const SdpCodec& c : codecs) {
    if (c.name.empty()) {
      names.push_back("PT " + std::to_string(c.pt));
      continue;
    }
    if (sdpIEquals(c.name, "rtx") || sdpIEquals(c.name, "red") || sdpIEquals(c.name, "ulpfec") ||
        sdpIEquals(c.name, "flexfec-03"))
      continue;
    std::string n = c.name;
    if (sdpIEquals(c.name, "H264"))
      n += " (packetization-mode=" +
           std::string(sdpFmtpParam(c.fmtp, "packetization-mode").value_or("0")) + ")";
    if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
  }
  if (names.empty()) return "nothing";
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// Lower is better; nullopt: a profile we do not negotiate.
std::optional<int> sdpH264Rank(std::string_view fmtp, const LocalEndpoint& local) {
  // RFC 6184 §8.1: absent profile-level-id means 420010 (Baseline, level 1.0).
  const auto profile = h264ProfileOf(sdpFmtpParam(fmtp, "profile-level-id").value_or("420010"));
  if (!profile) return std::nullopt;
  if (!local.h264ProfileLevelId.empty() && h264ProfileOf(local.h264ProfileLevelId) == profile)
    return 0;
  switch (*profile) {
    case H264Profile::ConstrainedBaseline:
      return 1;
    case H264Profile::Baseline:
      return 2;
    case H264Profile::Main:
      return 3;
    case H264Profile::High:
    case H264Profile::ProgressiveHigh:
    case H264Profile::ConstrainedHigh:
      return 4;
    default:
      return std::nullopt;
  }
}

struct SdpPick {
  std::optional<NegotiatedMedia> media;
  std::string reason;  // when not picked
};

void sdpFillCommon(const SdpMedia& m, const SdpCodec& c, NegotiatedMedia& out) {
  out.mid = m.mid();
  out.pt = c.pt;
  out.clockRate = c.clockRate;
  out.rtcpRsize = m.has("rtcp-rsize");
  for (auto ext : sdpAttributes(m.attributes, "extmap")) {
    const size_t sp = ext.find(' ');
    const auto uri = sdpSplit(ext.substr(sp + 1), ' ');
    if (!uri.empty() && uri[0] == kSdpMidExtension)
      out.extensions[std::string(kSdpMidExtension)] =
          static_cast<int>(sdpU32(ext.substr(0, std::min(sp, ext.find('/')))).value_or(0));
  }
  // NOTE: the second SSRC of an FID (RTX) or FEC-FR group is not a media source.
  std::vector<uint32_t> secondary;
  for (auto g : sdpAttributes(m.attributes, "ssrc-group")) {
    const auto f = sdpSplit(g, ' ');
    if (f.size() > 2 && (f[0] == "FID" || f[0] == "FEC-FR"))
      for (size_t i = 2; i < f.size(); ++i) secondary.push_back(sdpU32(f[i]).value_or(0));
  }
  for (auto s : sdpAttributes(m.attributes, "ssrc")) {
    const uint32_t ssrc = sdpU32(s.substr(0, s.find(' '))).value_or(0);
    if (std::find(secondary.begin(), secondary.end(), ssrc) != secondary.end()) continue;
    if (std::find(out.remoteSsrcs.begin(), out.remoteSsrcs.end(), ssrc) == out.remoteSsrcs.end())
      out.remoteSsrcs.push_back(ssrc);
  }
}

SdpPick sdpPickVideo(const SdpMedia& m, const LocalEndpoint& local) {
  const auto codecs = sdpCodecsOf(m);
  const SdpCodec* best = nullptr;
  int bestRank = 0;
  for (const SdpCodec& c : codecs) {
    if (!sdpIEquals(c.name, "H264") || c.clockRate != 90000) continue;
    if (sdpFmtpParam(c.fmtp, "packetization-mode") != std::optional<std::string_view>("1"))
      continue;  // NOTE: mode 0 (single NAL) cannot carry our FU-A/STAP-A packets
    const auto rank = sdpH264Rank(c.fmtp, local);
    if (rank && (!best || *rank < bestRank)) best = &c, bestRank = *rank;
  }
  if (!best)
    return {std::nullopt, "no H.264 with packetization-mode=1 in the offer (offered: " +
                              sdpOfferedList(codecs) + ")"};
  NegotiatedMedia v;
  v.video = true;
  v.codec = "H264";
  v.channels = 1;
  v.fmtp = best->fmtp;
  sdpFillCommon(m, *best, v);
  for (const auto& fb : best->feedback) {
    v.nack = v.nack || fb == "nack";
    v.pli = v.pli || fb == "nack pli";
    v.fir = v.fir || fb == "ccm fir";
    v.remb = v.remb || (fb == "goog-remb" && local.role == SdpRole::Ingest);
  }
  return {std::move(v), {}};
}

// WHEP answers carry stereo=1;sprop-stereo=1 (Chrome plays mono otherwise), keeping the
// offer's other parameters (minptime, useinbandfec) in their order.
std::string sdpOpusFmtp(std::string_view offered, SdpRole role) {
  if (role == SdpRole::Ingest) return std::string(offered);
  std::string out;
  for (std::string_view p : sdpSplit(offered, ';')) {
    const std::string_view key = sdpTrim(p.substr(0, p.find('=')));
    if (sdpIEquals(key, "stereo") || sdpIEquals(key, "sprop-stereo")) continue;
    out += std::string(p) + ";";
  }
  return out + "stereo=1;sprop-stereo=1";
}

SdpPick sdpPickAudio(const SdpMedia& m, const LocalEndpoint& local) {
  const auto codecs = sdpCodecsOf(m);
  for (const SdpCodec& c : codecs) {
    if (!sdpIEquals(c.name, "opus") || c.clockRate != 48000 || c.channels != 2) continue;
    NegotiatedMedia a;
    a.codec = "opus";
    a.channels = 2;
    a.fmtp = sdpOpusFmtp(c.fmtp, local.role);
    sdpFillCommon(m, c, a);
    return {std::move(a), {}};
  }
  return {std::nullopt, "no opus/48000/2 in the offer (offered: " + sdpOfferedList(codecs) + ")"};
}

// The direction the offer asks of us, or a reason it does not fit the role.
std::string sdpAnswerDirection(const SdpMedia& m, SdpRole role, std::string& reason) {
  std::string_view dir = "sendrecv";
  for (std::string_view d : {"sendonly", "recvonly", "inactive", "sendrecv"})
    if (m.has(d)) dir = d;
  if (role == SdpRole::Ingest) {
    if (dir == "sendonly" || dir == "sendrecv") return "recvonly";
    reason = "the offer is " + std::string(dir) + ", WHIP needs sendonly or sendrecv";
  } else {
    if (dir == "recvonly" || dir == "sendrecv") return "sendonly";
    reason = "the offer is " + std::string(dir) + ", WHEP needs recvonly or sendrecv";
  }
  return {};
}

// What we do with one offered m= line.
struct SdpSectionPlan {
  std::string reason;  // refused when not empty
  std::optional<NegotiatedMedia> rtp;
  std::optional<Negotiated::Data> data;
  std::string direction;  // of the answer, RTP only
};

SdpSectionPlan sdpPlanData(const SdpMedia& m, const LocalEndpoint& local) {
  SdpSectionPlan p;
  if (!local.acceptData) {
    p.reason = "no data channel on this endpoint";
  } else if (m.proto != kSdpDataProto || std::find(m.formats.begin(), m.formats.end(),
                                                   "webrtc-datachannel") == m.formats.end()) {
    p.reason = "data channel needs UDP/DTLS/SCTP webrtc-datachannel (offered: " + m.proto + ")";
  } else {
    Negotiated::Data d;
    d.mid = m.mid();
    d.sctpPort =
        static_cast<uint16_t>(sdpU32(m.attribute("sctp-port").value_or("5000")).value_or(5000));
    uint32_t theirs = kSdpDefaultMaxMessageSize;
    if (auto v = m.attribute("max-message-size")) theirs = sdpU32(*v).value_or(theirs);
    // RFC 8841 §6: 0 means the peer takes messages of any size.
    d.maxMessageSize =
        theirs == 0 ? kSdpLocalMaxMessageSize : std::min(theirs, kSdpLocalMaxMessageSize);
    p.data = std::move(d);
  }
  return p;
}

SdpSectionPlan sdpPlanRtp(const SdpMedia& m, const LocalEndpoint& local, bool haveOne) {
  SdpSectionPlan p;
  const bool video = m.kind == "video";
  if (!(video ? local.acceptVideo : local.acceptAudio)) {
    p.reason = std::string(video ? "video" : "audio") + " is not available on this endpoint";
  } else if (haveOne) {
    p.reason = "only one " + m.kind + " m= line is accepted";
  } else if (!sdpIEquals(m.proto, kSdpRtpProto)) {
    p.reason = "protocol " + m.proto + " (UDP/TLS/RTP/SAVPF needed)";
  } else if (!m.has("rtcp-mux")) {
    p.reason = "no a=rtcp-mux (RTP and RTCP must share the port)";
  } else if (p.direction = sdpAnswerDirection(m, local.role, p.reason); p.direction.empty()) {
    // reason set
  } else {
    SdpPick pick = video ? sdpPickVideo(m, local) : sdpPickAudio(m, local);
    p.rtp = std::move(pick.media);
    p.reason = std::move(pick.reason);
  }
  return p;
}

struct SdpTransport {
  std::string ufrag, pwd, fingerprint, setup;
};

// ICE credentials, the sha-256 fingerprint and the DTLS setup of the BUNDLE transport
// (the offerer-tagged m= line, media level first, then session level).
bool sdpOfferTransport(const SdpSession& offer, const SdpMedia& tagged, SdpTransport& t,
                       int& status, std::string& error) {
  auto find = [&](std::string_view name) {
    auto v = tagged.attribute(name);
    return std::string(v ? *v : offer.attribute(name).value_or(""));
  };
  t.ufrag = find("ice-ufrag");
  t.pwd = find("ice-pwd");
  t.setup = find("setup");
  if (t.ufrag.empty() || t.pwd.empty()) {
    status = 422;
    error = "no ICE credentials (a=ice-ufrag and a=ice-pwd) in the offer";
    return false;
  }
  auto fps = sdpAttributes(tagged.attributes, "fingerprint");
  if (fps.empty()) fps = sdpAttributes(offer.attributes, "fingerprint");
  std::string offered;
  for (std::string_view fp : fps) {
    const size_t sp = fp.find(' ');
    const std::string_view alg = fp.substr(0, sp), hex = fp.substr(sp + 1);
    offered += (offered.empty() ? "" : ", ") + std::string(alg);
    if (!sdpIEquals(alg, "sha-256")) continue;
    if (hex.size() != kSdpSha256Chars) {
      status = 400;
      error =
          "a=fingerprint:sha-256 has " + std::to_string((hex.size() + 1) / 3) + " bytes, not 32";
      return false;
    }
    t.fingerprint = std::string(hex);
    for (char& c : t.fingerprint) c = static_cast<char>(c >= 'a' && c <= 'f' ? c - 32 : c);
    break;
  }
  if (t.fingerprint.empty()) {
    status = 422;
    error = "no sha-256 a=fingerprint in the offer (offered: " +
            (offered.empty() ? std::string("none") : offered) + ")";
    return false;
  }
  if (t.setup == "holdconn") {
    status = 422;
    error = "a=setup:holdconn: the offer holds the DTLS connection";
    return false;
  }
  return true;
}

// RFC 8830 msid-id: 1-64 token characters.
std::string sdpMsidToken(std::string_view s) {
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    const bool token = u > 0x20 && u < 0x7F && c != '"' && c != '(' && c != ')' && c != ',' &&
                       c != '/' && c != ':' && c != ';' && c != '<' && c != '=' && c != '>' &&
                       c != '?' && c != '@' && c != '[' && c != '\\' && c != ']' && c != '{' &&
                       c != '}';
    out += token ? c : '-';
    if (out.size() == 64) break;
  }
  return out.empty() ? "roomcast" : out;
}

void sdpAddTransport(SdpMedia& a, const LocalEndpoint& local, std::string_view setup) {
  a.attributes.emplace_back("ice-ufrag", local.iceUfrag);
  a.attributes.emplace_back("ice-pwd", local.icePwd);
  a.attributes.emplace_back("fingerprint", "sha-256 " + local.fingerprintSha256);
  a.attributes.emplace_back("setup", std::string(setup));
}

void sdpAddCandidates(SdpMedia& a, const LocalEndpoint& local) {
  for (size_t i = 0; i < local.candidates.size(); ++i) {
    // RFC 8445 §5.1.2.1: (2^24)*type preference (126: host) + (2^8)*local preference
    // + (256 - component 1); the local preference falls with the list order.
    const uint32_t localPref = 65535 - static_cast<uint32_t>(std::min<size_t>(i, 65535));
    const uint32_t priority = (126u << 24) + (localPref << 8) + 255;
    const auto& c = local.candidates[i];
    a.attributes.emplace_back("candidate", std::to_string(i + 1) + " 1 udp " +
                                               std::to_string(priority) + " " + c.ip + " " +
                                               std::to_string(c.port) + " typ host");
  }
  a.attributes.emplace_back("end-of-candidates", "");
}

void sdpAddRtp(SdpMedia& a, const SdpMedia& offered, const NegotiatedMedia& n,
               const LocalEndpoint& local) {
  for (const auto& [uri, id] : n.extensions)
    a.attributes.emplace_back("extmap", std::to_string(id) + " " + uri);
  const std::string pt = std::to_string(n.pt) + " ";
  for (auto map : sdpAttributes(offered.attributes, "rtpmap"))  // the offer's spelling
    if (map.substr(0, pt.size()) == pt) {
      a.attributes.emplace_back("rtpmap", std::string(map));
      break;
    }
  if (n.nack) a.attributes.emplace_back("rtcp-fb", pt + "nack");
  if (n.pli) a.attributes.emplace_back("rtcp-fb", pt + "nack pli");
  if (n.fir) a.attributes.emplace_back("rtcp-fb", pt + "ccm fir");
  if (n.remb) a.attributes.emplace_back("rtcp-fb", pt + "goog-remb");
  if (!n.fmtp.empty()) a.attributes.emplace_back("fmtp", pt + n.fmtp);
  const uint32_t ssrc = n.video ? local.videoSsrc : local.audioSsrc;
  if (local.role == SdpRole::Egress) {
    const std::string stream = sdpMsidToken(local.streamId);
    const std::string msid = stream + " " + stream + (n.video ? "-video" : "-audio");
    a.attributes.emplace_back("msid", msid);
    if (ssrc != 0) {
      const std::string cname = sdpMsidToken(local.cname.empty() ? local.streamId : local.cname);
      a.attributes.emplace_back("ssrc", std::to_string(ssrc) + " cname:" + cname);
      a.attributes.emplace_back("ssrc", std::to_string(ssrc) + " msid:" + msid);
    }
  }
}

SdpMedia sdpAnswerSection(const SdpMedia& m, const SdpSectionPlan& p, const LocalEndpoint& local,
                          std::string_view setup) {
  SdpMedia a;
  a.kind = m.kind;
  a.proto = m.proto;
  const std::string mid = m.mid();
  if (!p.reason.empty()) {  // refused: port 0, the offer's first format (RFC 3264 §6)
    a.formats = {m.formats.empty() ? std::string("0") : m.formats.front()};
    a.connection = "IN IP4 0.0.0.0";
    if (!mid.empty()) a.attributes.emplace_back("mid", mid);
    return a;
  }
  // NOTE: JSEP (RFC 9429 §5.3.1) puts the default candidate's address in m= and c=;
  // every accepted section gets it, bundle-only ones included (browsers reject an
  // answer that keeps port 0 or a=bundle-only, which is an offer-only attribute).
  if (local.candidates.empty()) {
    a.port = 9;
    a.connection = "IN IP4 0.0.0.0";
  } else {
    const auto& c = local.candidates.front();
    a.port = c.port;
    a.connection = (c.ip.find(':') != std::string::npos ? "IN IP6 " : "IN IP4 ") + c.ip;
  }
  a.formats = {p.rtp ? std::to_string(p.rtp->pt) : std::string("webrtc-datachannel")};
  if (!mid.empty()) a.attributes.emplace_back("mid", mid);
  sdpAddTransport(a, local, setup);
  if (p.rtp) {
    a.attributes.emplace_back(p.direction, "");
    // RFC 8858 §4.2: the answer has rtcp-mux, never rtcp-mux-only.
    a.attributes.emplace_back("rtcp-mux", "");
    if (p.rtp->rtcpRsize) a.attributes.emplace_back("rtcp-rsize", "");
    sdpAddRtp(a, m, *p.rtp, local);
  } else {
    a.attributes.emplace_back("sctp-port", std::to_string(p.data->localSctpPort));
    a.attributes.emplace_back("max-message-size", std::to_string(p.data->maxMessageSize));
  }
  sdpAddCandidates(a, local);
  return a;
}

// A stable o= session id for this session's credentials (FNV-1a, 62 bits).
std::string sdpSessionId(const LocalEndpoint& local) {
  uint64_t h = 1469598103934665603ull;
  for (char c : local.iceUfrag + ":" + local.icePwd)
    h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  return std::to_string(h & 0x3FFFFFFFFFFFFFFFull);
}

std::vector<std::string> sdpBundleMids(const SdpSession& offer) {
  for (auto g : sdpAttributes(offer.attributes, "group")) {
    const auto f = sdpSplit(g, ' ');
    if (!f.empty() && f[0] == "BUNDLE") return {f.begin() + 1, f.end()};
  }
  return {};
}

// Decides every offered m= line (accepted when its plan has no reason).
std::vector<SdpSectionPlan> sdpPlanSections(const SdpSession& offer, const LocalEndpoint& local,
                                            const std::vector<std::string>& bundle,
                                            std::vector<std::string>& refused) {
  std::vector<SdpSectionPlan> plans;
  bool haveVideo = false, haveAudio = false, haveData = false;
  for (const SdpMedia& m : offer.media) {
    SdpSectionPlan p;
    const std::string mid = m.mid();
    if (!bundle.empty() && std::find(bundle.begin(), bundle.end(), mid) == bundle.end())
      p.reason = "not in the offer's BUNDLE group";
    else if (m.port == 0 && !m.has("bundle-only"))
      p.reason = "disabled by the offer (port 0)";
    else if (m.kind == "video" || m.kind == "audio")
      p = sdpPlanRtp(m, local, m.kind == "video" ? haveVideo : haveAudio);
    else if (m.kind == "application" && haveData)
      p.reason = "only one application m= line is accepted";
    else if (m.kind == "application")
      p = sdpPlanData(m, local);
    else
      p.reason = "media '" + m.kind + "' is not supported";
    if (p.rtp) (p.rtp->video ? haveVideo : haveAudio) = true;
    if (p.data) haveData = true;
    if (!p.reason.empty())
      refused.push_back(m.kind + (mid.empty() ? "" : " (mid " + mid + ")") + ": " + p.reason);
    plans.push_back(std::move(p));
  }
  return plans;
}

std::string sdpJoin(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : std::string(sep)) + p;
  return out;
}

}  // namespace

std::optional<H264Profile> h264ProfileOf(std::string_view id) {
  if (id.size() != 6) return std::nullopt;
  unsigned v = 0;
  auto [end, ec] = std::from_chars(id.data(), id.data() + 6, v, 16);
  if (ec != std::errc() || end != id.data() + 6) return std::nullopt;
  const unsigned idc = v >> 16, iop = (v >> 8) & 0xFF;
  // RFC 6184 §8.1 table 5 (constraint_set0..5 flags are iop bits 0x80..0x04).
  switch (idc) {
    case 0x42:
      return (iop & 0x40) ? H264Profile::ConstrainedBaseline : H264Profile::Baseline;
    case 0x4D:
      return (iop & 0x80) ? H264Profile::ConstrainedBaseline : H264Profile::Main;
    case 0x58:
      if ((iop & 0xC0) == 0xC0) return H264Profile::ConstrainedBaseline;
      return (iop & 0x80) ? H264Profile::Baseline : H264Profile::Extended;
    case 0x64:
      if ((iop & 0x0C) == 0x0C) return H264Profile::ConstrainedHigh;
      return (iop & 0x08) ? H264Profile::ProgressiveHigh : H264Profile::High;
    default:
      return H264Profile::Other;
  }
}

std::string_view h264ProfileName(H264Profile p) {
  switch (p) {
    case H264Profile::ConstrainedBaseline:
      return "constrained baseline";
    case H264Profile::Baseline:
      return "baseline";
    case H264Profile::Main:
      return "main";
    case H264Profile::Extended:
      return "extended";
    case H264Profile::High:
      return "high";
    case H264Profile::ProgressiveHigh:
      return "progressive high";
    case H264Profile::ConstrainedHigh:
      return "constrained high";
    default:
      return "other";
  }
}

}  // namespace webrtc

namespace webrtc {

std::optional<Negotiated> negotiateAnswer(const SdpSession& offer, const LocalEndpoint& local,
                                          int& status, std::string& error) {
  status = 0;
  error.clear();
  if (local.iceUfrag.empty() || local.icePwd.empty() || local.fingerprintSha256.empty()) {
    status = 500;
    error = "the local endpoint has no ICE credentials or fingerprint";
    return std::nullopt;
  }
  if (offer.media.empty()) {
    status = 422;
    error = "the offer has no m= line";
    return std::nullopt;
  }
  const std::vector<std::string> bundle = sdpBundleMids(offer);
  Negotiated out;
  const auto plans = sdpPlanSections(offer, local, bundle, out.refused);
  std::vector<std::string> acceptedMids;
  const SdpMedia* tagged = nullptr;  // whose transport we answer: the offerer-tagged m= line
  for (size_t i = 0; i < plans.size(); ++i) {
    if (!plans[i].reason.empty()) continue;
    acceptedMids.push_back(offer.media[i].mid());
    if (!tagged) tagged = &offer.media[i];
  }
  for (const SdpMedia& m : offer.media)
    if (!bundle.empty() && m.mid() == bundle.front()) tagged = &m;
  if (acceptedMids.empty()) {
    status = 422;
    error = sdpJoin(out.refused, "; ");
    return std::nullopt;
  }
  if (bundle.empty() && acceptedMids.size() > 1) {
    status = 422;
    error = "the offer has " + std::to_string(acceptedMids.size()) +
            " usable m= lines and no a=group:BUNDLE (WHIP and WHEP need bundle-policy max-bundle)";
    return std::nullopt;
  }
  SdpTransport transport;
  if (!sdpOfferTransport(offer, *tagged, transport, status, error)) return std::nullopt;
  // RFC 8842 §5.3: actpass or active (or no a=setup) -> passive; passive -> active.
  out.localDtlsClient = transport.setup == "passive";
  const std::string_view setup = out.localDtlsClient ? "active" : "passive";

  SdpSession answer;
  answer.origin = "- " + sdpSessionId(local) + " 2 IN IP4 127.0.0.1";
  if (!bundle.empty()) {
    std::string group = "BUNDLE";
    for (const auto& mid : bundle)
      if (std::find(acceptedMids.begin(), acceptedMids.end(), mid) != acceptedMids.end())
        group += " " + mid;
    answer.attributes.emplace_back("group", group);
  }
  answer.attributes.emplace_back("ice-lite", "");
  answer.attributes.emplace_back("fingerprint", "sha-256 " + local.fingerprintSha256);
  for (size_t i = 0; i < plans.size(); ++i) {
    answer.media.push_back(sdpAnswerSection(offer.media[i], plans[i], local, setup));
    if (plans[i].rtp) (plans[i].rtp->video ? out.video : out.audio) = plans[i].rtp;
    if (plans[i].data) out.data = plans[i].data;
  }
  out.answer = answer.serialize();
  out.remoteUfrag = transport.ufrag;
  out.remotePwd = transport.pwd;
  out.remoteFingerprintAlg = "sha-256";
  out.remoteFingerprint = transport.fingerprint;
  return out;
}

std::optional<Negotiated> negotiateAnswer(std::string_view offerText, const LocalEndpoint& local,
                                          int& status, std::string& error) {
  std::string parseError;
  auto offer = SdpSession::parse(offerText, parseError);
  if (!offer) {
    status = 400;
    error = "malformed SDP offer: " + parseError;
    return std::nullopt;
  }
  return negotiateAnswer(*offer, local, status, error);
}

}  // namespace webrtc
