#include "core/config/config.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <functional>
#include <limits>
#include <set>
#include <sstream>
#include <toml.hpp>

#include "core/config/mixer_profiles.hpp"
#include "core/config/toml_type_name.hpp"
#include "core/log/log.hpp"

namespace core {

namespace {

using Value = toml::value;
constexpr size_t kMaxFileSize = 1024 * 1024;  // a config file is small; refuse anything else
constexpr int64_t kKiB = 1024;
constexpr int64_t kMiB = 1024 * kKiB;
constexpr int64_t kGiB = 1024 * kMiB;

// The integer for messages. NOTE: toml11 3.7 saturates out-of-range literals to
// INT64_MIN/MAX, so at those values show the literal as written instead.
std::string integerText(const Value& v) {
  int64_t x = v.as_integer();
  if (x != std::numeric_limits<int64_t>::max() && x != std::numeric_limits<int64_t>::min()) {
    return std::to_string(x);
  }
  toml::source_location loc = v.location();
  const std::string& line = loc.line_str();
  if (loc.column() >= 1 && loc.region() > 0 && loc.column() - 1 + loc.region() <= line.size()) {
    return line.substr(loc.column() - 1, loc.region());
  }
  return std::to_string(x);
}

// ---- The key table --------------------------------------------------------------
// One Field per key: it type-checks the TOML value, validates it and stores it,
// returning "" or the reason. Adding a key = one line in rules() below.

template <class S>
struct Field {
  std::string_view name;
  bool isString;  // overrides of string keys keep their raw text
  std::function<std::string(const Value&, S&)> apply;
  // Instead of `apply`, for a value with parts (an array of tables): every problem
  // at the part it is about.
  std::function<std::vector<ValueProblem>(const Value&, S&)> applyParts = nullptr;
};

template <class S, class T>
Field<S> integer(std::string_view name, T S::*member, int64_t lo, int64_t hi) {
  return {name, false, [=](const Value& v, S& s) -> std::string {
            if (!v.is_integer()) return "expected an integer, got " + tomlTypeName(v);
            int64_t x = v.as_integer();
            if (x < lo || x > hi) {
              return "must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
                     ", got " + integerText(v);
            }
            s.*member = static_cast<T>(x);
            return {};
          }};
}

template <class S>
Field<S> boolean(std::string_view name, bool S::*member) {
  return {name, false, [=](const Value& v, S& s) -> std::string {
            if (!v.is_boolean()) return "expected a boolean (true/false), got " + tomlTypeName(v);
            s.*member = v.as_boolean();
            return {};
          }};
}

// `check` returns "" when the text is acceptable.
template <class S>
Field<S> text(std::string_view name, std::string S::*member,
              std::string (*check)(const std::string&) = nullptr) {
  return {name, true, [=](const Value& v, S& s) -> std::string {
            if (!v.is_string()) return "expected a string, got " + tomlTypeName(v);
            const std::string& text = v.as_string().str;
            if (check) {
              if (std::string reason = check(text); !reason.empty()) return reason;
            }
            s.*member = text;
            return {};
          }};
}

template <class S>
Field<S> listen(std::string_view name, ListenAddress S::*member) {
  return {name, true, [=](const Value& v, S& s) -> std::string {
            if (!v.is_string()) return "expected a string \"ip:port\", got " + tomlTypeName(v);
            std::string reason;
            auto parsed = parseListenAddress(v.as_string().str, reason);
            if (!parsed) return reason;
            s.*member = *parsed;
            return {};
          }};
}

// A list of user ids, at most `maxItems`, each checked by `check`.
template <class S>
Field<S> idList(std::string_view name, std::vector<std::string> S::*member, size_t maxItems,
                std::string (*check)(const std::string&)) {
  return {name, false, [=](const Value& v, S& s) -> std::string {
            if (!v.is_array()) return "expected an array of strings, got " + tomlTypeName(v);
            const auto& items = v.as_array();
            if (items.size() > maxItems)
              return "at most " + std::to_string(maxItems) + " entries, got " +
                     std::to_string(items.size());
            std::vector<std::string> out;
            for (const auto& item : items) {
              if (!item.is_string()) return "expected strings, got " + tomlTypeName(item);
              const std::string& id = item.as_string().str;
              if (std::string reason = check(id); !reason.empty()) return reason;
              out.push_back(id);
            }
            s.*member = std::move(out);
            return {};
          }};
}

// An array of tables ([[section.name]]) read by `reader`, which reports each
// problem at its own value.
template <class S, class T>
Field<S> tableArray(std::string_view name, std::vector<T> S::*member,
                    std::vector<ValueProblem> (*reader)(const Value&, std::vector<T>&)) {
  Field<S> field{name, false, nullptr};
  field.applyParts = [=](const Value& v, S& s) { return reader(v, s.*member); };
  return field;
}

// A strictly increasing list of non-negative integers (level thresholds).
template <class S>
Field<S> ascendingList(std::string_view name, std::vector<int64_t> S::*member, size_t maxItems) {
  return {name, false, [=](const Value& v, S& s) -> std::string {
            if (!v.is_array()) return "expected an array of integers, got " + tomlTypeName(v);
            const auto& items = v.as_array();
            if (items.size() > maxItems)
              return "at most " + std::to_string(maxItems) + " entries, got " +
                     std::to_string(items.size());
            std::vector<int64_t> out;
            for (const auto& item : items) {
              if (!item.is_integer()) return "expected integers, got " + tomlTypeName(item);
              const int64_t x = item.as_integer();
              if (x < 0 || (!out.empty() && x <= out.back()))
                return "must be non-negative and strictly increasing";
              out.push_back(x);
            }
            s.*member = std::move(out);
            return {};
          }};
}

std::string checkUserId(const std::string& id) {
  if (id.empty() || id.size() > 32) return "user id '" + id + "' must be 1..32 bytes";
  for (char c : id)
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'))
      return "user id '" + id + "' may hold only [A-Za-z0-9_-]";
  if (id == "administrator") return "'administrator' is always an admin; list the others";
  return {};
}

struct KeyRule {
  std::string_view name;
  bool isString;
  std::function<std::string(const Value&, Config&)> apply;
  std::function<std::vector<ValueProblem>(const Value&, Config&)> applyParts = nullptr;
};

struct SectionRule {
  std::string_view name;
  std::vector<KeyRule> keys;
  const KeyRule* find(std::string_view key) const {
    for (const auto& k : keys) {
      if (k.name == key) return &k;
    }
    return nullptr;
  }
};

template <class S>
SectionRule section(std::string_view name, S Config::*member, std::vector<Field<S>> fields) {
  SectionRule rule{name, {}};
  for (auto& f : fields) {
    KeyRule key{f.name, f.isString, nullptr};
    if (f.applyParts)
      key.applyParts = [member, apply = std::move(f.applyParts)](const Value& v, Config& c) {
        return apply(v, c.*member);
      };
    else
      key.apply = [member, apply = std::move(f.apply)](const Value& v, Config& c) {
        return apply(v, c.*member);
      };
    rule.keys.push_back(std::move(key));
  }
  return rule;
}

std::string checkEventKind(const std::string& kind) {
  static constexpr std::string_view kKinds[] = {
      "text", "custom", "image", "voice", "gift", "like",   "system", "status",
      "info", "online", "enter", "leave", "mute", "kicked", "revoke", "lottery"};
  for (std::string_view k : kKinds)
    if (k == kind) return {};
  std::string known;
  for (std::string_view k : kKinds) known += (known.empty() ? "" : ", ") + std::string(k);
  return "unknown event kind \"" + kind + "\" (known: " + known + ")";
}

std::string checkLogLevel(const std::string& level) {
  if (parseLogLevel(level)) return {};
  return "must be one of trace, debug, info, warn, error, got \"" + level + "\"";
}

std::string checkHeaderValue(const std::string& text) {
  // NOTE: the value goes verbatim into an HTTP response header; CR/LF would split it.
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) return "must not contain control characters";
  }
  return text.size() > 256 ? "must be at most 256 characters" : "";
}

