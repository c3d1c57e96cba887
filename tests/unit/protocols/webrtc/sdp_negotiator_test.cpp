#include "protocols/webrtc/sdp_negotiator.hpp"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <random>
#include <sstream>

using namespace webrtc;

namespace {

const char* const kFingerprint =
    "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:"
    "99";

std::string readOffer(const std::string& name) {
  std::ifstream in(std::string(ROOMCAST_SOURCE_DIR) + "tests/unit/protocols/webrtc/sdp/" + name,
                   std::ios::binary);
  BOOST_REQUIRE_MESSAGE(in, "cannot open " << name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

LocalEndpoint local(SdpRole role) {
  LocalEndpoint l;
  l.role = role;
  l.iceUfrag = "rcUf";
  l.icePwd = "roomcastIcePasswordOf24c";
  l.fingerprintSha256 = kFingerprint;
  l.candidates = {{"192.0.2.10", 40000}, {"2001:db8::10", 40000}};
  l.videoSsrc = 0x11223344;
  l.audioSsrc = 0x55667788;
  l.cname = "rc-cname";
  l.streamId = "live/cam";
  return l;
}

SdpSession parse(const std::string& text) {
  std::string error;
  auto s = SdpSession::parse(text, error);
  BOOST_REQUIRE_MESSAGE(s, error << "\n" << text);
  return *s;
}

Negotiated negotiate(const std::string& offer, const LocalEndpoint& l) {
  int status = 0;
  std::string error;
  auto n = negotiateAnswer(offer, l, status, error);
  BOOST_REQUIRE_MESSAGE(n, status << " " << error);
  BOOST_CHECK_EQUAL(status, 0);
  return *n;
}

std::pair<int, std::string> failure(const std::string& offer, const LocalEndpoint& l) {
  int status = 0;
  std::string error;
  auto n = negotiateAnswer(offer, l, status, error);
  BOOST_CHECK_MESSAGE(!n, "negotiated: " << (n ? n->answer : ""));
  return {status, error};
}

std::vector<std::string> values(const SdpAttributes& attrs, std::string_view name) {
  std::vector<std::string> out;
  for (auto v : sdpAttributes(attrs, name)) out.emplace_back(v);
  return out;
}

// The fmtp the offer gives payload type `pt`.
std::string offeredFmtp(const SdpMedia& m, int pt) {
  for (auto v : sdpAttributes(m.attributes, "fmtp"))
    if (v.substr(0, v.find(' ')) == std::to_string(pt))
      return std::string(v.substr(v.find(' ') + 1));
  return {};
}

// The first PT of `m` whose rtpmap starts with `encoding` and whose fmtp holds all of `params`.
int findPt(const SdpMedia& m, std::string_view encoding, std::vector<std::string> params) {
  for (auto v : sdpAttributes(m.attributes, "rtpmap")) {
    const int pt = std::stoi(std::string(v.substr(0, v.find(' '))));
    if (v.substr(v.find(' ') + 1, encoding.size()) != encoding) continue;
    const std::string fmtp = offeredFmtp(m, pt);
    if (std::all_of(params.begin(), params.end(),
                    [&](const std::string& p) { return fmtp.find(p) != std::string::npos; }))
      return pt;
  }
  return -1;
}

// Checks shared by every accepted answer section.
void checkTransport(const SdpMedia& a, const std::string& setup) {
  BOOST_CHECK_EQUAL(a.port, 40000);
  BOOST_CHECK_EQUAL(a.connection, "IN IP4 192.0.2.10");
  BOOST_CHECK(values(a.attributes, "ice-ufrag") == std::vector<std::string>{"rcUf"});
  BOOST_CHECK(values(a.attributes, "ice-pwd") ==
              std::vector<std::string>{"roomcastIcePasswordOf24c"});
  BOOST_CHECK_EQUAL(a.attribute("fingerprint").value_or(""),
                    "sha-256 " + std::string(kFingerprint));
  BOOST_CHECK_EQUAL(a.attribute("setup").value_or(""), setup);
  const auto cands = values(a.attributes, "candidate");
  BOOST_REQUIRE_EQUAL(cands.size(), 2u);
  // RFC 8445 §5.1.2.1: 126 << 24 | 65535 << 8 | 255, then local preference 65534.
  BOOST_CHECK_EQUAL(cands[0], "1 1 udp 2130706431 192.0.2.10 40000 typ host");
  BOOST_CHECK_EQUAL(cands[1], "2 1 udp 2130706175 2001:db8::10 40000 typ host");
  BOOST_CHECK(a.has("end-of-candidates"));
  BOOST_CHECK(!a.has("bundle-only"));
}

void checkRtpSection(const SdpMedia& o, const SdpMedia& a, int pt, const std::string& direction) {
  BOOST_CHECK(a.formats == std::vector<std::string>{std::to_string(pt)});
  BOOST_CHECK(a.has(direction));
  BOOST_CHECK(a.has("rtcp-mux"));
  BOOST_CHECK(!a.has("rtcp-mux-only"));  // RFC 8858 §4.2: never in an answer
  BOOST_CHECK_EQUAL(a.has("rtcp-rsize"), o.has("rtcp-rsize"));
  BOOST_CHECK_EQUAL(values(a.attributes, "rtpmap").size(), 1u);  // one PT, no RTX apt
  BOOST_CHECK(values(a.attributes, "fmtp").size() <= 1u);
  // Only the sdes:mid extension, with the offer's id.
  std::string midExt;
  for (auto e : sdpAttributes(o.attributes, "extmap"))
    if (e.find("urn:ietf:params:rtp-hdrext:sdes:mid") != std::string_view::npos)
      midExt = std::string(e.substr(0, e.find(' '))) + " urn:ietf:params:rtp-hdrext:sdes:mid";
  const auto ext = values(a.attributes, "extmap");
  BOOST_CHECK(ext ==
              (midExt.empty() ? std::vector<std::string>{} : std::vector<std::string>{midExt}));
  // goog-remb only where we receive (WHIP: we send the REMB) and only for video.
  const bool remb = direction == "recvonly" && o.kind == "video";
  for (const auto& fb : values(a.attributes, "rtcp-fb")) {
    BOOST_CHECK(fb == std::to_string(pt) + " nack" || fb == std::to_string(pt) + " nack pli" ||
                fb == std::to_string(pt) + " ccm fir" ||
                (remb && fb == std::to_string(pt) + " goog-remb"));
  }
}

// Same m= lines, same order, same mids; the BUNDLE group lists the accepted ones.
void checkShape(const SdpSession& offer, const SdpSession& answer, const std::string& bundle) {
  BOOST_REQUIRE_EQUAL(offer.media.size(), answer.media.size());
  for (size_t i = 0; i < offer.media.size(); ++i) {
    BOOST_CHECK_EQUAL(answer.media[i].kind, offer.media[i].kind);
    BOOST_CHECK_EQUAL(answer.media[i].mid(), offer.media[i].mid());
  }
  BOOST_CHECK_EQUAL(answer.attribute("group").value_or(""), bundle);
  BOOST_CHECK(answer.has("ice-lite"));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(real_offers)

BOOST_AUTO_TEST_CASE(chromium_whip_sendonly) {
  const std::string text = readOffer("chromium_whip_offer.sdp");
  const SdpSession offer = parse(text);
  const Negotiated n = negotiate(text, local(SdpRole::Ingest));
  const SdpSession answer = parse(n.answer);
  checkShape(offer, answer, "BUNDLE 0 1");
  BOOST_REQUIRE(n.video && n.audio);
  BOOST_CHECK(!n.data);
  const SdpMedia& ov = offer.media[1].kind == "video" ? offer.media[1] : offer.media[0];
  const SdpMedia& av = offer.media[1].kind == "video" ? answer.media[1] : answer.media[0];
  // Chromium offers 42001f (baseline) before 42e01f (constrained baseline): CB wins.
  const int pt = findPt(ov, "H264/90000", {"packetization-mode=1", "profile-level-id=42e01f"});
  BOOST_REQUIRE_NE(pt, -1);
  BOOST_CHECK_EQUAL(n.video->pt, pt);
  BOOST_CHECK_EQUAL(n.video->codec, "H264");
  BOOST_CHECK_EQUAL(n.video->clockRate, 90000u);
  BOOST_CHECK_EQUAL(n.video->fmtp, offeredFmtp(ov, pt));
  BOOST_CHECK_EQUAL(av.attribute("fmtp").value_or(""),
                    std::to_string(pt) + " " + offeredFmtp(ov, pt));
  BOOST_CHECK(n.video->nack && n.video->pli && n.video->fir);
  BOOST_CHECK(!n.video->rtxPt);
  checkTransport(av, "passive");
  checkRtpSection(ov, av, pt, "recvonly");
  BOOST_CHECK(!av.has("msid") && !av.has("ssrc"));
  // The media SSRC only: the RTX SSRC of the FID group is left out.
  const auto fid = values(ov.attributes, "ssrc-group");
  BOOST_REQUIRE_EQUAL(fid.size(), 1u);
  BOOST_REQUIRE_EQUAL(n.video->remoteSsrcs.size(), 1u);
  BOOST_CHECK_EQUAL(fid[0].substr(4, fid[0].rfind(' ') - 4),
                    std::to_string(n.video->remoteSsrcs[0]));
  BOOST_CHECK(n.video->extensions.count("urn:ietf:params:rtp-hdrext:sdes:mid"));
  // Audio: Opus, the offer's fmtp copied as is (we receive).
  const SdpMedia& oa = offer.media[0].kind == "audio" ? offer.media[0] : offer.media[1];
  const SdpMedia& aa = offer.media[0].kind == "audio" ? answer.media[0] : answer.media[1];
  const int opus = findPt(oa, "opus/48000/2", {});
  BOOST_CHECK_EQUAL(n.audio->pt, opus);
  BOOST_CHECK_EQUAL(n.audio->fmtp, offeredFmtp(oa, opus));
  BOOST_CHECK_EQUAL(n.audio->channels, 2);
  checkTransport(aa, "passive");
  checkRtpSection(oa, aa, opus, "recvonly");
  BOOST_CHECK(values(aa.attributes, "rtcp-fb").empty());
  // The peer's transport.
  BOOST_CHECK_EQUAL(n.remoteUfrag, std::string(offer.media[0].attribute("ice-ufrag").value_or("")));
  BOOST_CHECK_EQUAL(n.remotePwd, std::string(offer.media[0].attribute("ice-pwd").value_or("")));
  BOOST_CHECK_EQUAL(n.remoteFingerprintAlg, "sha-256");
  BOOST_CHECK_EQUAL(n.remoteFingerprint.size(), 95u);
  BOOST_CHECK(!n.localDtlsClient);
  BOOST_CHECK(n.refused.empty());
}

BOOST_AUTO_TEST_CASE(chromium_whep_recvonly_with_data_channel) {
  const std::string text = readOffer("chromium_whep_offer.sdp");
  const SdpSession offer = parse(text);
  const Negotiated n = negotiate(text, local(SdpRole::Egress));
  BOOST_TEST_MESSAGE("WHEP answer to Chromium:\n" << n.answer);  // --log_level=message
  const SdpSession answer = parse(n.answer);
  checkShape(offer, answer, "BUNDLE 0 1 2");
  BOOST_REQUIRE(n.video && n.audio && n.data);
  const SdpMedia& av = answer.media[0];
  const SdpMedia& aa = answer.media[1];
  checkTransport(av, "passive");
  checkRtpSection(offer.media[0], av, n.video->pt, "sendonly");
  BOOST_CHECK_EQUAL(av.attribute("msid").value_or(""), "live-cam live-cam-video");
  BOOST_CHECK(values(av.attributes, "ssrc") ==
              (std::vector<std::string>{"287454020 cname:rc-cname",
                                        "287454020 msid:live-cam live-cam-video"}));
  checkRtpSection(offer.media[1], aa, n.audio->pt, "sendonly");
  BOOST_CHECK(values(aa.attributes, "ssrc") ==
              (std::vector<std::string>{"1432778632 cname:rc-cname",
                                        "1432778632 msid:live-cam live-cam-audio"}));
  // Opus stereo for Chrome, merged with the offer's parameters.
  const std::string offered = offeredFmtp(offer.media[1], n.audio->pt);
  BOOST_CHECK_EQUAL(offered, "minptime=10;useinbandfec=1");
  BOOST_CHECK_EQUAL(n.audio->fmtp, "minptime=10;useinbandfec=1;stereo=1;sprop-stereo=1");
  BOOST_CHECK_EQUAL(
      aa.attribute("fmtp").value_or(""),
      std::to_string(n.audio->pt) + " minptime=10;useinbandfec=1;stereo=1;sprop-stereo=1");
  // The data channel.
  const SdpMedia& ad = answer.media[2];
  BOOST_CHECK_EQUAL(ad.proto, "UDP/DTLS/SCTP");
  BOOST_CHECK(ad.formats == std::vector<std::string>{"webrtc-datachannel"});
  BOOST_CHECK_EQUAL(ad.attribute("sctp-port").value_or(""), "5000");
  BOOST_CHECK_EQUAL(ad.attribute("max-message-size").value_or(""), "262144");
  checkTransport(ad, "passive");
  BOOST_CHECK_EQUAL(n.data->mid, "2");
  BOOST_CHECK_EQUAL(n.data->sctpPort, 5000);
  BOOST_CHECK_EQUAL(n.data->maxMessageSize, 262144u);
}

// WHEP of a stream without Opus (video only this session): audio refused, not a 422.
BOOST_AUTO_TEST_CASE(chromium_whep_without_audio_refuses_only_audio) {
  LocalEndpoint l = local(SdpRole::Egress);
  l.acceptAudio = false;
  const Negotiated n = negotiate(readOffer("chromium_whep_offer.sdp"), l);
  const SdpSession answer = parse(n.answer);
  BOOST_CHECK(n.video && !n.audio && n.data);
  BOOST_CHECK_EQUAL(answer.attribute("group").value_or(""), "BUNDLE 0 2");
  BOOST_CHECK_EQUAL(answer.media[1].port, 0);
  BOOST_CHECK_EQUAL(answer.media[1].mid(), "1");
  BOOST_CHECK(!answer.media[1].has("ssrc"));
  BOOST_CHECK(n.refused ==
              std::vector<std::string>{"audio (mid 1): audio is not available on this endpoint"});
}

BOOST_AUTO_TEST_CASE(gstreamer_sendrecv_with_upper_case_opus) {
  const std::string text = readOffer("gstreamer_whip_offer.sdp");
  const SdpSession offer = parse(text);
  BOOST_CHECK(text.find("OPUS/48000/2") != std::string::npos);
  BOOST_CHECK(offer.media[0].has("sendrecv"));
  const Negotiated n = negotiate(text, local(SdpRole::Ingest));
  BOOST_TEST_MESSAGE("WHIP answer to GStreamer:\n" << n.answer);
  const SdpSession answer = parse(n.answer);
  checkShape(offer, answer, "BUNDLE video0 audio1");
  BOOST_REQUIRE(n.video && n.audio);
  BOOST_CHECK_EQUAL(n.audio->codec, "opus");
  checkRtpSection(offer.media[0], answer.media[0], n.video->pt, "recvonly");
  checkRtpSection(offer.media[1], answer.media[1], n.audio->pt, "recvonly");
  BOOST_CHECK_EQUAL(answer.media[1].attribute("rtpmap").value_or(""),
                    std::to_string(n.audio->pt) + " OPUS/48000/2");
  BOOST_CHECK_EQUAL(n.video->fmtp, offeredFmtp(offer.media[0], n.video->pt));
  BOOST_CHECK(n.video->fmtp.find("packetization-mode=1") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(libdatachannel_like_obs) {
  const std::string text = readOffer("libdatachannel_whip_offer.sdp");
  const SdpSession offer = parse(text);
  const Negotiated n = negotiate(text, local(SdpRole::Ingest));
  const SdpSession answer = parse(n.answer);
  checkShape(offer, answer, "BUNDLE 0 1 2");
  BOOST_REQUIRE(n.video && n.audio && n.data);
  BOOST_CHECK_EQUAL(n.audio->mid, "0");
  BOOST_CHECK_EQUAL(n.audio->pt, 111);
  BOOST_CHECK_EQUAL(n.video->mid, "1");
  BOOST_CHECK_EQUAL(n.video->pt, 96);
  BOOST_CHECK_EQUAL(n.video->fmtp, offeredFmtp(offer.media[1], 96));
  BOOST_CHECK(n.video->remoteSsrcs == std::vector<uint32_t>{2222});
  BOOST_CHECK(n.audio->remoteSsrcs == std::vector<uint32_t>{1111});
  checkRtpSection(offer.media[1], answer.media[1], 96, "recvonly");
  BOOST_CHECK_EQUAL(n.data->mid, "2");
}

// GStreamer (max-bundle) offers its audio bundle-only with port 0 (RFC 9143 §7.2.1):
// "accept it in the bundle", not "disabled".
BOOST_AUTO_TEST_CASE(bundle_only_port_zero_is_accepted) {
  const std::string text = readOffer("gstreamer_whip_offer.sdp");
  const SdpSession offer = parse(text);
  BOOST_REQUIRE_EQUAL(offer.media[1].port, 0);
  BOOST_REQUIRE(offer.media[1].has("bundle-only"));
  const Negotiated n = negotiate(text, local(SdpRole::Ingest));
  const SdpSession answer = parse(n.answer);
  checkShape(offer, answer, "BUNDLE video0 audio1");
  BOOST_REQUIRE(n.video && n.audio);
  BOOST_CHECK_EQUAL(n.audio->mid, "audio1");
  checkTransport(answer.media[1], "passive");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(hand_made_offers)

namespace {

const char* const kHead =
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n";
const char* const kTransport =
    "a=ice-ufrag:peer\r\na=ice-pwd:peerpasswordpeerpassword\r\n"
    "a=fingerprint:sha-256 "
    "01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:"
    "ef\r\na=setup:actpass\r\n";

std::string video(const std::string& formats, const std::string& maps,
                  const std::string& dir = "sendonly") {
  return "m=video 9 UDP/TLS/RTP/SAVPF " + formats + "\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n" +
         kTransport + "a=" + dir + "\r\na=rtcp-mux\r\n" + maps;
}

std::string audio(const std::string& maps = "a=rtpmap:111 opus/48000/2\r\n",
                  const std::string& formats = "111", const std::string& dir = "sendonly") {
  return "m=audio 9 UDP/TLS/RTP/SAVPF " + formats + "\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\n" +
         kTransport + "a=" + dir + "\r\na=rtcp-mux\r\n" + maps;
}

std::string h264(int pt, const std::string& fmtp) {
  return "a=rtpmap:" + std::to_string(pt) + " H264/90000\r\na=rtcp-fb:" + std::to_string(pt) +
         " nack\r\na=rtcp-fb:" + std::to_string(pt) + " goog-remb\r\na=fmtp:" + std::to_string(pt) +
         " " + fmtp + "\r\n";
}

const std::string kProfiles =
    video("100 101 102 103 104 105",
          h264(100, "packetization-mode=0;profile-level-id=42e01f") +
              h264(101, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640c1f") +
              h264(102, "packetization-mode=1;profile-level-id=4d001f") +
              h264(103, "packetization-mode=1;profile-level-id=42001f") +
              h264(104, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f") +
              "a=rtpmap:105 rtx/90000\r\na=fmtp:105 apt=104\r\n");

int pickedPt(const std::string& videoSection, const std::string& profile = "") {
  LocalEndpoint l = local(SdpRole::Ingest);
  l.h264ProfileLevelId = profile;
  std::string head = kHead;
  head.replace(head.find(" 1\r\n"), 4, "\r\n");  // BUNDLE 0
  const Negotiated n = negotiate(head + videoSection, l);
  return n.video ? n.video->pt : -1;
}

}  // namespace

BOOST_AUTO_TEST_CASE(h264_profiles_compare_by_profile_not_string) {
  BOOST_CHECK(h264ProfileOf("42e01f") == H264Profile::ConstrainedBaseline);
  BOOST_CHECK(h264ProfileOf("42c01e") == H264Profile::ConstrainedBaseline);
  BOOST_CHECK(h264ProfileOf("42C01F") == H264Profile::ConstrainedBaseline);
  BOOST_CHECK(h264ProfileOf("4de01f") == H264Profile::ConstrainedBaseline);  // constraint_set0+1
  BOOST_CHECK(h264ProfileOf("58c01f") == H264Profile::ConstrainedBaseline);
  BOOST_CHECK(h264ProfileOf("42001f") == H264Profile::Baseline);
  BOOST_CHECK(h264ProfileOf("42801f") == H264Profile::Baseline);
  BOOST_CHECK(h264ProfileOf("58801f") == H264Profile::Baseline);
  BOOST_CHECK(h264ProfileOf("4d001f") == H264Profile::Main);
  BOOST_CHECK(h264ProfileOf("4d401f") == H264Profile::Main);
  BOOST_CHECK(h264ProfileOf("58001f") == H264Profile::Extended);
  BOOST_CHECK(h264ProfileOf("640028") == H264Profile::High);
  BOOST_CHECK(h264ProfileOf("64081f") == H264Profile::ProgressiveHigh);
  BOOST_CHECK(h264ProfileOf("640c1f") == H264Profile::ConstrainedHigh);
  BOOST_CHECK(h264ProfileOf("f4001f") == H264Profile::Other);
  BOOST_CHECK(!h264ProfileOf("42e01"));
  BOOST_CHECK(!h264ProfileOf("42e01fff"));
  BOOST_CHECK(!h264ProfileOf("42g01f"));
  BOOST_CHECK(!h264ProfileOf("+42e01"));
}

BOOST_AUTO_TEST_CASE(picks_one_mode_1_pt_constrained_baseline_first) {
  BOOST_CHECK_EQUAL(pickedPt(kProfiles), 104);
  // The source's profile first, whatever its level and constraint spelling.
  BOOST_CHECK_EQUAL(pickedPt(kProfiles, "42c01e"), 104);
  BOOST_CHECK_EQUAL(pickedPt(kProfiles, "4d0028"), 102);
  BOOST_CHECK_EQUAL(pickedPt(kProfiles, "640c2a"), 101);
  // Without a constrained baseline PT: baseline, then main, then high.
  BOOST_CHECK_EQUAL(
      pickedPt(video("101 102 103", h264(101, "packetization-mode=1;profile-level-id=640c1f") +
                                        h264(102, "packetization-mode=1;profile-level-id=4d001f") +
                                        h264(103, "packetization-mode=1;profile-level-id=42001f"))),
      103);
  BOOST_CHECK_EQUAL(
      pickedPt(video("101 102", h264(101, "packetization-mode=1;profile-level-id=640c1f") +
                                    h264(102, "packetization-mode=1;profile-level-id=4d001f"))),
      102);
  // No profile-level-id: 420010, baseline (RFC 6184 §8.1).
  BOOST_CHECK_EQUAL(
      pickedPt(video("101 102", h264(101, "packetization-mode=1;profile-level-id=640c1f") +
                                    h264(102, "packetization-mode=1"))),
      102);
  // High 4:4:4 is not negotiated.
  BOOST_CHECK_EQUAL(
      pickedPt(video("101 102", h264(101, "packetization-mode=1;profile-level-id=f4001f") +
                                    h264(102, "packetization-mode=1;profile-level-id=640c1f"))),
      102);
}

BOOST_AUTO_TEST_CASE(answer_echoes_only_our_feedback_and_copies_fmtp) {
  std::string head = kHead;
  head.replace(head.find(" 1\r\n"), 4, "\r\n");
  const Negotiated n = negotiate(head + kProfiles, local(SdpRole::Ingest));
  const SdpSession answer = parse(n.answer);
  const SdpMedia& v = answer.media[0];
  BOOST_CHECK(values(v.attributes, "rtcp-fb") ==
              (std::vector<std::string>{"104 nack", "104 goog-remb"}));
  BOOST_CHECK(values(v.attributes, "fmtp") ==
              std::vector<std::string>{
                  "104 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"});
  BOOST_CHECK(values(v.attributes, "rtpmap") == std::vector<std::string>{"104 H264/90000"});
  BOOST_CHECK(n.video->nack && !n.video->pli && !n.video->fir && n.video->remb);
}

// REMB (draft-alvestrand-rmcat-remb): a WHIP answer offers goog-remb back when the offer
// has it (we send the publisher its bit rate); not offered -> absent; a WHEP answer
// never has it (we do not read the viewer's estimate).
BOOST_AUTO_TEST_CASE(goog_remb_answered_only_for_whip_video_that_offers_it) {
  std::string head = kHead;
  head.replace(head.find(" 1\r\n"), 4, "\r\n");
  const auto rtcpFb = [](const Negotiated& n) {
    return values(parse(n.answer).media[0].attributes, "rtcp-fb");
  };
  const Negotiated offered = negotiate(head + kProfiles, local(SdpRole::Ingest));
  const auto fb = rtcpFb(offered);
  BOOST_CHECK(std::count(fb.begin(), fb.end(), "104 goog-remb") == 1);
  BOOST_CHECK(offered.video->remb);

  std::string without = kProfiles;
  for (size_t at; (at = without.find("a=rtcp-fb:104 goog-remb\r\n")) != std::string::npos;)
    without.erase(at, std::string("a=rtcp-fb:104 goog-remb\r\n").size());
  const Negotiated absent = negotiate(head + without, local(SdpRole::Ingest));
  BOOST_CHECK(rtcpFb(absent) == std::vector<std::string>{"104 nack"});
  BOOST_CHECK(!absent.video->remb);

  // "a=rtcp-fb:* goog-remb" applies to every payload type.
  std::string star = without;
  star.insert(star.find("a=rtpmap:100"), "a=rtcp-fb:* goog-remb\r\n");
  BOOST_CHECK(negotiate(head + star, local(SdpRole::Ingest)).video->remb);

  std::string whep = head + kProfiles;
  for (size_t at; (at = whep.find("a=sendonly")) != std::string::npos;)
    whep.replace(at, 10, "a=recvonly");
  const Negotiated egress = negotiate(whep, local(SdpRole::Egress));
  const auto efb = rtcpFb(egress);
  BOOST_CHECK(std::count(efb.begin(), efb.end(), "104 goog-remb") == 0);
  BOOST_CHECK(!egress.video->remb);
}

BOOST_AUTO_TEST_CASE(mode_0_only_is_422) {
  const auto [status, error] =
      failure(kHead + video("100 101", h264(100, "packetization-mode=0;profile-level-id=42e01f") +
                                           h264(101, "profile-level-id=42e01f")),
              local(SdpRole::Ingest));
  BOOST_CHECK_EQUAL(status, 422);
  BOOST_CHECK_EQUAL(error,
                    "video (mid 0): no H.264 with packetization-mode=1 in the offer (offered: H264 "
                    "(packetization-mode=0))");
}

BOOST_AUTO_TEST_CASE(vp8_only_is_422_naming_what_was_offered) {
  const auto [status, error] =
      failure(kHead + video("96 97 98",
                            "a=rtpmap:96 VP8/90000\r\na=rtpmap:97 rtx/90000\r\n"
                            "a=fmtp:97 apt=96\r\na=rtpmap:98 VP9/90000\r\n"),
              local(SdpRole::Ingest));
  BOOST_CHECK_EQUAL(status, 422);
  BOOST_CHECK_EQUAL(
      error, "video (mid 0): no H.264 with packetization-mode=1 in the offer (offered: VP8, VP9)");
}

BOOST_AUTO_TEST_CASE(vp8_video_beside_opus_refuses_only_the_video) {
  const Negotiated n =
      negotiate(kHead + video("96", "a=rtpmap:96 VP8/90000\r\n") + audio(), local(SdpRole::Ingest));
  BOOST_CHECK(!n.video);
  BOOST_REQUIRE(n.audio);
  const SdpSession answer = parse(n.answer);
  BOOST_CHECK_EQUAL(answer.media[0].port, 0);
  BOOST_CHECK(answer.media[0].formats == std::vector<std::string>{"96"});
  BOOST_CHECK(!answer.media[0].has("ice-ufrag"));
  BOOST_CHECK_EQUAL(answer.media[0].mid(), "0");
  BOOST_CHECK_EQUAL(answer.attribute("group").value_or(""), "BUNDLE 1");
  BOOST_CHECK_EQUAL(answer.media[1].port, 40000);
  BOOST_REQUIRE_EQUAL(n.refused.size(), 1u);
  BOOST_CHECK(n.refused[0].starts_with("video (mid 0): no H.264"));
}

BOOST_AUTO_TEST_CASE(audio_needs_opus_48000_2) {
  const std::string noOpus = audio("a=rtpmap:0 PCMU/8000\r\na=rtpmap:9 G722/8000\r\n", "0 9");
  const auto [status, error] = failure(kHead + noOpus, local(SdpRole::Ingest));
  BOOST_CHECK_EQUAL(status, 422);
  BOOST_CHECK_EQUAL(error, "audio (mid 1): no opus/48000/2 in the offer (offered: PCMU, G722)");
  const Negotiated n =
      negotiate(kHead + audio("a=rtpmap:109 Opus/48000/2\r\na=fmtp:109 useinbandfec=1;stereo=0\r\n",
                              "109", "recvonly"),
                local(SdpRole::Egress));
  BOOST_REQUIRE(n.audio);
  BOOST_CHECK_EQUAL(n.audio->fmtp, "useinbandfec=1;stereo=1;sprop-stereo=1");
}

BOOST_AUTO_TEST_CASE(directions_follow_the_role) {
  const std::string cb = h264(96, "packetization-mode=1;profile-level-id=42e01f");
  auto [s1, e1] = failure(kHead + video("96", cb, "recvonly"), local(SdpRole::Ingest));
  BOOST_CHECK_EQUAL(s1, 422);
  BOOST_CHECK_EQUAL(e1, "video (mid 0): the offer is recvonly, WHIP needs sendonly or sendrecv");
  auto [s2, e2] = failure(kHead + video("96", cb, "sendonly"), local(SdpRole::Egress));
  BOOST_CHECK_EQUAL(s2, 422);
  BOOST_CHECK_EQUAL(e2, "video (mid 0): the offer is sendonly, WHEP needs recvonly or sendrecv");
  const Negotiated n = negotiate(kHead + video("96", cb, "sendrecv"), local(SdpRole::Egress));
  BOOST_CHECK(parse(n.answer).media[0].has("sendonly"));
}

BOOST_AUTO_TEST_CASE(dtls_setup_roles) {
  const std::string cb = h264(96, "packetization-mode=1;profile-level-id=42e01f");
  auto withSetup = [&](const std::string& setup) {
    std::string offer = kHead + video("96", cb);
    offer.replace(offer.find("a=setup:actpass"), 15, setup);
    return negotiate(offer, local(SdpRole::Ingest));
  };
  for (const char* s : {"a=setup:actpass", "a=setup:active", "a=x-no-setup"}) {
    const Negotiated n = withSetup(s);
    BOOST_CHECK(!n.localDtlsClient);
    BOOST_CHECK_EQUAL(parse(n.answer).media[0].attribute("setup").value_or(""), "passive");
  }
  const Negotiated n = withSetup("a=setup:passive");
  BOOST_CHECK(n.localDtlsClient);
  BOOST_CHECK_EQUAL(parse(n.answer).media[0].attribute("setup").value_or(""), "active");
}

BOOST_AUTO_TEST_CASE(missing_ice_or_fingerprint_is_422) {
  const std::string cb = h264(96, "packetization-mode=1;profile-level-id=42e01f");
  std::string noIce = kHead + video("96", cb);
  noIce.erase(noIce.find("a=ice-ufrag"), noIce.find("a=fingerprint") - noIce.find("a=ice-ufrag"));
  auto [s1, e1] = failure(noIce, local(SdpRole::Ingest));
  BOOST_CHECK_EQUAL(s1, 422);
  BOOST_CHECK_EQUAL(e1, "no ICE credentials (a=ice-ufrag and a=ice-pwd) in the offer");
  std::string sha1 = kHead + video("96", cb);
  const size_t at = sha1.find("a=fingerprint");
  sha1.replace(at, sha1.find("\r\n", at) - at,
               "a=fingerprint:sha-1 01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67");
  auto [s2, e2] = failure(sha1, local(SdpRole::Ingest));
  BOOST_CHECK_EQUAL(s2, 422);
  BOOST_CHECK_EQUAL(e2, "no sha-256 a=fingerprint in the offer (offered: sha-1)");
  std::string shortFp = kHead + video("96", cb);
  shortFp.replace(shortFp.find("a=fingerprint:sha-256 ") + 22, 3, "");
  auto [s3, e3] = failure(shortFp, local(SdpRole::Ingest));
  BOOST_CHECK_EQUAL(s3, 400);
  BOOST_CHECK_EQUAL(e3, "a=fingerprint:sha-256 has 31 bytes, not 32");
}

BOOST_AUTO_TEST_CASE(malformed_offer_is_400_with_the_line) {
  std::string bad = kHead + video("96", h264(96, "packetization-mode=1"));
  bad.insert(bad.find("a=rtcp-mux"), "a=rtpmap:96\r\n");
  auto [status, error] = failure(bad, local(SdpRole::Ingest));
  BOOST_CHECK_EQUAL(status, 400);
  BOOST_CHECK(error.starts_with("malformed SDP offer: line 14: a=rtpmap"));
  auto [s2, e2] = failure("hello", local(SdpRole::Ingest));
  BOOST_CHECK_EQUAL(s2, 400);
  BOOST_CHECK_EQUAL(e2, "malformed SDP offer: line 1: expected <type>=<value>");
}

BOOST_AUTO_TEST_CASE(two_usable_m_lines_need_bundle) {
  std::string head = kHead;
  head.erase(head.find("a=group"));
  const std::string cb = h264(96, "packetization-mode=1;profile-level-id=42e01f");
  auto [status, error] = failure(head + video("96", cb) + audio(), local(SdpRole::Ingest));
  BOOST_CHECK_EQUAL(status, 422);
  BOOST_CHECK(error.find("no a=group:BUNDLE") != std::string::npos);
  const Negotiated one = negotiate(head + video("96", cb), local(SdpRole::Ingest));
  BOOST_CHECK(!parse(one.answer).has("group"));
}

BOOST_AUTO_TEST_CASE(data_channel_limits_and_refusal) {
  auto data = [](const std::string& extra) {
    return std::string(kHead).replace(std::string(kHead).find(" 0 1"), 4, " 2") +
           "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:2\r\n" +
           kTransport + extra;
  };
  auto size = [&](const std::string& extra) {
    return negotiate(data(extra), local(SdpRole::Egress)).data->maxMessageSize;
  };
  BOOST_CHECK_EQUAL(size("a=sctp-port:5000\r\na=max-message-size:65536\r\n"), 65536u);
  BOOST_CHECK_EQUAL(size("a=sctp-port:5000\r\n"), 65536u);  // RFC 8841: absent means 64 KiB
  BOOST_CHECK_EQUAL(size("a=max-message-size:0\r\n"), 262144u);
  BOOST_CHECK_EQUAL(size("a=max-message-size:1073741824\r\n"), 262144u);
  BOOST_CHECK_EQUAL(negotiate(data("a=sctp-port:5001\r\n"), local(SdpRole::Egress)).data->sctpPort,
                    5001);
  LocalEndpoint noData = local(SdpRole::Egress);
  noData.acceptData = false;
  auto [status, error] = failure(data(""), noData);
  BOOST_CHECK_EQUAL(status, 422);
  BOOST_CHECK_EQUAL(error, "application (mid 2): no data channel on this endpoint");
}

BOOST_AUTO_TEST_CASE(truncated_and_mutated_offers_never_crash) {
  std::mt19937 rng(9725);
  for (const char* name : {"chromium_whep_offer.sdp", "libdatachannel_whip_offer.sdp"}) {
    const std::string offer = readOffer(name);
    const LocalEndpoint l = local(SdpRole::Egress);
    size_t ok = 0;
    for (size_t n = 0; n <= offer.size(); ++n) {
      int status = 0;
      std::string error;
      auto r = negotiateAnswer(std::string_view(offer).substr(0, n), l, status, error);
      if (r) {
        ++ok;
        BOOST_CHECK(SdpSession::parse(r->answer, error).has_value());
      } else {
        BOOST_CHECK(status == 400 || status == 422);
        BOOST_CHECK(!error.empty());
      }
    }
    BOOST_CHECK_GT(ok, 0u);
    for (int round = 0; round < 3000; ++round) {
      std::string mutated = offer;
      for (int k = 0; k < 3; ++k) mutated[rng() % mutated.size()] = static_cast<char>(rng() % 256);
      int status = 0;
      std::string error;
      auto r = negotiateAnswer(mutated, l, status, error);
      if (r) BOOST_CHECK(SdpSession::parse(r->answer, error).has_value());
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
