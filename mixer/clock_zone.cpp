#include "mixer/clock_zone.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "mixer/overlay_spec.hpp"

namespace mixer {

namespace {

// The largest file in Debian's tzdata ("fat" TZif) is under 4 KB; 64 KB bounds a
// read of anything else put there.
constexpr size_t kMaxTzifBytes = 64 * 1024;
constexpr size_t kTzifHeaderBytes = 44;
constexpr uint32_t kMaxTransitions = 8192;
constexpr uint32_t kMaxTypes = 256;
constexpr uint32_t kMaxAbbreviationBytes = 256;
constexpr uint32_t kMaxLeapRecords = 256;
constexpr int64_t kDay = 86400;

uint32_t be32(const unsigned char* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}

int64_t be64(const unsigned char* p) {
  return static_cast<int64_t>(uint64_t{be32(p)} << 32 | be32(p + 4));
}

// Days since 1970-01-01 of a proleptic Gregorian date (month 1..12).
int64_t daysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool leapYear(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int64_t floorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

bool readZoneFile(const std::string& path, std::string& out, std::string& reason) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    reason = errno == ENOENT || errno == ENOTDIR ? "no such zone" : std::strerror(errno);
    return false;
  }
  struct stat st {};
  bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
            static_cast<uint64_t>(st.st_size) <= kMaxTzifBytes;
  if (!ok) reason = "not a zone file";
  out.assign(ok ? static_cast<size_t>(st.st_size) : 0, '\0');
  size_t got = 0;
  while (ok && got < out.size()) {
    ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      reason = n < 0 ? std::strerror(errno) : "short read";
      ok = false;
      break;
    }
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  return ok;
}

// POSIX TZ pieces: a name ("CET" or "<+0530>"), an offset or time ("-1", "2:30:00").
bool tzName(std::string_view& s, std::string& name) {
  size_t n = 0;
  if (!s.empty() && s[0] == '<') {
    size_t close = s.find('>');
    if (close == std::string_view::npos || close < 4) return false;
    name = std::string(s.substr(1, close - 1));
    s.remove_prefix(close + 1);
    return true;
  }
  while (n < s.size() && std::isalpha(static_cast<unsigned char>(s[n]))) ++n;
  if (n < 3) return false;
  name = std::string(s.substr(0, n));
  s.remove_prefix(n);
  return true;
}

bool tzTime(std::string_view& s, int32_t& seconds, int maxHours) {
  int sign = 1;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    sign = s[0] == '-' ? -1 : 1;
    s.remove_prefix(1);
  }
  int32_t total = 0;
  for (int part = 0; part < 3; ++part) {
    if (part > 0) {
      if (s.empty() || s[0] != ':') break;
      s.remove_prefix(1);
    }
    int v = 0, digits = 0;
    while (!s.empty() && std::isdigit(static_cast<unsigned char>(s[0])) && digits < 3) {
      v = v * 10 + (s[0] - '0');
      s.remove_prefix(1);
      ++digits;
    }
    if (digits == 0 || (part == 0 ? v > maxHours : v > 59)) return false;
    total += v * (part == 0 ? 3600 : part == 1 ? 60 : 1);
  }
  seconds = sign * total;
  return true;
}

bool tzNumber(std::string_view& s, int& v, int lo, int hi) {
  v = 0;
  int digits = 0;
  while (!s.empty() && std::isdigit(static_cast<unsigned char>(s[0])) && digits < 3) {
    v = v * 10 + (s[0] - '0');
    s.remove_prefix(1);
    ++digits;
  }
  return digits > 0 && v >= lo && v <= hi;
}

}  // namespace

std::optional<ClockZone> ClockZone::parse(std::string_view tz, std::string& error,
                                          const std::string& zoneinfoDir) {
  ClockZone z;
  z.name_ = std::string(tz);
  if (!validTimeZone(tz)) {
    error = fmt::format("time zone \"{}\": not UTC, +hh:mm or an IANA zone name", z.name_);
    return std::nullopt;
  }
  if (tz == "UTC") {
    z.types_ = {{0, "UTC"}};
    return z;
  }
  if (tz[0] == '+' || tz[0] == '-') {
    int32_t minutes =
        ((tz[1] - '0') * 10 + (tz[2] - '0')) * 60 + (tz[4] - '0') * 10 + (tz[5] - '0');
    int32_t offset = (tz[0] == '-' ? -60 : 60) * minutes;
    z.types_ = {{offset, fmt::format("{}{}{}", tz[0], tz.substr(1, 2), tz.substr(4, 2))}};
    return z;
  }
  std::string bytes, reason;
  std::string path = zoneinfoDir + "/" + z.name_;
  if (!readZoneFile(path, bytes, reason) || !z.parseTzif(bytes, reason)) {
    error = fmt::format("time zone {}: {}", z.name_, reason);
    return std::nullopt;
  }
  return z;
}