bool isIpv4(std::string_view host);
bool isIpv6(std::string_view host);

std::string checkIp(const std::string& text) {
  if (isIpv4(text) || isIpv6(text)) return {};
  return "expected an IPv4 or IPv6 address, got \"" + text + "\"";
}

std::string checkPath(const std::string& text) {
  if (text.empty()) return "must not be empty";
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) return "must not contain control characters";
  }
  return {};
}

// "#RRGGBB" (a program's slate colour).
std::string checkRgbColor(const std::string& text) {
  bool ok = text.size() == 7 && text[0] == '#';
  for (size_t i = 1; ok && i < text.size(); ++i)
    ok = std::isxdigit(static_cast<unsigned char>(text[i])) != 0;
  return ok ? "" : "must be \"#RRGGBB\"";
}

std::string checkPathTemplate(const std::string& t) {
  if (std::string reason = checkPath(t); !reason.empty()) return reason;
  if (t[0] == '/' || t.find("..") != std::string::npos)
    return "must stay inside record.dir (no leading / and no ..)";
  for (size_t i = t.find('{'); i != std::string::npos; i = t.find('{', i + 1)) {
    const size_t end = t.find('}', i);
    const std::string key = end == std::string::npos ? "" : t.substr(i + 1, end - i - 1);
    if (key != "app" && key != "name" && key != "start" && key != "ext")
      return "unknown placeholder in \"" + t + "\" (known: {app}, {name}, {start}, {ext})";
  }
  if (t.find("{start}") == std::string::npos)
    return "must contain {start}, so a new session does not overwrite the last one";
  return {};
}

