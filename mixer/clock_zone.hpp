// ClockZone: a clock overlay's time zone ("UTC", "+05:30" or an IANA name read from a
// TZif file) as UTC offsets over time, without the process-wide TZ/localtime. Built
// and used on the VideoWorker thread (it reads a file); const methods from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mixer {

inline constexpr const char* kZoneinfoDir = "/usr/share/zoneinfo";

// A clock between two transitions of its zone: what its drawtext's text is built
// from (overlay_filters.hpp clockText).
struct ClockState {
  int64_t ptsOffsetMs = 0;            // epoch ms at pts 0 + the zone's UTC offset
  int32_t utcOffset = 0;              // seconds east of UTC, for %z
  std::string abbreviation = "UTC";   // for %Z
  std::optional<int64_t> validUntil;  // epoch s of the zone's next transition: reinit then
  bool operator==(const ClockState&) const = default;
};

class ClockZone {
 public:
  // One local-time type: offset east of UTC and abbreviation ("CEST").
  struct Type {
    int32_t utcOffset = 0;
    std::string abbreviation;
  };

  // `tz` as overlay_spec's validTimeZone takes it; an IANA name is read from
  // `zoneinfoDir`/<tz> (bounded). nullopt with `error` naming the zone and the reason.
  static std::optional<ClockZone> parse(std::string_view tz, std::string& error,
                                        const std::string& zoneinfoDir = kZoneinfoDir);

  const std::string& name() const { return name_; }
  int32_t offsetAt(int64_t epochSeconds) const { return typeAt(epochSeconds).utcOffset; }
  std::string abbreviationAt(int64_t epochSeconds) const {
    return typeAt(epochSeconds).abbreviation;
  }
  // The first instant after `epochSeconds` at which the offset or the abbreviation
  // changes, or nullopt (a fixed offset, or no rule after the last transition).
  std::optional<int64_t> nextTransitionAfter(int64_t epochSeconds) const;

  // The clock's state at `nowEpochSeconds`, for frames whose pts 0 was at
  // `epochMsAtPtsZero` wall-clock time.
  ClockState stateAt(int64_t epochMsAtPtsZero, int64_t nowEpochSeconds) const;

 private:
  // The POSIX TZ string of a TZif footer ("CET-1CEST,M3.5.0,M10.5.0/3"): times after
  // the last transition. Only the rule forms Mm.w.d, Jn and n.
  struct Rule {
    char kind = 'M';  // 'M', 'J' or 'n'
    int month = 0, week = 0, day = 0;
    int32_t time = 7200;  // seconds after local midnight
  };
  struct Footer {
    Type standard;
    std::optional<Type> dst;
    Rule start, end;  // DST from `start` (standard time) to `end` (DST time)
  };

  const Type& typeAt(int64_t t) const;
  bool parseTzif(const std::string& bytes, std::string& error);
  // One TZif data block (sizes checked by parseTzif): transitions and types.
  bool readTzifData(const unsigned char* d, uint32_t timecnt, uint32_t typecnt, uint32_t charcnt,
                    size_t timeBytes, std::string& error);
  static std::optional<Footer> parseFooter(std::string_view s);
  // The footer's transitions in the year of `t` and the next: (instant, type).
  std::vector<std::pair<int64_t, const Type*>> footerTransitions(int64_t t) const;

  std::string name_;
  std::vector<int64_t> times_;   // transition instants, ascending
  std::vector<uint8_t> typeOf_;  // the type from each transition on
  std::vector<Type> types_;      // types_[0]: before the first transition
  std::optional<Footer> footer_;
};

}  // namespace mixer
