#include "protocols/rtmp/publish_client.hpp"

#include <boost/test/unit_test.hpp>
#include <random>

#include "core/format/amf0.hpp"
#include "protocols/rtmp/rtmp_commands.hpp"

using namespace rtmp;
using core::Amf0Value;

namespace {

using Bytes = std::vector<uint8_t>;

// The server side, built from the server's own pieces: its handshake, a chunk
// reader for what the client sends, and the command builders for its answers.
struct FakeTarget {
  ServerHandshake hs;
  ChunkReader reader;
  std::vector<RtmpMessage> got;

  void take(const Bytes& bytes) {
    if (!hs.done()) {
      hs.feed(bytes);
      auto left = hs.takeLeftover();
      if (!left.empty()) BOOST_REQUIRE(reader.feed(left, got));
      return;
    }
    BOOST_REQUIRE(reader.feed(bytes, got));
  }
  // The AMF0 values of every command received since the last call.
  std::vector<std::vector<Amf0Value>> commands() {
    std::vector<std::vector<Amf0Value>> out;
    for (const auto& m : got)
      if (m.type == msg::kCommandAmf0)
        out.push_back(core::Amf0Decoder::decodeAll(m.payload.span()).values);
    got.clear();
    return out;
  }
};

Bytes bytesOf(const core::SharedBuffer& b) {
  return Bytes(b.data(), b.data() + b.size());
}

PublishTarget target() {
  return {"live/sub", "rtmp://example.com/live/sub", "key?token=1", 4096};
}

// Runs the handshake; returns the client's first commands (the connect).
std::vector<std::vector<Amf0Value>> handshake(PublishClient& c, FakeTarget& t) {
  t.take(c.start());
  const auto r = c.feed(t.hs.takeOutput());
  BOOST_REQUIRE(r.status == PublishClient::Status::Ok);
  t.take(c.takeOutput());
  BOOST_REQUIRE(t.hs.done());
  return t.commands();
}

// Up to the publish command; returns its values.
std::vector<Amf0Value> upToPublish(PublishClient& c, FakeTarget& t) {
  handshake(c, t);
  BOOST_REQUIRE(
      c.feed(bytesOf(resultMessage(1, Amf0Value::object(), Amf0Value::object(), 128))).status ==
      PublishClient::Status::Ok);
  t.take(c.takeOutput());
  t.commands();
  c.feed(bytesOf(resultMessage(4, Amf0Value::null(), 1.0, 128)));
  t.take(c.takeOutput());
  auto cmds = t.commands();
  BOOST_REQUIRE_EQUAL(cmds.size(), 1u);
  return cmds[0];
}

}  // namespace

BOOST_AUTO_TEST_CASE(publish_client_runs_connect_create_stream_publish_up_to_publish_start) {
  PublishClient c(target());
  FakeTarget t;
  auto first = handshake(c, t);
  BOOST_REQUIRE_EQUAL(first.size(), 1u);
  BOOST_TEST(first[0][0].asString() == "connect");
  BOOST_TEST(first[0][2].find("app")->asString() == "live/sub");
  BOOST_TEST(first[0][2].find("tcUrl")->asString() == "rtmp://example.com/live/sub");
  BOOST_TEST(t.reader.chunkSize() == 4096u);  // Set Chunk Size came before the connect

  c.feed(bytesOf(resultMessage(1, Amf0Value::object(), Amf0Value::object(), 128)));
  t.take(c.takeOutput());
  auto cmds = t.commands();
  BOOST_REQUIRE_EQUAL(cmds.size(), 3u);
  BOOST_TEST(cmds[0][0].asString() == "releaseStream");
  BOOST_TEST(cmds[0][3].asString() == "key?token=1");
  BOOST_TEST(cmds[1][0].asString() == "FCPublish");
  BOOST_TEST(cmds[2][0].asString() == "createStream");

  // Some servers refuse releaseStream: that does not matter.
  BOOST_TEST((c.feed(bytesOf(errorMessage(2, "NetStream.Failed", "no", 128))).status ==
              PublishClient::Status::Ok));
  c.feed(bytesOf(resultMessage(4, Amf0Value::null(), 7.0, 128)));
  t.take(c.takeOutput());
  cmds = t.commands();
  BOOST_REQUIRE_EQUAL(cmds.size(), 1u);
  BOOST_TEST(cmds[0][0].asString() == "publish");
  BOOST_TEST(cmds[0][3].asString() == "key?token=1");
  BOOST_TEST(cmds[0][4].asString() == "live");
  BOOST_TEST(c.streamId() == 7u);
  BOOST_TEST((c.state() == PublishClient::State::Commands));

  // A status that is not the start (and not an error) changes nothing.
  BOOST_TEST((c.feed(bytesOf(statusMessage("status", "NetStream.Publish.Reset", "", 128))).status ==
              PublishClient::Status::Ok));
  const auto r = c.feed(bytesOf(statusMessage("status", "NetStream.Publish.Start", "go", 128)));
  BOOST_TEST((r.status == PublishClient::Status::Published));
  BOOST_TEST((c.state() == PublishClient::State::Publishing));
}