const std::vector<SectionRule>& rules() {
  static const std::vector<SectionRule> kRules = {
      section("log", &Config::log, {text("level", &LogConfig::level, checkLogLevel)}),
      section("state", &Config::state, {text("dir", &StateConfig::dir, checkPath)}),
      section("rtmp", &Config::rtmp,
              {listen("listen", &RtmpConfig::listen),
               integer("chunk_size", &RtmpConfig::chunk_size, 128, 65536),
               // NOTE: the RTMP message header length field is 24 bits.
               integer("max_message_size", &RtmpConfig::max_message_size, 4 * kKiB, 16 * kMiB - 1),
               integer("window_ack_size", &RtmpConfig::window_ack_size, 4 * kKiB, kGiB),
               integer("handshake_timeout_ms", &RtmpConfig::handshake_timeout_ms, 100, 600000),
               integer("idle_timeout_ms", &RtmpConfig::idle_timeout_ms, 1000, 3600000),
               integer("max_partial_bytes", &RtmpConfig::max_partial_bytes, 1 * kMiB, 64 * kGiB)}),
      section("http", &Config::http,
              {listen("listen", &HttpConfig::listen),
               integer("max_header_size", &HttpConfig::max_header_size, 1 * kKiB, 64 * kKiB),
               integer("header_timeout_ms", &HttpConfig::header_timeout_ms, 100, 600000),
               integer("keepalive_timeout_ms", &HttpConfig::keepalive_timeout_ms, 100, 3600000),
               text("cors_origin", &HttpConfig::cors_origin, checkHeaderValue)}),
      section("stream", &Config::stream,
              {boolean("gop_cache", &StreamConfig::gop_cache),
               integer("gop_cache_max_ms", &StreamConfig::gop_cache_max_ms, 100, 600000),
               integer("gop_cache_max_bytes", &StreamConfig::gop_cache_max_bytes, 64 * kKiB, kGiB),
               boolean("publisher_takeover", &StreamConfig::publisher_takeover),
               integer("reconnect_grace_ms", &StreamConfig::reconnect_grace_ms, 0, 600000),
               integer("timestamp_jump_ms", &StreamConfig::timestamp_jump_ms, 100, 3600000),
               integer("gap_ms", &StreamConfig::gap_ms, 100, 60000),
               integer("stall_ms", &StreamConfig::stall_ms, 500, 60000)}),
      section("viewer", &Config::viewer,
              {integer("merge_write_ms", &ViewerConfig::merge_write_ms, 0, 500),
               integer("queue_soft_ms", &ViewerConfig::queue_soft_ms, 100, 600000),
               integer("queue_hard_ms", &ViewerConfig::queue_hard_ms, 100, 600000),
               integer("queue_max_bytes", &ViewerConfig::queue_max_bytes, 64 * kKiB, kGiB)}),
      section("hls", &Config::hls,
              {boolean("enabled", &HlsConfig::enabled),
               integer("segment_ms", &HlsConfig::segment_ms, 500, 60000),
               integer("window", &HlsConfig::window, 2, 100),
               integer("keep_ended_ms", &HlsConfig::keep_ended_ms, 0, 3600000),
               boolean("ll_enabled", &HlsConfig::ll_enabled),
               integer("part_ms", &HlsConfig::part_ms, 100, 2000), text("dir", &HlsConfig::dir)}),
      section("auth", &Config::auth,
              {boolean("enabled", &AuthConfig::enabled), text("key", &AuthConfig::key),
               boolean("protect_play", &AuthConfig::protect_play),
               boolean("protect_publish", &AuthConfig::protect_publish)}),
      section(
          "room", &Config::room,
          {integer("app_id", &RoomConfig::app_id, 0, 4294967295LL),
           text("key", &RoomConfig::key),
           idList("admins", &RoomConfig::admins, 5, checkUserId),
           boolean("guests", &RoomConfig::guests),
           integer("rooms_per_connection", &RoomConfig::rooms_per_connection, 1, 100),
           integer("rate_limit", &RoomConfig::rate_limit, 1, 100000),
           integer("history", &RoomConfig::history, 0, 20),
           integer("recent_members", &RoomConfig::recent_members, 1, 1000),
           integer("enter_leave_max_members", &RoomConfig::enter_leave_max_members, 0, 100000000),
           integer("online_push_percent", &RoomConfig::online_push_percent, 0, 100),
           integer("online_push_members", &RoomConfig::online_push_members, 1, 100000000),
           integer("online_push_min_ms", &RoomConfig::online_push_min_ms, 0, 600000),
           integer("online_push_max_ms", &RoomConfig::online_push_max_ms, 100, 3600000),
           boolean("auto_create", &RoomConfig::auto_create),
           boolean("follow_stream", &RoomConfig::follow_stream),
           integer("ended_after_ms", &RoomConfig::ended_after_ms, 0, 86400000),
           integer("client_rate", &RoomConfig::client_rate, 1, 10000),
           integer("ws_idle_timeout_ms", &RoomConfig::ws_idle_timeout_ms, 1000, 3600000),
           integer("ws_ping_interval_ms", &RoomConfig::ws_ping_interval_ms, 500, 3600000),
           integer("ws_max_backlog_bytes", &RoomConfig::ws_max_backlog_bytes, 16 * kKiB, kGiB),
           integer("ws_merge_ms", &RoomConfig::ws_merge_ms, 0, 500),
           integer("gift_streak_gifts", &RoomConfig::gift_streak_gifts, 1, 10000),
           integer("gift_streak_pause_ms", &RoomConfig::gift_streak_pause_ms, 100, 60000),
           integer("like_window_ms", &RoomConfig::like_window_ms, 100, 60000),
           text("word_filter_file", &RoomConfig::word_filter_file),
           integer("level_weight_online_minute", &RoomConfig::level_weight_online_minute, 0,
                   1000000),
           integer("level_weight_message", &RoomConfig::level_weight_message, 0, 1000000),
           integer("level_weight_like", &RoomConfig::level_weight_like, 0, 1000000),
           integer("level_weight_gift", &RoomConfig::level_weight_gift, 0, 1000000),
           integer("level_weight_membership", &RoomConfig::level_weight_membership, 0, 1000000),
           ascendingList("level_thresholds", &RoomConfig::level_thresholds, 100),
           integer("popularity_weight_online", &RoomConfig::popularity_weight_online, 0, 1000000),
           integer("popularity_weight_message", &RoomConfig::popularity_weight_message, 0, 1000000),
           integer("popularity_weight_like", &RoomConfig::popularity_weight_like, 0, 1000000),
           integer("popularity_weight_gift", &RoomConfig::popularity_weight_gift, 0, 1000000),
           text("word_filter_action", &RoomConfig::word_filter_action,
                [](const std::string& a) -> std::string {
                  return a == "mask" || a == "reject"
                             ? ""
                             : "must be \"mask\" or \"reject\", got \"" + a + "\"";
                })}),
      section("webhook", &Config::webhook,
              {text("url", &WebhookConfig::url,
                    [](const std::string& u) -> std::string {
                      return u.empty() || u.starts_with("http://")
                                 ? ""
                                 : "must be an http:// URL (IPv4 or localhost), got \"" + u + "\"";
                    }),
               text("secret", &WebhookConfig::secret),
               integer("timeout_ms", &WebhookConfig::timeout_ms, 100, 10000),
               boolean("fail_open", &WebhookConfig::fail_open),
               boolean("before_send", &WebhookConfig::before_send),
               boolean("before_join", &WebhookConfig::before_join),
               integer("retries", &WebhookConfig::retries, 0, 10)}),
      section("sidechannel", &Config::sidechannel,
              {idList("events", &SidechannelConfig::events, 16, checkEventKind),
               boolean("compact", &SidechannelConfig::compact),
               boolean("flv", &SidechannelConfig::flv), boolean("hls", &SidechannelConfig::hls),
               integer("id3_merge_ms", &SidechannelConfig::id3_merge_ms, 0, 2000),
               boolean("daterange", &SidechannelConfig::daterange),
               boolean("sei", &SidechannelConfig::sei)}),
      section("record", &Config::record,
              {idList("streams", &RecordConfig::streams, 64, checkStreamPattern),
               text("dir", &RecordConfig::dir, checkPath),
               text("path", &RecordConfig::path, checkPathTemplate),
               text("format", &RecordConfig::format,
                    [](const std::string& f) -> std::string {
                      return f == "fmp4" || f == "flv"
                                 ? ""
                                 : "must be \"fmp4\" or \"flv\", got \"" + f + "\"";
                    }),
               integer("split_ms", &RecordConfig::split_ms, 0, 24LL * 3600 * 1000),
               integer("fragment_ms", &RecordConfig::fragment_ms, 100, 2000),
               integer("max_queued_bytes", &RecordConfig::max_queued_bytes, 1 << 20, 1LL << 30)}),
      section("vod", &Config::vod,
              {boolean("enabled", &VodConfig::enabled), text("dir", &VodConfig::dir, checkPath),
               integer("max_playlists", &VodConfig::max_playlists, 1, 64)}),
      section("web", &Config::web,
              {boolean("enabled", &WebConfig::enabled), text("root", &WebConfig::root, checkPath)}),
      section("webrtc", &Config::webrtc,
              {boolean("enabled", &WebrtcConfig::enabled), listen("listen", &WebrtcConfig::listen),
               idList("announce", &WebrtcConfig::announce, 16, checkIp),
               integer("max_sessions", &WebrtcConfig::max_sessions, 1, 100000),
               integer("max_sessions_per_ip", &WebrtcConfig::max_sessions_per_ip, 1, 10000),
               integer("consent_timeout_ms", &WebrtcConfig::consent_timeout_ms, 5000, 600000),
               integer("handshake_timeout_ms", &WebrtcConfig::handshake_timeout_ms, 1000, 120000),
               integer("mtu", &WebrtcConfig::mtu, 576, 1500),
               text("bearer_token", &WebrtcConfig::bearer_token, checkHeaderValue),
               integer("whip_max_kbps", &WebrtcConfig::whip_max_kbps, 100, 100000)}),
      section("relay", &Config::relay,
              {integer("max_relays", &RelayConfig::max_relays, 0, 1000),
               integer("connect_timeout_ms", &RelayConfig::connect_timeout_ms, 1000, 120000),
               integer("backoff_min_ms", &RelayConfig::backoff_min_ms, 100, 60000),
               integer("backoff_max_ms", &RelayConfig::backoff_max_ms, 100, 600000),
               integer("backoff_reset_ms", &RelayConfig::backoff_reset_ms, 1000, 3600000),
               boolean("tls_verify", &RelayConfig::tls_verify),
               integer("send_buffer_bytes", &RelayConfig::send_buffer_bytes, 0, 64 * kMiB)}),
      section("mixer", &Config::mixer,
              {boolean("enabled", &MixerConfig::enabled),
               integer("threads", &MixerConfig::threads, 0, kMaxMixerThreads),
               integer("max_pipelines", &MixerConfig::maxPipelines, 1, kMaxMixerPipelines),
               integer("queue_frames", &MixerConfig::queueFrames, kMinMixerQueueFrames,
                       kMaxMixerQueueFrames),
               text("assets_dir", &MixerConfig::assetsDir, checkPath),
               text("font", &MixerConfig::font, checkPath),
               integer("max_programs", &MixerConfig::maxPrograms, 1, kMaxMixerPrograms),
               text("slate_color", &MixerConfig::slateColor, checkRgbColor),
               integer("stall_ms", &MixerConfig::stallMs, 100, 10000),
               integer("repeat_ms", &MixerConfig::repeatMs, 0, 60000),
               integer("preview_fps", &MixerConfig::previewFps, 0, 30),
               boolean("audio_variants", &MixerConfig::audioVariants),
               integer("variant_aac_kbps", &MixerConfig::variantAacKbps, 8, 512),
               integer("variant_opus_kbps", &MixerConfig::variantOpusKbps, 8, 512),
               tableArray("profile", &MixerConfig::profiles, readMixerProfiles)}),
  };
  return kRules;
}

