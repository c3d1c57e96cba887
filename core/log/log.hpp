// Process-wide logging setup: one spdlog default logger ("roomcast") on a stderr
// color sink. Owned by main.cpp, which calls initLogging() once at start-up (and
// again on SIGHUP); any thread may log afterwards through spdlog::info(...) etc.
#pragma once

#include <spdlog/spdlog.h>

#include <optional>
#include <string>
#include <string_view>

namespace core {

// The level names the config accepts, in increasing severity.
inline constexpr std::string_view kLogLevelNames[] = {"trace", "debug", "info", "warn", "error"};

// "trace" | "debug" | "info" | "warn" | "error" -> spdlog level; anything else -> nullopt.
std::optional<spdlog::level::level_enum> parseLogLevel(std::string_view name);

// Installs the "roomcast" logger as spdlog's default logger (first call) and sets
// its level. Pattern: "2024-01-31 12:00:00.123 info    [roomcast] message".
// Throws std::invalid_argument on an unknown level name.
void initLogging(const std::string& level);

// The default logger, for code that wants a reference (e.g. to check levels).
spdlog::logger& logger();

}  // namespace core
