// negotiateAnswer: a WHIP/WHEP offer (JSEP, RFC 9429) -> our ICE-lite answer and what
// was agreed (codec payload types, DTLS role, the peer's ICE and DTLS identity).
// Pure functions, no I/O; called by the WHIP/WHEP routes on the loop thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/webrtc/sdp_session.hpp"

namespace webrtc {

enum class SdpRole { Ingest /*WHIP: we receive*/, Egress /*WHEP: we send*/ };

inline constexpr uint32_t kSdpLocalMaxMessageSize = 262144;
inline constexpr uint16_t kSdpLocalSctpPort = 5000;

struct LocalEndpoint {
  SdpRole role = SdpRole::Ingest;
  std::string iceUfrag, icePwd;
  std::string fingerprintSha256;  // "AB:CD:.."
  struct Candidate {
    std::string ip;  // IPv4 or IPv6 text; the list order is the preference order
    uint16_t port = 0;
  };
  std::vector<Candidate> candidates;
  uint32_t videoSsrc = 0, audioSsrc = 0;  // Egress: a=ssrc/msid (0: no a=ssrc lines)
  std::string cname, streamId;            // Egress: a=ssrc cname, a=msid stream id
  bool acceptData = true;                 // m=application
  // Added to the plan's interface:
  bool acceptVideo = true, acceptAudio = true;  // e.g. WHEP of a stream without Opus
  // Egress: the source's profile-level-id ("64001f"); payload types of the same
  // H.264 profile come first. Empty: constrained baseline > baseline > main > high.
  std::string h264ProfileLevelId;
};

struct NegotiatedMedia {
  std::string mid;
  bool video = false;
  int pt = -1;
  std::string codec;  // "H264" | "opus"
  uint32_t clockRate = 0;
  int channels = 1;
  std::string fmtp;  // as written in the answer
  bool nack = false, pli = false, fir = false, rtcpRsize = false;
  // Ingest video whose offer has "goog-remb": we send REMB (the publisher's bit rate).
  bool remb = false;
  std::optional<int> rtxPt;               // only if we implement RTX (not this session)
  std::map<std::string, int> extensions;  // uri -> id we echoed (e.g. sdes:mid)
  std::vector<uint32_t> remoteSsrcs;      // a=ssrc of the offer, RTX/FEC SSRCs left out
};

struct Negotiated {
  std::string answer;  // the SDP text, CRLF lines
  std::optional<NegotiatedMedia> video, audio;
  struct Data {
    std::string mid;
    uint16_t sctpPort = kSdpLocalSctpPort;              // the peer's a=sctp-port (5000 if absent)
    uint32_t maxMessageSize = kSdpLocalMaxMessageSize;  // min(ours, theirs)
    uint16_t localSctpPort = kSdpLocalSctpPort;         // added: ours, in the answer
  };
  std::optional<Data> data;
  std::string remoteUfrag, remotePwd;
  std::string remoteFingerprintAlg;  // "sha-256"
  std::string remoteFingerprint;     // upper-case hex with colons
  bool localDtlsClient = false;      // actpass/active offer -> false (we are passive)
  std::vector<std::string> refused;  // added: "video (mid 3): reason" per m= line at port 0
};

// status 400 (malformed offer), 422 (no usable codec / no ICE / no fingerprint); on
// failure `error` is a sentence fit for a JSON {"error": ...} body.
std::optional<Negotiated> negotiateAnswer(const SdpSession& offer, const LocalEndpoint& local,
                                          int& status, std::string& error);
// Added: the offer as text (parsed with SdpSession::parse: 400 "malformed SDP: line N: ...").
std::optional<Negotiated> negotiateAnswer(std::string_view offerText, const LocalEndpoint& local,
                                          int& status, std::string& error);

// H.264 profiles as RFC 6184 §8.1 (table 5) names them from profile_idc and profile-iop.
enum class H264Profile {
  ConstrainedBaseline,
  Baseline,
  Main,
  Extended,
  High,
  ProgressiveHigh,
  ConstrainedHigh,
  Other,  // High 10, 4:2:2, 4:4:4 ... (not negotiated)
};
// "42e01f" -> ConstrainedBaseline; nullopt unless six hex digits.
std::optional<H264Profile> h264ProfileOf(std::string_view profileLevelId);
std::string_view h264ProfileName(H264Profile);

}  // namespace webrtc