bool ClockZone::parseTzif(const std::string& bytes, std::string& error) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t size = bytes.size();
  if (size < kTzifHeaderBytes || std::memcmp(p, "TZif", 4) != 0) {
    error = "not a TZif file";
    return false;
  }
  // RFC 8536: a version 1 block (32-bit times), then for version 2+ a second header
  // and block with 64-bit times, then a footer "\n<POSIX TZ>\n".
  bool v2 = p[4] >= '2';
  size_t at = 0;
  for (int block = 0; block < (v2 ? 2 : 1); ++block) {
    if (size - at < kTzifHeaderBytes || std::memcmp(p + at, "TZif", 4) != 0) {
      error = "truncated TZif header";
      return false;
    }
    const unsigned char* h = p + at + 20;
    uint32_t isut = be32(h), isstd = be32(h + 4), leap = be32(h + 8), timecnt = be32(h + 12),
             typecnt = be32(h + 16), charcnt = be32(h + 20);
    if (timecnt > kMaxTransitions || typecnt == 0 || typecnt > kMaxTypes ||
        charcnt > kMaxAbbreviationBytes || leap > kMaxLeapRecords || isut > typecnt ||
        isstd > typecnt) {
      error = "TZif counts out of bounds";
      return false;
    }
    size_t timeBytes = v2 && block == 1 ? 8 : 4;
    size_t data = timecnt * timeBytes + timecnt + typecnt * 6 + charcnt + leap * (timeBytes + 4) +
                  isstd + isut;
    at += kTzifHeaderBytes;
    if (size - at < data) {
      error = "truncated TZif data";
      return false;
    }
    if (block == (v2 ? 1 : 0) && !readTzifData(p + at, timecnt, typecnt, charcnt, timeBytes, error))
      return false;
    at += data;
  }
  if (v2 && at < size && p[at] == '\n') {
    size_t end = bytes.find('\n', at + 1);
    if (end != std::string::npos)
      footer_ = parseFooter(std::string_view(bytes).substr(at + 1, end - at - 1));
  }
  return true;
}

bool ClockZone::readTzifData(const unsigned char* d, uint32_t timecnt, uint32_t typecnt,
                             uint32_t charcnt, size_t timeBytes, std::string& error) {
  times_.resize(timecnt);
  typeOf_.resize(timecnt);
  for (uint32_t i = 0; i < timecnt; ++i)
    times_[i] = timeBytes == 8 ? be64(d + i * 8) : static_cast<int32_t>(be32(d + i * 4));
  d += timecnt * timeBytes;
  const unsigned char* chars = d + timecnt + typecnt * 6;
  for (uint32_t i = 0; i < timecnt; ++i) {
    typeOf_[i] = d[i];
    if (d[i] >= typecnt || (i > 0 && times_[i] <= times_[i - 1])) {
      error = "bad TZif transition";
      return false;
    }
  }
  d += timecnt;
  for (uint32_t i = 0; i < typecnt; ++i, d += 6) {
    uint8_t idx = d[5];
    if (idx >= charcnt || !std::memchr(chars + idx, '\0', charcnt - idx)) {
      error = "bad TZif abbreviation";
      return false;
    }
    types_.push_back({static_cast<int32_t>(be32(d)), reinterpret_cast<const char*>(chars + idx)});
  }
  return true;
}

