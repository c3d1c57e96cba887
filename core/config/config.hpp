// Config: the typed, validated server configuration, parsed once from TOML plus
// --set overrides. Built by main.cpp at start-up (and again on SIGHUP), then passed
// by const reference; a plain value, no globals. Parsing happens on the main thread.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/mixer_config.hpp"

namespace core {

// Every message names where, what and why, one problem per line, e.g.
//   conf/roomcast.toml:12: rtmp.chunk_size: must be between 128 and 65536, got 5
//   --set rtmp.listen: expected "ip:port", got "nowhere"
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "ip:port": host is a dotted-quad IPv4 literal or "localhost"; port 1..65535.
struct ListenAddress {
  std::string host;
  uint16_t port = 0;
  std::string toString() const;  // "host:port", "[v6]:port"
  bool operator==(const ListenAddress&) const = default;
};

// Parses "ip:port"; on failure returns nullopt and sets `error` to the reason.
std::optional<ListenAddress> parseListenAddress(std::string_view text, std::string& error);

// All durations are integer milliseconds (keys end in _ms); sizes are bytes.
struct LogConfig {
  std::string level = "info";  // trace debug info warn error
};

struct RtmpConfig {
  ListenAddress listen{"0.0.0.0", 1935};
  uint32_t chunk_size = 4096;                   // 128..65536, our outgoing chunk size
  uint32_t max_message_size = 8 * 1024 * 1024;  // 4096..16 MiB-1 (24-bit length field)
  uint32_t window_ack_size = 2500000;
  int handshake_timeout_ms = 10000;
  int idle_timeout_ms = 30000;
  // Bytes all connections together hold in incomplete messages; a quarter of it for
  // connections not yet publishing or playing. >= max_message_size.
  int64_t max_partial_bytes = 128 * 1024 * 1024;
};

struct HttpConfig {
  ListenAddress listen{"0.0.0.0", 8080};
  uint32_t max_header_size = 8192;  // 1024..65536
  int header_timeout_ms = 10000;
  int keepalive_timeout_ms = 15000;
  std::string cors_origin = "*";  // value of Access-Control-Allow-Origin; "" = no header
};

struct StreamConfig {
  bool gop_cache = true;
  int gop_cache_max_ms = 10000;
  uint32_t gop_cache_max_bytes = 32 * 1024 * 1024;
  bool publisher_takeover = false;  // a new publisher of a live stream replaces the old one
  int reconnect_grace_ms = 10000;   // viewers wait this long for the publisher to return
  int timestamp_jump_ms = 3000;     // larger jumps are corrected onto the stream clock
  int gap_ms = 1000;                // health: a larger dts step within a track is a timestamp gap
  int stall_ms = 2000;              // health: a longer silence while published is a stall
};

struct ViewerConfig {
  int merge_write_ms = 30;    // 0..500, batch packets into one write; 0 = write at once
  int queue_soft_ms = 3000;   // above: drop non-key frames
  int queue_hard_ms = 10000;  // above: close the viewer; must be > queue_soft_ms
  uint32_t queue_max_bytes = 16 * 1024 * 1024;
};

struct AuthConfig {
  bool enabled = false;
  std::string key;  // HMAC key; at least 16 characters when enabled
  bool protect_play = true;
  bool protect_publish = true;
};

// The player page and its static files, served at / from memory (read at start-up).
struct WebConfig {
  bool enabled = true;
  std::string root = "web";  // directory; a relative path is relative to the working directory
};

struct HlsConfig {
  bool enabled = true;        // an HLS (MPEG-TS) rendition of every stream
  int segment_ms = 2000;      // 500..60000, target segment duration (cut at keyframes)
  int window = 6;             // 2..100, segments listed in the live playlist
  int keep_ended_ms = 30000;  // 0..3600000, an ended playlist (ENDLIST) is kept this long
  bool ll_enabled = true;     // an LL-HLS (fMP4 parts) rendition too
  int part_ms = 333;          // 100..2000, LL-HLS partial segment target
  std::string dir;            // also write HLS playlists + segments here ("" = memory only)
};

struct RoomConfig {
  int64_t app_id = 0;  // the IM app id (SDKAppID) that UserSigs are issued for
  std::string key;     // the secret key UserSigs are signed with ("" = the one kept in state.dir)
  // Admin accounts besides the built-in "administrator" (R2): at most 5.
  std::vector<std::string> admins;
  bool guests = true;                     // connections without a UserSig may join and receive
  int64_t rooms_per_connection = 1;       // 1..100; joining past it leaves the oldest room
  int64_t rate_limit = 40;                // deliveries per second per room (R6), 1..100000
  int64_t history = 0;                    // 0 = off; else the last N (<= 20) messages < 24 h (R10)
  int64_t recent_members = 30;            // recent-joiner list length (R15), 1..1000
  int64_t enter_leave_max_members = 500;  // above this many members no enter/leave events
  int64_t online_push_percent = 5;        // online count push rule (R11)
  int64_t online_push_members = 10;
  int64_t online_push_min_ms = 1000;
  int64_t online_push_max_ms = 30000;
  bool auto_create = true;          // a publish creates the room of its stream key
  bool follow_stream = true;        // publish -> live, publisher gone -> paused, then ended
  int64_t ended_after_ms = 300000;  // paused this long -> ended
  int64_t client_rate = 20;         // commands per second a connection may send (burst 2x)
  int64_t ws_idle_timeout_ms = 60000;
  int64_t ws_ping_interval_ms = 20000;
  int64_t ws_max_backlog_bytes = 1024 * 1024;  // a member further behind is dropped
  int64_t gift_streak_gifts = 20;              // a running gift streak is flushed every N gifts
  int64_t gift_streak_pause_ms = 1000;         // ...or after this pause (R7)
  int64_t like_window_ms = 1000;               // likes are merged over this window (R8)
  int64_t ws_merge_ms = 50;  // merged-write window for members (0: end of each loop turn)
  // Levels (R9): score = weights x (online minutes, messages, likes, gifts,
  // membership); the level is how many thresholds the score reached.
  int64_t level_weight_online_minute = 1;
  int64_t level_weight_message = 2;
  int64_t level_weight_like = 1;
  int64_t level_weight_gift = 10;
  int64_t level_weight_membership = 100;
  std::vector<int64_t> level_thresholds{10, 50, 200, 1000, 5000};
  // Room popularity (R9): weights x (online members, delivered messages, likes, gifts).
  int64_t popularity_weight_online = 10;
  int64_t popularity_weight_message = 1;
  int64_t popularity_weight_like = 1;
  int64_t popularity_weight_gift = 5;
  std::string word_filter_file;             // built-in word filter list ("" = none)
  std::string word_filter_action = "mask";  // mask | reject
};

// The backend's webhooks in the seed IM's shapes (R14, R20).
struct WebhookConfig {
  std::string url;            // http://IPv4-or-localhost[:port]/path ("" = no webhooks)
  std::string secret;         // when set, requests carry X-Roomcast-Signature: sha256=HMAC
  int64_t timeout_ms = 2000;  // the before-* deadline
  bool fail_open = true;      // a before-* hook that did not answer: let it through
  bool before_send = true;
  bool before_join = true;
  int64_t retries = 3;  // for after-send and state events
};

struct SidechannelConfig {
  // Room event kinds carried inside the media (S1): message types and event names.
  std::vector<std::string> events{"text", "gift", "like", "status"};
  bool compact = true;         // the media copies leave out room, time, priority, sender defaults
  bool flv = true;             // RTMP play and HTTP-FLV carry them as onTextData
  bool hls = true;             // HLS: timed ID3 (TS) and emsg (LL-HLS fMP4)
  int64_t id3_merge_ms = 250;  // events this close share one ID3 tag
  bool daterange = true;       // HLS: status changes as EXT-X-DATERANGE too
  bool sei = false;            // H.264 SEI user_data_unregistered in the next frame too
};

// Recording (M6).
struct RecordConfig {
  std::vector<std::string> streams;  // recorded from their publish on: "app/name", "app/*", "*"
  std::string dir = "recordings";
  std::string path = "{app}/{name}-{start}.{ext}";
  std::string format = "fmp4";  // or "flv"
  int64_t split_ms = 0;         // 0: one file per session
  int64_t fragment_ms = 1000;   // fMP4 fragments (the most a killed server loses)
  int64_t max_queued_bytes = 16 * 1024 * 1024;
};

// Relays out ("restream", POST /api/v1/relays): push a stream to external RTMP(S) URLs.
struct RelayConfig {
  int64_t max_relays = 16;             // 0..1000 relays at once (0: the API refuses every one)
  int64_t connect_timeout_ms = 10000;  // 1000..120000, connect + TLS + RTMP up to Publish.Start
  int64_t backoff_min_ms = 1000;       // 100..60000, the first retry delay, doubled per failure
  int64_t backoff_max_ms = 30000;      // 100..600000, the longest; >= backoff_min_ms
  int64_t backoff_reset_ms = 60000;    // 1000..3600000, publishing this long resets the delay
  bool tls_verify = true;              // rtmps: check the certificate (system CAs, host name)
  int64_t send_buffer_bytes = 0;  // SO_SNDBUF of a relay's socket; 0 = the kernel's (autotuned)
};

// VOD-to-live playlists (/api/v1/playlists): files played in real time as live
// streams.
struct VodConfig {
  bool enabled = true;
  // Where playlist items are named from (then record.dir); relative to the
  // working directory unless absolute.
  std::string dir = "vod";
  int64_t max_playlists = 4;  // 1..64, playing at once
};

// WebRTC (WHIP ingest, WHEP play, the room's data channel): one UDP port for every
// session (ICE-lite, BUNDLE, rtcp-mux), the host candidates the SDP answers announce.
struct WebrtcConfig {
  bool enabled = true;
  ListenAddress listen{"0.0.0.0", 8000};  // UDP
  // Addresses put in the answers' host candidates ("" entries not allowed); empty:
  // the listen address, or with 0.0.0.0 every IPv4 address of the machine's interfaces.
  std::vector<std::string> announce;
  int64_t max_sessions = 1000;           // 1..100000, WHIP + WHEP sessions together
  int64_t max_sessions_per_ip = 20;      // 1..10000, per client address (HTTP peer)
  int64_t consent_timeout_ms = 30000;    // 5000..600000, no valid traffic this long: closed
  int64_t handshake_timeout_ms = 15000;  // 1000..120000, ICE + DTLS must finish in this time
  int64_t mtu = 1200;                    // 576..1500, largest datagram sent (RTP, DTLS)
  std::string bearer_token;              // "" = none; WHIP/WHEP accept "Authorization: Bearer"
  int64_t whip_max_kbps = 6000;          // 100..100000, the REMB a WHIP publisher starts at
};

// What the server keeps between runs (today: the generated room key).
struct StateConfig {
  std::string dir = "state";  // relative to the working directory unless absolute
};

struct Config {
  std::string path;  // the file it was loaded from ("" for defaults)
  LogConfig log;
  StateConfig state;
  RtmpConfig rtmp;
  HttpConfig http;
  StreamConfig stream;
  ViewerConfig viewer;
  AuthConfig auth;
  WebConfig web;
  HlsConfig hls;
  RoomConfig room;
  WebhookConfig webhook;
  SidechannelConfig sidechannel;
  RecordConfig record;
  MixerConfig mixer;
  VodConfig vod;
  WebrtcConfig webrtc;
  RelayConfig relay;
};

// Reads and validates `path` (a missing file is an error; an empty file gives all
// defaults). `overrides` are "section.key=value" strings from --set, applied on top
// of the file before validation; the value is TOML ("true", "4096", "\"x\""), and
// text that is not a TOML value is taken as a string ("127.0.0.1:19350"). For a
// string-typed key, a value that is not a TOML string is taken as its raw text
// ("--set auth.key=1234..." gives the string "1234...").
// Throws ConfigError listing every problem found, one per line (a malformed or
// unknown --set stops at once).
Config loadConfig(const std::string& path, const std::vector<std::string>& overrides = {});

// The same on in-memory text; `fileName` is used in messages and as Config::path.
Config parseConfig(std::string_view tomlText, const std::string& fileName,
                   const std::vector<std::string>& overrides = {});

}  // namespace core