BOOST_AUTO_TEST_CASE(publish_client_reports_a_refused_publish_with_the_peers_description) {
  PublishClient c(target());
  FakeTarget t;
  upToPublish(c, t);
  const auto r = c.feed(bytesOf(
      statusMessage("error", "NetStream.Publish.BadName", "already publishing or playing", 128)));
  BOOST_TEST((r.status == PublishClient::Status::Error));
  BOOST_TEST(r.reason ==
             "publish refused: NetStream.Publish.BadName (already publishing or playing)");
  BOOST_TEST((c.state() == PublishClient::State::Failed));
  // Failed stays failed.
  BOOST_TEST((c.feed(bytesOf(statusMessage("status", "NetStream.Publish.Start", "", 128))).status ==
              PublishClient::Status::Error));
}

BOOST_AUTO_TEST_CASE(publish_client_reports_a_refused_connect_and_create_stream) {
  {
    PublishClient c(target());
    FakeTarget t;
    handshake(c, t);
    const auto r =
        c.feed(bytesOf(errorMessage(1, "NetConnection.Connect.Rejected", "bad app", 128)));
    BOOST_TEST((r.status == PublishClient::Status::Error));
    BOOST_TEST(r.reason == "connect refused: NetConnection.Connect.Rejected (bad app)");
  }
  {
    PublishClient c(target());
    FakeTarget t;
    handshake(c, t);
    c.feed(bytesOf(resultMessage(1, Amf0Value::object(), Amf0Value::object(), 128)));
    const auto r = c.feed(bytesOf(resultMessage(4, Amf0Value::null(), "one", 128)));
    BOOST_TEST((r.status == PublishClient::Status::Error));
    BOOST_TEST(r.reason.find("no usable stream id") != std::string::npos, r.reason);
  }
}

BOOST_AUTO_TEST_CASE(publish_client_after_publish_start_answers_pings_and_hears_a_stop) {
  PublishClient c(target());
  FakeTarget t;
  upToPublish(c, t);
  c.feed(bytesOf(statusMessage("status", "NetStream.Publish.Start", "", 128)));
  c.takeOutput();
  c.feed(bytesOf(controlBytes(msg::kUserControl, pingRequestPayload(1234), 128)));
  t.take(c.takeOutput());
  BOOST_REQUIRE_EQUAL(t.got.size(), 1u);
  BOOST_TEST(t.got[0].type == msg::kUserControl);
  BOOST_TEST((Bytes(t.got[0].payload.data(), t.got[0].payload.data() + t.got[0].payload.size()) ==
              pingResponsePayload(1234)));
  t.got.clear();
  const auto r = c.feed(bytesOf(statusMessage("error", "NetStream.Publish.Failed", "kicked", 128)));
  BOOST_TEST((r.status == PublishClient::Status::Error));
  BOOST_TEST(r.reason == "the target stopped the publish: NetStream.Publish.Failed (kicked)");
}