std::optional<ClockZone::Footer> ClockZone::parseFooter(std::string_view s) {
  Footer f;
  int32_t posix = 0;
  if (!tzName(s, f.standard.abbreviation) || !tzTime(s, posix, 24)) return std::nullopt;
  f.standard.utcOffset = -posix;  // POSIX counts west of UTC
  if (s.empty()) return f;
  Type dst{f.standard.utcOffset + 3600, {}};
  if (!tzName(s, dst.abbreviation)) return std::nullopt;
  if (!s.empty() && s[0] != ',') {
    if (!tzTime(s, posix, 24)) return std::nullopt;
    dst.utcOffset = -posix;
  }
  f.dst = dst;
  for (Rule* r : {&f.start, &f.end}) {
    if (s.empty() || s[0] != ',') return std::nullopt;
    s.remove_prefix(1);
    if (s.empty()) return std::nullopt;
    r->kind = s[0] == 'M' || s[0] == 'J' ? s[0] : 'n';
    if (r->kind != 'n') s.remove_prefix(1);
    if (r->kind == 'M') {
      if (!tzNumber(s, r->month, 1, 12) || s.empty() || s[0] != '.') return std::nullopt;
      s.remove_prefix(1);
      if (!tzNumber(s, r->week, 1, 5) || s.empty() || s[0] != '.') return std::nullopt;
      s.remove_prefix(1);
      if (!tzNumber(s, r->day, 0, 6)) return std::nullopt;
    } else if (!tzNumber(s, r->day, r->kind == 'J' ? 1 : 0, 365)) {
      return std::nullopt;
    }
    if (!s.empty() && s[0] == '/') {
      s.remove_prefix(1);
      if (!tzTime(s, r->time, 167)) return std::nullopt;  // RFC 8536 allows -167..167 h
    }
  }
  if (!s.empty()) return std::nullopt;
  return f;
}

std::vector<std::pair<int64_t, const ClockZone::Type*>> ClockZone::footerTransitions(
    int64_t t) const {
  std::vector<std::pair<int64_t, const Type*>> out;
  if (!footer_ || !footer_->dst) return out;
  const Footer& f = *footer_;
  // The local day (days since the epoch) on which `r` falls in year `y`.
  auto dayOf = [](const Rule& r, int64_t y) -> int64_t {
    int64_t jan1 = daysFromCivil(y, 1, 1);
    if (r.kind == 'J') return jan1 + r.day - 1 + (leapYear(y) && r.day >= 60 ? 1 : 0);
    if (r.kind == 'n') return jan1 + r.day;
    int64_t first = daysFromCivil(y, r.month, 1);
    int64_t next = r.month == 12 ? daysFromCivil(y + 1, 1, 1) : daysFromCivil(y, r.month + 1, 1);
    int64_t weekday = ((first + 4) % 7 + 7) % 7;  // 1970-01-01 was a Thursday
    int64_t day = first + (r.day - weekday + 7) % 7 + (r.week - 1) * 7;
    while (day >= next) day -= 7;
    return day;
  };
  int64_t year = 1970 + floorDiv(t, 31556952);  // within a year of t's
  for (int64_t y = year - 1; y <= year + 1; ++y) {
    out.push_back({dayOf(f.start, y) * kDay + f.start.time - f.standard.utcOffset, &*f.dst});
    out.push_back({dayOf(f.end, y) * kDay + f.end.time - f.dst->utcOffset, &f.standard});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

const ClockZone::Type& ClockZone::typeAt(int64_t t) const {
  // After the last transition the footer's rule holds (RFC 8536 section 3.3).
  if (footer_ && (times_.empty() || t > times_.back())) {
    const Type* current = &footer_->standard;
    for (const auto& [at, type] : footerTransitions(t)) {
      if (at <= t) current = type;
    }
    return *current;
  }
  if (times_.empty() || t < times_.front()) return types_.front();
  auto it = std::upper_bound(times_.begin(), times_.end(), t);
  return types_[typeOf_[static_cast<size_t>(it - times_.begin()) - 1]];
}

std::optional<int64_t> ClockZone::nextTransitionAfter(int64_t t) const {
  const Type& now = typeAt(t);
  auto differs = [&now](const Type& x) {
    return x.utcOffset != now.utcOffset || x.abbreviation != now.abbreviation;
  };
  for (auto it = std::upper_bound(times_.begin(), times_.end(), t); it != times_.end(); ++it) {
    if (differs(types_[typeOf_[static_cast<size_t>(it - times_.begin())]])) return *it;
  }
  if (!footer_ || !footer_->dst) return std::nullopt;
  int64_t from = times_.empty() ? t : std::max(t, times_.back());
  for (int64_t probe = from; probe < from + 3 * 366 * kDay; probe += 366 * kDay) {
    for (const auto& [at, type] : footerTransitions(probe)) {
      if (at > from && differs(*type)) return at;
    }
  }
  return std::nullopt;
}

ClockState ClockZone::stateAt(int64_t epochMsAtPtsZero, int64_t nowEpochSeconds) const {
  const Type& type = typeAt(nowEpochSeconds);
  ClockState s;
  s.utcOffset = type.utcOffset;
  s.abbreviation = type.abbreviation;
  s.ptsOffsetMs = epochMsAtPtsZero + int64_t{type.utcOffset} * 1000;
  s.validUntil = nextTransitionAfter(nowEpochSeconds);
  return s;
}

}  // namespace mixer