// Checks across keys, run once every key is valid. The error is reported at
// `key` if the file sets it, else at `fallbackKey`.
struct CrossRule {
  std::string_view section, key, fallbackKey;
  std::string (*check)(const Config&);
};

const CrossRule kCrossRules[] = {
    {"rtmp", "max_partial_bytes", "max_message_size",
     [](const Config& c) -> std::string {
       if (c.rtmp.max_partial_bytes >= int64_t{c.rtmp.max_message_size}) return {};
       return "must be at least rtmp.max_message_size (" + std::to_string(c.rtmp.max_message_size) +
              "), got " + std::to_string(c.rtmp.max_partial_bytes);
     }},
    {"relay", "backoff_max_ms", "backoff_min_ms",
     [](const Config& c) -> std::string {
       if (c.relay.backoff_max_ms >= c.relay.backoff_min_ms) return {};
       return "must be at least relay.backoff_min_ms (" + std::to_string(c.relay.backoff_min_ms) +
              "), got " + std::to_string(c.relay.backoff_max_ms);
     }},
    {"viewer", "queue_hard_ms", "queue_soft_ms",
     [](const Config& c) -> std::string {
       if (c.viewer.queue_hard_ms > c.viewer.queue_soft_ms) return {};
       return "must be greater than viewer.queue_soft_ms (" +
              std::to_string(c.viewer.queue_soft_ms) + "), got " +
              std::to_string(c.viewer.queue_hard_ms);
     }},
    {"auth", "key", "enabled",
     [](const Config& c) -> std::string {
       if (!c.auth.enabled || c.auth.key.size() >= 16) return {};
       return "must be at least 16 characters when auth.enabled = true, got " +
              std::to_string(c.auth.key.size());
     }},
};

