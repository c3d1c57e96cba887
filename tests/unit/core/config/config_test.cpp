#include "core/config/config.hpp"

#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <fstream>
#include <string>

#include "tests/unit/core/config/config_error_of.hpp"

using core::Config;
using core::ConfigError;
using core::parseConfig;
using testing_config::errorOf;
using testing_config::kFile;

namespace {

std::string repoRoot() {
  return ROOMCAST_SOURCE_DIR;
}

void checkDefaults(const Config& c) {
  BOOST_TEST(c.log.level == "info");
  BOOST_TEST(c.rtmp.listen.host == "0.0.0.0");
  BOOST_TEST(c.rtmp.listen.port == 1935);
  BOOST_TEST(c.rtmp.chunk_size == 4096u);
  BOOST_TEST(c.rtmp.max_message_size == 8u * 1024 * 1024);
  BOOST_TEST(c.rtmp.window_ack_size == 2500000u);
  BOOST_TEST(c.rtmp.handshake_timeout_ms == 10000);
  BOOST_TEST(c.rtmp.idle_timeout_ms == 30000);
  BOOST_TEST(c.rtmp.max_partial_bytes == 128 * 1024 * 1024);
  BOOST_TEST(c.http.listen.toString() == "0.0.0.0:8080");
  BOOST_TEST(c.http.max_header_size == 8192u);
  BOOST_TEST(c.http.header_timeout_ms == 10000);
  BOOST_TEST(c.http.keepalive_timeout_ms == 15000);
  BOOST_TEST(c.http.cors_origin == "*");
  BOOST_TEST(c.stream.gop_cache == true);
  BOOST_TEST(c.stream.gop_cache_max_ms == 10000);
  BOOST_TEST(c.stream.gop_cache_max_bytes == 32u * 1024 * 1024);
  BOOST_TEST(c.stream.publisher_takeover == false);
  BOOST_TEST(c.stream.reconnect_grace_ms == 10000);
  BOOST_TEST(c.stream.timestamp_jump_ms == 3000);
  BOOST_TEST(c.stream.gap_ms == 1000);
  BOOST_TEST(c.stream.stall_ms == 2000);
  BOOST_TEST(c.viewer.merge_write_ms == 30);
  BOOST_TEST(c.viewer.queue_soft_ms == 3000);
  BOOST_TEST(c.viewer.queue_hard_ms == 10000);
  BOOST_TEST(c.viewer.queue_max_bytes == 16u * 1024 * 1024);
  BOOST_TEST(c.auth.enabled == false);
  BOOST_TEST(c.auth.key == "");
  BOOST_TEST(c.auth.protect_play == true);
  BOOST_TEST(c.auth.protect_publish == true);
  BOOST_TEST(c.web.enabled == true);
  BOOST_TEST(c.web.root == "web");
  BOOST_TEST(c.state.dir == "state");
  BOOST_TEST(c.room.key == "");
  BOOST_TEST(c.webrtc.enabled == true);
  BOOST_TEST(c.relay.max_relays == 16);
  BOOST_TEST(c.relay.connect_timeout_ms == 10000);
  BOOST_TEST(c.relay.backoff_min_ms == 1000);
  BOOST_TEST(c.relay.backoff_max_ms == 30000);
  BOOST_TEST(c.relay.backoff_reset_ms == 60000);
  BOOST_TEST(c.relay.tls_verify == true);
  BOOST_TEST(c.relay.send_buffer_bytes == 0);
  BOOST_TEST(c.webrtc.listen.toString() == "0.0.0.0:8000");
  BOOST_TEST(c.webrtc.announce.empty());
  BOOST_TEST(c.webrtc.max_sessions == 1000);
  BOOST_TEST(c.webrtc.max_sessions_per_ip == 20);
  BOOST_TEST(c.webrtc.consent_timeout_ms == 30000);
  BOOST_TEST(c.webrtc.handshake_timeout_ms == 15000);
  BOOST_TEST(c.webrtc.mtu == 1200);
  BOOST_TEST(c.webrtc.bearer_token == "");
  BOOST_TEST(c.webrtc.whip_max_kbps == 6000);
  BOOST_TEST(c.vod.enabled == true);
  BOOST_TEST(c.vod.dir == "vod");
  BOOST_TEST(c.vod.max_playlists == 4);
}

}  // namespace

