#include "mixer/playlist_spec.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>

#include "core/media/stream_name.hpp"
#include "mixer/spec_reader.hpp"
#include "mixer/vod_path.hpp"

namespace mixer {

namespace {

// Unix ms from 2000-01-01 to 2200-01-01: a start_at outside is a mistake.
constexpr int64_t kPlaylistMinStartAtMs = 946684800000;
constexpr int64_t kPlaylistMaxStartAtMs = 7258118400000;

bool playlistDigits(std::string_view s, size_t at, size_t n, int& out) {
  if (at + n > s.size()) return false;
  out = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

bool playlistStartAt(const nlohmann::json& v, const std::string& path, int64_t& out,
                     std::string& error) {
  if (v.is_number()) {
    const double ms = v.get<double>();
    if (!std::isfinite(ms) || ms < static_cast<double>(kPlaylistMinStartAtMs) ||
        ms > static_cast<double>(kPlaylistMaxStartAtMs)) {
      error = path + ": unix milliseconds between the years 2000 and 2200";
      return false;
    }
    out = static_cast<int64_t>(ms);
    return true;
  }
  if (v.is_string()) {
    if (auto ms = parseIsoTimeMs(v.get<std::string>());
        ms && *ms >= kPlaylistMinStartAtMs && *ms <= kPlaylistMaxStartAtMs) {
      out = *ms;
      return true;
    }
  }
  error = path + ": must be unix milliseconds or an ISO 8601 time (\"2026-12-07T22:00:00Z\")";
  return false;
}

bool playlistItems(const nlohmann::json* list, std::vector<PlaylistItem>& out, std::string& error) {
  if (!list || !list->is_array() || list->empty() || list->size() > kMaxPlaylistItems) {
    error = fmt::format("items: must be a list of 1..{} items", kMaxPlaylistItems);
    return false;
  }
  out.clear();
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string path = fmt::format("items[{}]", i);
    SpecReader r((*list)[i], path, error);
    PlaylistItem item;
    if (!r.isObject() || !r.text("file", item.file, kMaxVodPathBytes, /*required=*/true))
      return false;
    if (std::string why = VodPath::check(item.file); !why.empty())
      return r.fail("file", "\"" + item.file.substr(0, 200) + "\" " + why);
    if (const nlohmann::json* at = r.get("start_at"); at && !at->is_null()) {
      int64_t ms = 0;
      if (!playlistStartAt(*at, path + ".start_at", ms, error)) return false;
      item.startAt = ms;
    }
    if (!r.noUnknownFields()) return false;
    out.push_back(std::move(item));
  }
  return true;
}

}  // namespace

std::optional<int64_t> parseIsoTimeMs(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM|-HH:MM]
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!playlistDigits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !playlistDigits(s, 5, 2, mo) ||
      s[7] != '-' || !playlistDigits(s, 8, 2, d) ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !playlistDigits(s, 11, 2, h) ||
      s[13] != ':' || !playlistDigits(s, 14, 2, mi) || s[16] != ':' ||
      !playlistDigits(s, 17, 2, sec))
    return std::nullopt;
  if (h > 23 || mi > 59 || sec > 60) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(mo),
                                        std::chrono::day(d)};
  if (!ymd.ok()) return std::nullopt;
  size_t at = 19;
  int64_t fracMs = 0;
  if (at < s.size() && s[at] == '.') {
    ++at;
    int64_t scale = 100;
    const size_t first = at;
    while (at < s.size() && s[at] >= '0' && s[at] <= '9') {
      fracMs += (s[at] - '0') * scale;
      scale /= 10;
      ++at;
    }
    if (at == first) return std::nullopt;
  }
  int64_t offsetMin = 0;
  if (at < s.size() && (s[at] == 'Z' || s[at] == 'z')) {
    ++at;
  } else if (at < s.size() && (s[at] == '+' || s[at] == '-')) {
    int oh = 0, om = 0;
    if (!playlistDigits(s, at + 1, 2, oh) || at + 3 >= s.size() || s[at + 3] != ':' ||
        !playlistDigits(s, at + 4, 2, om) || oh > 23 || om > 59)
      return std::nullopt;
    offsetMin = (s[at] == '+' ? 1 : -1) * (oh * 60 + om);
    at += 6;
  } else {
    return std::nullopt;  // a time without a zone is ambiguous
  }
  if (at != s.size()) return std::nullopt;
  const int64_t days = std::chrono::sys_days(ymd).time_since_epoch().count();
  const int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - offsetMin * 60;
  return secs * 1000 + fracMs;
}

std::optional<PlaylistSpec> PlaylistSpec::parse(const nlohmann::json& body, std::string& error) {
  SpecReader r(body, "", error);
  PlaylistSpec s;
  std::string output;
  if (!r.isObject() || !r.text("output", output, 256, /*required=*/true)) return std::nullopt;
  const size_t slash = output.find('/');
  if (slash == std::string::npos || !core::isValidStreamName(output.substr(0, slash)) ||
      !core::isValidStreamName(output.substr(slash + 1))) {
    r.fail("output", "\"" + output.substr(0, 200) + "\" is not \"app/name\"");
    return std::nullopt;
  }
  s.app = output.substr(0, slash);
  s.name = output.substr(slash + 1);
  if (!playlistItems(r.get("items"), s.items, error) || !r.boolean("loop", s.loop) ||
      !r.noUnknownFields())
    return std::nullopt;
  return s;
}

std::optional<PlaylistSpec> PlaylistSpec::patched(const nlohmann::json& body,
                                                  std::string& error) const {
  SpecReader r(body, "", error);
  PlaylistSpec s = *this;
  if (!r.isObject() || !r.boolean("loop", s.loop)) return std::nullopt;
  if (const nlohmann::json* items = r.get("items"); items && !playlistItems(items, s.items, error))
    return std::nullopt;
  if (!r.noUnknownFields()) {
    error += " (a playlist's items and loop can change; its output cannot)";
    return std::nullopt;
  }
  return s;
}

nlohmann::json PlaylistSpec::toJson() const {
  nlohmann::json items = nlohmann::json::array();
  for (const PlaylistItem& item : this->items) {
    nlohmann::json j = {{"file", item.file}};
    if (item.startAt) j["start_at"] = *item.startAt;
    items.push_back(std::move(j));
  }
  return {{"output", key()}, {"items", std::move(items)}, {"loop", loop}};
}

}  // namespace mixer