const SectionRule* findSection(std::string_view name) {
  for (const auto& s : rules()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1])});
      diag = up;
    }
  }
  return row[b.size()];
}

// " (did you mean rtmp.chunk_size?)" for a near miss, else "".
std::string suggestion(std::string_view prefix, std::string_view name,
                       const std::vector<std::string_view>& candidates) {
  for (auto c : candidates) {
    if (editDistance(name, c) <= 2)
      return " (did you mean " + std::string(prefix) + std::string(c) + "?)";
  }
  return {};
}

// ---- Validation pass --------------------------------------------------------------

struct Problem {
  bool fromOverride;
  uint32_t line;
  std::string text;
};

class Validator {
 public:
  Validator(const std::string& fileName, const std::set<std::string>& overridden)
      : fileName_(fileName), overridden_(overridden) {}

  Config run(const Value& root, Config config);

 private:
  void checkSection(const std::string& name, const Value& table, Config& config);
  // A problem with `full` ("section.key" or a bare top-level name), located at the
  // value `v` of key `at` (v is null when the key is absent from the file).
  void report(const std::string& full, const std::string& at, const Value* v,
              const std::string& reason, bool prefixKey = true);
  void report(const std::string& full, const Value* v, const std::string& reason,
              bool prefixKey = true) {
    report(full, full, v, reason, prefixKey);
  }