BOOST_AUTO_TEST_CASE(empty_file_gives_defaults) {
  Config c = parseConfig("", kFile, {});
  BOOST_TEST(c.path == kFile);
  checkDefaults(c);
  checkDefaults(parseConfig("# only a comment\n\n[rtmp]\n", kFile, {}));
}

BOOST_AUTO_TEST_CASE(shipped_file_is_valid_and_states_the_defaults) {
  std::string path = repoRoot() + "conf/roomcast.toml";
  Config c = core::loadConfig(path, {});
  BOOST_TEST(c.path == path);
  checkDefaults(c);
}

BOOST_AUTO_TEST_CASE(values_are_read) {
  Config c = parseConfig(R"(
[log]
level = "debug"
[rtmp]
listen = "127.0.0.1:19350"
chunk_size = 60000
max_message_size = 16777215
idle_timeout_ms = 5_000
max_partial_bytes = 17179869184
[http]
listen = "localhost:65535"
cors_origin = "https://example.com"
[stream]
gop_cache = false
publisher_takeover = true
reconnect_grace_ms = 0
[viewer]
merge_write_ms = 0
queue_soft_ms = 100
queue_hard_ms = 101
queue_max_bytes = 0x10000
[auth]
enabled = true
key = "0123456789abcdef"
protect_play = false
)",
                         kFile, {});
  BOOST_TEST(c.log.level == "debug");
  BOOST_TEST(c.rtmp.listen.host == "127.0.0.1");
  BOOST_TEST(c.rtmp.listen.port == 19350);
  BOOST_TEST(c.rtmp.chunk_size == 60000u);
  BOOST_TEST(c.rtmp.max_message_size == 16777215u);
  BOOST_TEST(c.rtmp.idle_timeout_ms == 5000);
  BOOST_TEST(c.rtmp.max_partial_bytes == int64_t{16} << 30);
  BOOST_TEST(c.rtmp.handshake_timeout_ms == 10000);  // untouched keys keep defaults
  BOOST_TEST(c.http.listen.toString() == "localhost:65535");
  BOOST_TEST(c.http.cors_origin == "https://example.com");
  BOOST_TEST(c.stream.gop_cache == false);
  BOOST_TEST(c.stream.publisher_takeover == true);
  BOOST_TEST(c.stream.reconnect_grace_ms == 0);
  BOOST_TEST(c.viewer.merge_write_ms == 0);
  BOOST_TEST(c.viewer.queue_hard_ms == 101);
  BOOST_TEST(c.viewer.queue_max_bytes == 65536u);
  BOOST_TEST(c.auth.enabled == true);
  BOOST_TEST(c.auth.key == "0123456789abcdef");
  BOOST_TEST(c.auth.protect_play == false);
  BOOST_TEST(c.auth.protect_publish == true);
}