BOOST_AUTO_TEST_CASE(publish_client_rejects_garbage_from_the_target) {
  {
    // An HTTP server on the RTMP port: its first byte is no RTMP version.
    PublishClient c(target());
    c.start();
    const std::string http = "HTTP/1.1 400 Bad Request\r\n\r\n";
    const auto r = c.feed(Bytes(http.begin(), http.end()));
    BOOST_TEST((r.status == PublishClient::Status::Error));
    BOOST_TEST(r.reason.starts_with("rtmp handshake:"), r.reason);
  }
  {
    // After the handshake: a chunk announcing a message larger than any command.
    PublishClient c(target());
    FakeTarget t;
    handshake(c, t);
    Bytes huge = {0x03, 0, 0, 0, 0x10, 0, 0, msg::kCommandAmf0, 0, 0, 0, 0};  // 1 MiB
    huge.resize(huge.size() + 128, 0x05);
    const auto r = c.feed(huge);
    BOOST_TEST((r.status == PublishClient::Status::Error));
    BOOST_TEST(r.reason.starts_with("rtmp chunk stream:"), r.reason);
  }
  {
    // A command that is not AMF0.
    PublishClient c(target());
    FakeTarget t;
    handshake(c, t);
    const Bytes junk = {0xFF, 0xFE, 0xFD};
    const auto r = c.feed(bytesOf(serializeMessage(3, msg::kCommandAmf0, 0, 0, junk, 128)));
    BOOST_TEST((r.status == PublishClient::Status::Error));
    BOOST_TEST(r.reason.find("not AMF0") != std::string::npos, r.reason);
  }
}

BOOST_AUTO_TEST_CASE(publish_client_writes_media_on_the_published_stream) {
  PublishClient c(target());
  FakeTarget t;
  upToPublish(c, t);
  c.feed(bytesOf(resultMessage(4, Amf0Value::null(), 1.0, 128)));  // ignored now
  c.feed(bytesOf(statusMessage("status", "NetStream.Publish.Start", "", 128)));
  t.take(c.takeOutput());
  t.got.clear();

  core::MediaPacket meta;
  meta.kind = core::MediaKind::Data;
  meta.codec = core::Codec::Amf0;
  meta.config = true;
  meta.payload = core::SharedBuffer::adopt(
      core::encodeAmf0All({"onMetaData", Amf0Value::ecmaArray({{"width", 320.0}})}));
  core::MediaPacket audio;
  audio.kind = core::MediaKind::Audio;
  audio.codec = core::Codec::AAC;
  audio.payload = core::SharedBuffer::adopt(Bytes{0x21, 0x10, 0x04});
  core::MediaPacket event;
  event.kind = core::MediaKind::Data;
  event.codec = core::Codec::RoomEvent;
  event.payload = core::SharedBuffer::adopt(core::encodeAmf0All({"onTextData"}));

  Bytes out;
  c.appendMedia(out, meta, 0);
  c.appendMedia(out, audio, 70000);
  c.appendMedia(out, event, 70001);  // room events stay home
  t.take(out);
  BOOST_REQUIRE_EQUAL(t.got.size(), 2u);
  BOOST_TEST(t.got[0].type == msg::kDataAmf0);
  BOOST_TEST(t.got[0].streamId == 1u);
  const auto values = core::Amf0Decoder::decodeAll(t.got[0].payload.span()).values;
  BOOST_REQUIRE_EQUAL(values.size(), 3u);
  BOOST_TEST(values[0].asString() == "@setDataFrame");
  BOOST_TEST(values[1].asString() == "onMetaData");
  BOOST_TEST(t.got[1].type == msg::kAudio);
  BOOST_TEST(t.got[1].timestamp == 70000u);
  BOOST_TEST(t.got[1].payload.span()[0] == 0xAF);  // AAC, raw frame
}

BOOST_AUTO_TEST_CASE(publish_client_survives_random_bytes_from_the_target) {
  // Whatever a target sends, the client answers Ok or Error, never crashes, and what
  // it sends back stays small (it only answers pings and acknowledges).
  std::mt19937 rng(18);
  for (int round = 0; round < 300; ++round) {
    PublishClient c(target());
    FakeTarget t;
    if (round % 2)
      upToPublish(c, t);
    else
      handshake(c, t);
    bool failed = false;
    for (int piece = 0; piece < 20 && !failed; ++piece) {
      Bytes junk(1 + rng() % 600);
      for (auto& b : junk) b = static_cast<uint8_t>(rng());
      if (rng() % 3 == 0) junk[0] = 0x03;  // now and then a plausible chunk header
      const auto r = c.feed(junk);
      failed = r.status == PublishClient::Status::Error;
      BOOST_TEST(c.takeOutput().size() < 4096u);
    }
    if (failed) BOOST_TEST((c.state() == PublishClient::State::Failed));
  }
}