  const std::string& fileName_;
  const std::set<std::string>& overridden_;
  std::vector<Problem> problems_;
};

void Validator::report(const std::string& full, const std::string& at, const Value* v,
                       const std::string& reason, bool prefixKey) {
  if (overridden_.count(at)) {
    bool same = at == full;
    problems_.push_back({true, 0, "--set " + at + ": " + (same ? "" : full + ": ") + reason});
    return;
  }
  uint32_t line = v ? v->location().line() : 0;
  std::string where = line ? fileName_ + ":" + std::to_string(line) : fileName_;
  problems_.push_back({false, line, where + ": " + (prefixKey ? full + ": " : "") + reason});
}

void Validator::checkSection(const std::string& name, const Value& table, Config& config) {
  const SectionRule* rule = findSection(name);
  for (const auto& [key, v] : table.as_table()) {
    std::string full = name + "." + key;
    const KeyRule* keyRule = rule->find(key);
    if (!keyRule) {
      std::vector<std::string_view> names;
      for (const auto& k : rule->keys) names.push_back(k.name);
      report(full, &v, "unknown key " + full + suggestion(name + ".", key, names), false);
      continue;
    }
    if (keyRule->applyParts) {
      for (const auto& p : keyRule->applyParts(v, config)) report(p.key, full, p.at, p.reason);
    } else if (std::string reason = keyRule->apply(v, config); !reason.empty()) {
      report(full, &v, reason);
    }
  }
}