BOOST_AUTO_TEST_CASE(range_error_names_file_line_key_reason) {
  BOOST_TEST(errorOf("# comment\n[rtmp]\nchunk_size = 5\n") ==
             "conf/roomcast.toml:3: rtmp.chunk_size: must be between 128 and 65536, got 5");
  BOOST_TEST(errorOf("[rtmp]\nchunk_size = 65537\n") ==
             "conf/roomcast.toml:2: rtmp.chunk_size: must be between 128 and 65536, got 65537");
  BOOST_TEST(errorOf("[rtmp]\nmax_message_size = 16777216\n").find("rtmp.max_message_size") !=
             std::string::npos);
  BOOST_TEST(errorOf("[rtmp]\nmax_partial_bytes = 1048575\n") ==
             "conf/roomcast.toml:2: rtmp.max_partial_bytes: must be between 1048576 and "
             "68719476736, got 1048575");
  BOOST_TEST(errorOf("[viewer]\nmerge_write_ms = -1\n") ==
             "conf/roomcast.toml:2: viewer.merge_write_ms: must be between 0 and 500, got -1");
  // Values that would wrap a uint32_t / int are range errors, not truncations.
  BOOST_TEST(errorOf("[viewer]\nqueue_max_bytes = 4294967297\n").find("got 4294967297") !=
             std::string::npos);
  BOOST_TEST(errorOf("[rtmp]\nidle_timeout_ms = -9223372036854775808\n").find("between") !=
             std::string::npos);
  // Beyond 64 bits: toml11 saturates; the message shows the literal as written.
  BOOST_TEST(errorOf("[rtmp]\nchunk_size = 99999999999999999999\n") ==
             "conf/roomcast.toml:2: rtmp.chunk_size: must be between 128 and 65536, got "
             "99999999999999999999");
  BOOST_TEST(
      errorOf("", {"rtmp.chunk_size=-99_999_999_999_999_999_999"}) ==
      "--set rtmp.chunk_size: must be between 128 and 65536, got -99_999_999_999_999_999_999");
}

