#include "core/log/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <stdexcept>

namespace core {

namespace {
constexpr const char* kLoggerName = "roomcast";
// Local time with milliseconds, colored level padded to 5, logger name, message.
constexpr const char* kPattern = "%Y-%m-%d %H:%M:%S.%e %^%-7l%$ [%n] %v";
}  // namespace

std::optional<spdlog::level::level_enum> parseLogLevel(std::string_view name) {
  using spdlog::level::level_enum;
  if (name == "trace") return level_enum::trace;
  if (name == "debug") return level_enum::debug;
  if (name == "info") return level_enum::info;
  if (name == "warn") return level_enum::warn;
  if (name == "error") return level_enum::err;
  return std::nullopt;
}

void initLogging(const std::string& level) {
  auto parsed = parseLogLevel(level);
  if (!parsed) throw std::invalid_argument("unknown log level '" + level + "'");
  auto current = spdlog::default_logger();
  if (!current || current->name() != kLoggerName) {
    // NOTE: stderr, not stdout: stdout may carry data (e.g. a piped recording).
    auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    auto created = std::make_shared<spdlog::logger>(kLoggerName, std::move(sink));
    created->set_pattern(kPattern);
    spdlog::set_default_logger(created);
    current = std::move(created);
  }
  current->set_level(*parsed);
  current->flush_on(spdlog::level::warn);
}

spdlog::logger& logger() {
  return *spdlog::default_logger_raw();
}

}  // namespace core