Config Validator::run(const Value& root, Config config) {
  std::vector<std::string_view> sectionNames;
  for (const auto& s : rules()) sectionNames.push_back(s.name);
  for (const auto& [name, v] : root.as_table()) {
    if (!findSection(name)) {
      std::string kind = v.is_table() ? "unknown section " : "unknown key ";
      report(name, &v, kind + name + suggestion("", name, sectionNames), false);
    } else if (!v.is_table()) {
      report(name, &v, "expected a table [" + name + "], got " + tomlTypeName(v));
    } else {
      checkSection(name, v, config);
    }
  }
  if (problems_.empty()) {
    for (const auto& cross : kCrossRules) {
      std::string reason = cross.check(config);
      if (reason.empty()) continue;
      std::string section(cross.section);
      std::string key(cross.key);
      if (!root.contains(section) || !root.at(section).contains(key)) key = cross.fallbackKey;
      const Value* v = root.contains(section) && root.at(section).contains(key)
                           ? &root.at(section).at(key)
                           : nullptr;
      report(section + "." + std::string(cross.key), section + "." + key, v, reason);
    }
  }
  if (problems_.empty()) return config;
  // File problems in line order first, then --set problems in command-line order.
  std::stable_sort(problems_.begin(), problems_.end(), [](const Problem& a, const Problem& b) {
    return std::tie(a.fromOverride, a.line) < std::tie(b.fromOverride, b.line);
  });
  std::string message;
  for (const auto& p : problems_) message += (message.empty() ? "" : "\n") + p.text;
  throw ConfigError(message);
}

// ---- Parsing and overrides --------------------------------------------------------

// toml11 errors are multi-line ("[error] ...\n --> file\n 3 | ..."); keep the gist.
std::string firstLine(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  if (line.rfind("[error] ", 0) == 0) line.erase(0, 8);
  return line;
}

Value parseToml(std::string_view text, const std::string& fileName) {
  std::istringstream in{std::string(text)};
  try {
    Value root = toml::parse(in, fileName);
    if (!root.is_table()) throw ConfigError(fileName + ": not a TOML document");
    return root;
  } catch (const toml::exception& e) {
    throw ConfigError(fileName + ":" + std::to_string(e.location().line()) +
                      ": invalid TOML: " + firstLine(e.what()));
  } catch (const std::out_of_range& e) {  // toml11 reports some number overflows this way
    throw ConfigError(fileName + ": invalid TOML: " + e.what());
  }
}

// The override's value text as TOML, or as a plain string when it is not TOML.
// For a string key, a TOML value of another type also stays raw text ("1234...").
Value overrideValue(const std::string& text, const std::string& full, bool wantsString) {
  if (text.find_first_of("\r\n") == std::string::npos) {
    try {
      std::istringstream in{"v = " + text + "\n"};
      Value doc = toml::parse(in, "--set " + full);
      if (doc.is_table() && doc.as_table().size() == 1 && doc.contains("v") &&
          (!wantsString || doc.at("v").is_string())) {
        return doc.at("v");
      }
    } catch (const std::exception&) {
      // not a TOML value: fall through to a string
    }
  }
  return Value(text);
}