BOOST_AUTO_TEST_CASE(wrong_types) {
  BOOST_TEST(errorOf("[rtmp]\nchunk_size = \"4096\"\n") ==
             "conf/roomcast.toml:2: rtmp.chunk_size: expected an integer, got a string");
  BOOST_TEST(errorOf("[rtmp]\nchunk_size = 4096.0\n") ==
             "conf/roomcast.toml:2: rtmp.chunk_size: expected an integer, got a float");
  BOOST_TEST(errorOf("[stream]\ngop_cache = 1\n") ==
             "conf/roomcast.toml:2: stream.gop_cache: expected a boolean (true/false), got an "
             "integer");
  BOOST_TEST(errorOf("[log]\nlevel = [\"info\"]\n") ==
             "conf/roomcast.toml:2: log.level: expected a string, got an array");
  BOOST_TEST(errorOf("[http]\nlisten = 8080\n").find("http.listen: expected a string") !=
             std::string::npos);
  BOOST_TEST(errorOf("[auth]\nkey = 1979-05-27\n").find("got a date/time") != std::string::npos);
  BOOST_TEST(errorOf("rtmp = 5\n") ==
             "conf/roomcast.toml:1: rtmp: expected a table [rtmp], got an integer");
  BOOST_TEST(errorOf("[[rtmp]]\nchunk_size = 4096\n").find("rtmp: expected a table") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(unknown_keys_and_sections) {
  BOOST_TEST(errorOf("[rtmp]\nchunksize = 4096\n") ==
             "conf/roomcast.toml:2: unknown key rtmp.chunksize (did you mean rtmp.chunk_size?)");
  BOOST_TEST(errorOf("[rtmp]\nbogus = 1\n") == "conf/roomcast.toml:2: unknown key rtmp.bogus");
  BOOST_TEST(errorOf("[rtmpp]\nchunk_size = 4096\n")
                 .find("unknown section rtmpp (did you mean "
                       "rtmp?)") != std::string::npos);
  BOOST_TEST(errorOf("level = \"info\"\n") == "conf/roomcast.toml:1: unknown key level");
  // Nested tables inside a section are unknown keys too.
  BOOST_TEST(errorOf("[rtmp.extra]\nx = 1\n").find("unknown key rtmp.extra") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(every_problem_is_listed_in_line_order) {
  std::string msg = errorOf("[rtmp]\nchunk_size = 1\nfoo = 2\n[http]\nmax_header_size = 1\n");
  BOOST_TEST(msg ==
             "conf/roomcast.toml:2: rtmp.chunk_size: must be between 128 and 65536, got 1\n"
             "conf/roomcast.toml:3: unknown key rtmp.foo\n"
             "conf/roomcast.toml:5: http.max_header_size: must be between 1024 and 65536, got 1");
}

BOOST_AUTO_TEST_CASE(listen_address_validation) {
  const char* bad[] = {"1935",       "0.0.0.0:",      "0.0.0.0:0",      "0.0.0.0:65536",
                       "0.0.0.0:x",  "0.0.0.0:19 35", "0.0.0.0:-1",     "256.0.0.1:1935",
                       "1.2.3:1935", "1.2.3.4.5:1",   "01.2.3.4:1935",  "example.com:1935",
                       "::1:1935",   ":1935",         "1..2.3:1935",    "1.2.3.4 :1935",
                       "[]:1935",    "[::g]:1935",    "[1.2.3.4]:1935", "[::1%lo]:1935",
                       "[::1:1935"};
  for (const char* text : bad) {
    std::string msg = errorOf(std::string("[rtmp]\nlisten = \"") + text + "\"\n");
    BOOST_TEST(msg.find("conf/roomcast.toml:2: rtmp.listen: ") == 0u, text << " -> " << msg);
  }
  BOOST_TEST(errorOf("[rtmp]\nlisten = \"0.0.0.0:0\"\n") ==
             "conf/roomcast.toml:2: rtmp.listen: port must be between 1 and 65535, got \"0\"");
  std::string error;
  // IPv6 in brackets (RFC 3986 3.2.2), kept without them.
  auto v6 = core::parseListenAddress("[::]:8000", error);
  BOOST_TEST_REQUIRE(v6.has_value());
  BOOST_TEST(v6->host == "::");
  BOOST_TEST(v6->port == 8000);
  BOOST_TEST(v6->toString() == "[::]:8000");
  BOOST_TEST(core::parseListenAddress("[2001:db8::1]:1", error)->host == "2001:db8::1");
  auto withV6 = core::parseConfig(
      "[webrtc]\nlisten = \"[::]:8000\"\nannounce = [\"203.0.113.7\", \"2001:db8::7\"]\n",
      "roomcast.toml", {});
  BOOST_TEST(withV6.webrtc.announce.size() == 2u);
  BOOST_TEST(withV6.webrtc.listen.host == "::");
  BOOST_TEST(
      errorOf("[webrtc]\nannounce = [\"[2001:db8::7]\"]\n").find("expected an IPv4 or IPv6") !=
      std::string::npos);
  auto a = core::parseListenAddress("10.0.0.255:1", error);
  BOOST_TEST_REQUIRE(a.has_value());
  BOOST_TEST(a->host == "10.0.0.255");
  BOOST_TEST(a->port == 1);
  BOOST_TEST(!core::parseListenAddress("nowhere", error).has_value());
  BOOST_TEST(error == "expected \"ip:port\" or \"[ipv6]:port\", got \"nowhere\"");
}

BOOST_AUTO_TEST_CASE(string_checks) {
  BOOST_TEST(errorOf("[log]\nlevel = \"verbose\"\n") ==
             "conf/roomcast.toml:2: log.level: must be one of trace, debug, info, warn, error, "
             "got \"verbose\"");
  BOOST_TEST(errorOf("[http]\ncors_origin = \"x\\r\\nSet-Cookie: a=b\"\n")
                 .find("http.cors_origin: must not contain control characters") !=
             std::string::npos);
  BOOST_TEST(errorOf("[web]\nroot = \"\"\n") ==
             "conf/roomcast.toml:2: web.root: must not be empty");
  BOOST_TEST(errorOf("[web]\nenabled = \"yes\"\n").find("web.enabled: expected a boolean") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(cross_key_checks) {
  BOOST_TEST(errorOf("[viewer]\nqueue_soft_ms = 3000\nqueue_hard_ms = 3000\n") ==
             "conf/roomcast.toml:3: viewer.queue_hard_ms: must be greater than "
             "viewer.queue_soft_ms (3000), got 3000");
  // Only the soft limit set: reported at its line.
  BOOST_TEST(errorOf("[viewer]\n\nqueue_soft_ms = 20000\n")
                 .find("conf/roomcast.toml:3: "
                       "viewer.queue_hard_ms") == 0u);
  BOOST_TEST(errorOf("[auth]\nenabled = true\n") ==
             "conf/roomcast.toml:2: auth.key: must be at least 16 characters when auth.enabled "
             "= true, got 0");
  BOOST_TEST(errorOf("[auth]\nenabled = true\nkey = \"short\"\n")
                 .find("conf/roomcast.toml:3: "
                       "auth.key") == 0u);
  BOOST_TEST(errorOf("[rtmp]\nmax_partial_bytes = 4194304\n") ==
             "conf/roomcast.toml:2: rtmp.max_partial_bytes: must be at least "
             "rtmp.max_message_size (8388608), got 4194304");
  BOOST_TEST(errorOf("[rtmp]\nmax_partial_bytes = 2097152\n\nmax_message_size = 4194304\n") ==
             "conf/roomcast.toml:2: rtmp.max_partial_bytes: must be at least "
             "rtmp.max_message_size (4194304), got 2097152");
  BOOST_TEST(
      parseConfig("[rtmp]\nmax_message_size = 4096\nmax_partial_bytes = 1048576\n", kFile, {})
          .rtmp.max_partial_bytes == 1048576);
  // A short key is fine while auth is off.
  BOOST_TEST(parseConfig("[auth]\nkey = \"short\"\n", kFile, {}).auth.key == "short");
}

BOOST_AUTO_TEST_CASE(syntax_errors) {
  const char* bad[] = {"[rtmp\n",
                       "[rtmp]\nchunk_size = \n",
                       "[rtmp]\nchunk_size 1\n",
                       "[rtmp]\n[rtmp]\n",
                       "a = 1\na = 2\n",
                       "[rtmp]\nlisten = \"x\n",
                       "\xff\xfe\n",
                       "x = 99999999999999999999\n"};
  for (const char* text : bad) {
    std::string msg = errorOf(text);
    BOOST_TEST(msg.find("conf/roomcast.toml") == 0u, msg);
  }
  std::string msg = errorOf("[rtmp]\n\nchunk_size 1\n");
  BOOST_TEST(msg.find("conf/roomcast.toml:3: invalid TOML: ") == 0u, msg);
}

BOOST_AUTO_TEST_CASE(overrides_replace_and_add) {
  Config c =
      parseConfig("[rtmp]\nchunk_size = 1024\n", kFile,
                  {"rtmp.chunk_size=8192", "rtmp.listen=127.0.0.1:19350", "stream.gop_cache=false",
                   "log.level=\"warn\"", "auth.enabled=true", "auth.key=1234567890123456",
                   "http.cors_origin=true", "viewer.queue_max_bytes=1_048_576"});
  BOOST_TEST(c.rtmp.chunk_size == 8192u);
  BOOST_TEST(c.rtmp.listen.toString() == "127.0.0.1:19350");
  BOOST_TEST(c.stream.gop_cache == false);
  BOOST_TEST(c.log.level == "warn");
  BOOST_TEST(c.auth.enabled == true);
  BOOST_TEST(c.auth.key == "1234567890123456");  // string keys keep the raw text
  BOOST_TEST(c.http.cors_origin == "true");
  BOOST_TEST(c.viewer.queue_max_bytes == 1048576u);
  // The later override wins.
  BOOST_TEST(
      parseConfig("", kFile, {"rtmp.chunk_size=200", "rtmp.chunk_size=300"}).rtmp.chunk_size ==
      300u);
  // An override can fix an invalid file value.
  BOOST_TEST(
      parseConfig("[rtmp]\nchunk_size = 1\n", kFile, {"rtmp.chunk_size=128"}).rtmp.chunk_size ==
      128u);
}

BOOST_AUTO_TEST_CASE(override_errors_name_the_override) {
  BOOST_TEST(errorOf("", {"rtmp.chunk_size=5"}) ==
             "--set rtmp.chunk_size: must be between 128 and 65536, got 5");
  BOOST_TEST(errorOf("[rtmp]\nchunk_size = 4096\n", {"rtmp.chunk_size=big"}) ==
             "--set rtmp.chunk_size: expected an integer, got a string");
  BOOST_TEST(errorOf("", {"rtmp.chunksize=5"}) ==
             "--set rtmp.chunksize: unknown key rtmp.chunksize");
  BOOST_TEST(errorOf("", {"nosuch.key=5"}) == "--set nosuch.key: unknown key nosuch.key");
  BOOST_TEST(errorOf("", {"rtmp.listen=nowhere"}) ==
             "--set rtmp.listen: expected \"ip:port\" or \"[ipv6]:port\", got \"nowhere\"");
  for (const char* bad : {"rtmp", "rtmp=1", ".x=1", "rtmp.=1", "=1", ""}) {
    BOOST_TEST(errorOf("", {bad}).find("expected section.key=value") != std::string::npos, bad);
  }
  // No injection of extra keys through the value text.
  BOOST_TEST(errorOf("", {"rtmp.chunk_size=200\nidle_timeout_ms = 1"}) ==
             "--set rtmp.chunk_size: expected an integer, got a string");
  BOOST_TEST(errorOf("", {"rtmp.chunk_size="}) ==
             "--set rtmp.chunk_size: expected an integer, got a string");
  // A cross-key problem caused by an override points at the override.
  BOOST_TEST(errorOf("", {"viewer.queue_soft_ms=20000"}) ==
             "--set viewer.queue_soft_ms: viewer.queue_hard_ms: must be greater than "
             "viewer.queue_soft_ms (20000), got 10000");
  BOOST_TEST(errorOf("", {"auth.enabled=true"}).find("--set auth.enabled: auth.key: ") == 0u);
}

BOOST_AUTO_TEST_CASE(file_problems_come_before_override_problems) {
  BOOST_TEST(errorOf("[rtmp]\nfoo = 1\n", {"http.max_header_size=1"}) ==
             "conf/roomcast.toml:2: unknown key rtmp.foo\n"
             "--set http.max_header_size: must be between 1024 and 65536, got 1");
}

BOOST_AUTO_TEST_CASE(load_config_errors) {
  BOOST_CHECK_THROW(core::loadConfig("/nonexistent/roomcast.toml", {}), ConfigError);
  std::string path = "/tmp/roomcast_config_test_" + std::to_string(::getpid()) + ".toml";
  {
    std::ofstream out(path);
    out << "[rtmp]\nchunk_size = 5\n";
  }
  try {
    core::loadConfig(path, {});
    BOOST_ERROR("expected a ConfigError");
  } catch (const ConfigError& e) {
    BOOST_TEST(std::string(e.what()) == path +
                                            ":2: rtmp.chunk_size: must be between 128 and "
                                            "65536, got 5");
  }
  std::remove(path.c_str());
  BOOST_TEST(errorOf(std::string(2 * 1024 * 1024, '#')).find("too large") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(room_admins_are_at_most_five_valid_ids) {
  const auto c =
      core::parseConfig("[room]\nadmins = [\"mod_1\", \"mod-2\"]\n", "conf/roomcast.toml");
  BOOST_TEST(c.room.admins.size() == 2u);
  BOOST_TEST(c.room.admins[1] == "mod-2");
  // A sixth admin is a configuration error naming the line and the limit.
  BOOST_TEST(errorOf("[room]\nadmins = [\"a\", \"b\", \"c\", \"d\", \"e\", \"f\"]\n") ==
             "conf/roomcast.toml:2: room.admins: at most 5 entries, got 6");
  BOOST_TEST(errorOf("[room]\nadmins = [\"bad id\"]\n").find("[A-Za-z0-9_-]") != std::string::npos);
  BOOST_TEST(errorOf("[room]\nadmins = [\"administrator\"]\n").find("always an admin") !=
             std::string::npos);
  BOOST_TEST(errorOf("[room]\nadmins = \"mod\"\n").find("expected an array") != std::string::npos);
  BOOST_TEST(errorOf("[room]\nadmins = [1]\n").find("expected strings") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(sidechannel_keys) {
  Config d = parseConfig("", kFile, {});
  BOOST_TEST((d.sidechannel.events == std::vector<std::string>{"text", "gift", "like", "status"}));
  BOOST_TEST(d.sidechannel.flv);
  BOOST_TEST(d.sidechannel.hls);
  BOOST_TEST(d.sidechannel.id3_merge_ms == 250);
  BOOST_TEST(!d.sidechannel.sei);
  BOOST_TEST(d.sidechannel.compact);
  BOOST_TEST(parseConfig("[sidechannel]\nsei = true\n", kFile, {}).sidechannel.sei);
  Config c = parseConfig(
      "[sidechannel]\nevents = [\"text\", \"info\"]\nflv = false\nhls = false\nid3_merge_ms = 0\n",
      kFile, {});
  BOOST_TEST((c.sidechannel.events == std::vector<std::string>{"text", "info"}));
  BOOST_TEST(!c.sidechannel.flv);
  BOOST_TEST(!c.sidechannel.hls);
  BOOST_TEST(c.sidechannel.id3_merge_ms == 0);
  BOOST_TEST(parseConfig("[sidechannel]\nevents = []\n", kFile, {}).sidechannel.events.empty());
  const std::string bad = errorOf("[sidechannel]\nevents = [\"text\", \"danmaku\"]\n");
  BOOST_TEST(
      bad.find("conf/roomcast.toml:2: sidechannel.events: unknown event kind \"danmaku\"") == 0u,
      bad);
  BOOST_TEST(errorOf("[sidechannel]\nid3_merge_ms = 2001\n").find("between 0 and 2000") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(stream_health_keys) {
  Config c = parseConfig("[stream]\ngap_ms = 100\nstall_ms = 60000\n", kFile, {});
  BOOST_TEST(c.stream.gap_ms == 100);
  BOOST_TEST(c.stream.stall_ms == 60000);
  c = parseConfig("[stream]\ngap_ms = 60000\nstall_ms = 500\n", kFile, {});
  BOOST_TEST(c.stream.gap_ms == 60000);
  BOOST_TEST(c.stream.stall_ms == 500);
  BOOST_TEST(errorOf("[stream]\ngap_ms = 99\n") ==
             "conf/roomcast.toml:2: stream.gap_ms: must be between 100 and 60000, got 99");
  BOOST_TEST(errorOf("[stream]\ngap_ms = 60001\n") ==
             "conf/roomcast.toml:2: stream.gap_ms: must be between 100 and 60000, got 60001");
  BOOST_TEST(errorOf("[stream]\n\nstall_ms = 499\n") ==
             "conf/roomcast.toml:3: stream.stall_ms: must be between 500 and 60000, got 499");
  BOOST_TEST(errorOf("[stream]\nstall_ms = \"2s\"\n") ==
             "conf/roomcast.toml:2: stream.stall_ms: expected an integer, got a string");
  BOOST_TEST(errorOf("", {"stream.stall_ms=100000"}) ==
             "--set stream.stall_ms: must be between 500 and 60000, got 100000");
}

BOOST_AUTO_TEST_CASE(vod_keys) {
  Config c =
      parseConfig("[vod]\nenabled = false\ndir = \"/srv/vod\"\nmax_playlists = 2\n", kFile, {});
  BOOST_TEST(c.vod.enabled == false);
  BOOST_TEST(c.vod.dir == "/srv/vod");
  BOOST_TEST(c.vod.max_playlists == 2);
  BOOST_TEST(errorOf("[vod]\nmax_playlists = 0\n").find("vod.max_playlists: must be between 1") !=
             std::string::npos);
  BOOST_TEST(errorOf("[vod]\ndir = \"\"\n").find("vod.dir") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(record_keys) {
  Config d = parseConfig("", kFile, {});
  BOOST_TEST(d.record.streams.empty());
  BOOST_TEST(d.record.format == "fmp4");
  BOOST_TEST(d.record.path == "{app}/{name}-{start}.{ext}");
  Config c = parseConfig(
      "[record]\nstreams = [\"live/*\", \"*\", \"app/one\"]\nformat = \"flv\"\nsplit_ms = 60000\n"
      "path = \"{app}/{start}-{name}.{ext}\"\n",
      kFile, {});
  BOOST_TEST(c.record.streams.size() == 3u);
  BOOST_TEST(c.record.format == "flv");
  BOOST_TEST(c.record.split_ms == 60000);
  BOOST_TEST(errorOf("[record]\nstreams = [\"live\"]\n").find("record.streams: expected") !=
             std::string::npos);
  BOOST_TEST(errorOf("[record]\nformat = \"mkv\"\n").find("must be \"fmp4\" or \"flv\"") !=
             std::string::npos);
  BOOST_TEST(errorOf("[record]\npath = \"../{start}.{ext}\"\n").find("inside record.dir") !=
             std::string::npos);
  BOOST_TEST(errorOf("[record]\npath = \"{app}/{name}.{ext}\"\n").find("must contain {start}") !=
             std::string::npos);
  BOOST_TEST(errorOf("[record]\npath = \"{app}/{when}.{ext}\"\n").find("unknown placeholder") !=
             std::string::npos);
  BOOST_TEST(errorOf("[record]\nfragment_ms = 2001\n").find("between 100 and 2000") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(webrtc_keys) {
  Config c = parseConfig(
      "[webrtc]\nenabled = false\nlisten = \"127.0.0.1:9000\"\nannounce = [\"203.0.113.7\"]\n"
      "max_sessions = 5\nmax_sessions_per_ip = 2\nconsent_timeout_ms = 5000\n"
      "handshake_timeout_ms = 1000\nmtu = 1500\nbearer_token = \"t0k\"\nwhip_max_kbps = 2500\n",
      kFile, {});
  BOOST_TEST(!c.webrtc.enabled);
  BOOST_TEST(c.webrtc.listen.toString() == "127.0.0.1:9000");
  BOOST_TEST((c.webrtc.announce == std::vector<std::string>{"203.0.113.7"}));
  BOOST_TEST(c.webrtc.max_sessions == 5);
  BOOST_TEST(c.webrtc.max_sessions_per_ip == 2);
  BOOST_TEST(c.webrtc.consent_timeout_ms == 5000);
  BOOST_TEST(c.webrtc.handshake_timeout_ms == 1000);
  BOOST_TEST(c.webrtc.mtu == 1500);
  BOOST_TEST(c.webrtc.bearer_token == "t0k");
  BOOST_TEST(c.webrtc.whip_max_kbps == 2500);
  BOOST_TEST(errorOf("[webrtc]\nwhip_max_kbps = 99\n") ==
             "conf/roomcast.toml:2: webrtc.whip_max_kbps: must be between 100 and 100000, got 99");
  BOOST_TEST(
      errorOf("[webrtc]\nannounce = [\"example.com\"]\n") ==
      "conf/roomcast.toml:2: webrtc.announce: expected an IPv4 or IPv6 address, got \"example.com\"");
  BOOST_TEST(errorOf("[webrtc]\nmtu = 575\n") ==
             "conf/roomcast.toml:2: webrtc.mtu: must be between 576 and 1500, got 575");
  BOOST_TEST(errorOf("[webrtc]\nbearer_token = \"a\\nb\"\n") ==
             "conf/roomcast.toml:2: webrtc.bearer_token: must not contain control characters");
}

BOOST_AUTO_TEST_CASE(relay_backoff_bounds_are_checked_together) {
  Config c = parseConfig(
      "[relay]\nbackoff_min_ms = 200\nbackoff_max_ms = 1000\ntls_verify = false\n", kFile, {});
  BOOST_TEST(c.relay.backoff_min_ms == 200);
  BOOST_TEST(c.relay.backoff_max_ms == 1000);
  BOOST_TEST(c.relay.tls_verify == false);
  try {
    parseConfig("[relay]\nbackoff_min_ms = 5000\nbackoff_max_ms = 1000\n", kFile, {});
    BOOST_FAIL("accepted backoff_max_ms < backoff_min_ms");
  } catch (const core::ConfigError& e) {
    BOOST_TEST(
        std::string(e.what()).find("relay.backoff_max_ms: must be at least "
                                   "relay.backoff_min_ms (5000), got 1000") != std::string::npos,
        e.what());
  }
}