// Applies "section.key=value" strings onto `root`; records the keys in `overridden`.
void applyOverrides(Value& root, const std::vector<std::string>& overrides,
                    std::set<std::string>& overridden) {
  for (const auto& o : overrides) {
    size_t eq = o.find('=');
    std::string full = o.substr(0, eq);
    size_t dot = full.find('.');
    if (eq == std::string::npos || dot == std::string::npos || dot == 0 || dot + 1 == full.size()) {
      throw ConfigError("--set " + o + ": expected section.key=value");
    }
    std::string sectionName = full.substr(0, dot);
    std::string key = full.substr(dot + 1);
    const SectionRule* section = findSection(sectionName);
    const KeyRule* rule = section ? section->find(key) : nullptr;
    if (!rule) throw ConfigError("--set " + full + ": unknown key " + full);
    Value& table = root.as_table()[sectionName];
    if (table.is_uninitialized()) table = toml::table{};
    if (!table.is_table()) continue;  // reported by the validator at the file's line
    table.as_table()[key] = overrideValue(o.substr(eq + 1), full, rule->isString);
    overridden.insert(full);
  }
}

bool isIpv6(std::string_view host) {
  in6_addr addr{};
  return host.size() < INET6_ADDRSTRLEN && host.find('%') == std::string_view::npos &&
         inet_pton(AF_INET6, std::string(host).c_str(), &addr) == 1;
}

bool isIpv4(std::string_view host) {
  int parts = 0;
  while (true) {
    size_t dot = host.find('.');
    std::string_view part = host.substr(0, dot);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
    // NOTE: no leading zeros: "010" is octal to inet_aton but decimal to a human.
    if (part.empty() || part.size() > 3 || ec != std::errc{} || end != part.data() + part.size() ||
        value > 255 || (part.size() > 1 && part[0] == '0')) {
      return false;
    }
    ++parts;
    if (dot == std::string_view::npos) break;
    host.remove_prefix(dot + 1);
  }
  return parts == 4;
}

}  // namespace

std::string checkStreamPattern(const std::string& p) {
  const size_t slash = p.find('/');
  if (p == "*" ||
      (slash != std::string::npos && slash > 0 && slash + 1 < p.size() &&
       p.find('/', slash + 1) == std::string::npos && p.find("..") == std::string::npos))
    return {};
  return "expected \"app/name\", \"app/*\" or \"*\", got \"" + p + "\"";
}

std::string ListenAddress::toString() const {
  return host.find(':') != std::string::npos ? "[" + host + "]:" + std::to_string(port)
                                             : host + ":" + std::to_string(port);
}

std::optional<ListenAddress> parseListenAddress(std::string_view text, std::string& error) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    error = "expected \"ip:port\" or \"[ipv6]:port\", got \"" + std::string(text) + "\"";
    return std::nullopt;
  }
  std::string_view host = text.substr(0, colon);
  std::string_view port = text.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    if (!isIpv6(host)) {
      error = "expected an IPv6 address in the brackets, got \"" + std::string(host) + "\"";
      return std::nullopt;
    }
  } else if (host != "localhost" && !isIpv4(host)) {
    error =
        "host must be an IPv4 address, \"localhost\" or an IPv6 address in brackets "
        "(\"[::]:8000\"), got \"" +
        std::string(host) + "\"";
    return std::nullopt;
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value < 1 ||
      value > 65535) {
    error = "port must be between 1 and 65535, got \"" + std::string(port) + "\"";
    return std::nullopt;
  }
  return ListenAddress{std::string(host), static_cast<uint16_t>(value)};
}

Config parseConfig(std::string_view tomlText, const std::string& fileName,
                   const std::vector<std::string>& overrides) {
  if (tomlText.size() > kMaxFileSize) {
    throw ConfigError(fileName + ": file too large (max " + std::to_string(kMaxFileSize) +
                      " bytes)");
  }
  Value root = parseToml(tomlText, fileName);
  std::set<std::string> overridden;
  applyOverrides(root, overrides, overridden);
  Config defaults;
  defaults.path = fileName;
  Config config = Validator(fileName, overridden).run(root, std::move(defaults));
  // NOTE: a profile given by --set has no line in the file.
  if (overridden.count("mixer.profile"))
    for (auto& profile : config.mixer.profiles) {
      profile.line = 0;
      profile.fieldLines.clear();
    }
  return config;
}

Config loadConfig(const std::string& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot open the config file");
  std::string text;
  char chunk[8192];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    text.append(chunk, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxFileSize) break;  // parseConfig reports the size
  }
  if (in.bad()) throw ConfigError(path + ": read error");
  return parseConfig(text, path, overrides);
}

}  // namespace core
