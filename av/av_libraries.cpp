#include "av/av_libraries.hpp"

#include <dlfcn.h>
#include <spdlog/spdlog.h>

#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <string_view>

#include "av/filter_api.hpp"
#include "av/format_api.hpp"

namespace av {

// One table: loaded once, then read-only.
template <class Api>
struct Table {
  std::once_flag once;
  Api api;
  std::string error;
  bool ok = false;
};

namespace {

// Sonames of the libraries the headers we compiled against belong to.
#define ROOMCAST_SONAME(lib, MAJOR) "lib" #lib ".so." AV_STRINGIFY(MAJOR)

// One dlopen handle per library a table names in its X-macro list.
struct Handles {
  void* avutil = nullptr;
  void* avcodec = nullptr;
  void* avformat = nullptr;
  void* avfilter = nullptr;
  void* swscale = nullptr;
};

bool open(const char* soname, void*& handle, std::string& error) {
  // NOTE: RTLD_LOCAL: their symbols stay out of the global scope; RTLD_NOW: a
  // missing symbol shows up here, not in the middle of a segment. The handles are
  // never closed: a table is read until the process ends, and libraries libavcodec
  // pulls in (C++ codecs with static destructors) are not safe to unload.
  handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (handle) return true;
  const char* why = dlerror();
  error = std::string("cannot load ") + soname + ": " + (why ? why : "unknown error");
  return false;
}

#define ROOMCAST_AV_RESOLVE(lib, fn)                                   \
  table.api.fn = reinterpret_cast<decltype(&::fn)>(dlsym(h.lib, #fn)); \
  if (!table.api.fn) {                                                 \
    table.error = "lib" #lib " has no " #fn;                           \
    return;                                                            \
  }

void loadFormat(Table<FormatApi>& table) {
  Handles h;
  if (!open(ROOMCAST_SONAME(avutil, LIBAVUTIL_VERSION_MAJOR), h.avutil, table.error) ||
      !open(ROOMCAST_SONAME(avcodec, LIBAVCODEC_VERSION_MAJOR), h.avcodec, table.error) ||
      !open(ROOMCAST_SONAME(avformat, LIBAVFORMAT_VERSION_MAJOR), h.avformat, table.error))
    return;
  ROOMCAST_AV_FORMAT_FUNCTIONS(ROOMCAST_AV_RESOLVE)
  table.ok = true;
}

// FFmpeg's log lines into ours (any thread: spdlog is thread-safe). Errors and
// warnings (a corrupt frame, a glyph a font lacks) at debug: a damaged source makes
// many per second; fatal ones as errors. Info and chatter (x264's banner) dropped.
// NOTE: no state of ours: the context's name comes from its own AVClass.
void logFromFfmpeg(void* context, int level, const char* format, va_list args) {
  if (level > AV_LOG_WARNING) return;
  if (level > AV_LOG_FATAL && !spdlog::should_log(spdlog::level::debug)) return;
  char text[1024];
  const int n = vsnprintf(text, sizeof text, format, args);
  if (n <= 0) return;
  std::string_view line(text, std::min<size_t>(static_cast<size_t>(n), sizeof text - 1));
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.empty()) return;
  const AVClass* cls = context ? *static_cast<const AVClass* const*>(context) : nullptr;
  const char* who = cls && cls->item_name ? cls->item_name(context) : "ffmpeg";
  spdlog::log(level <= AV_LOG_FATAL ? spdlog::level::err : spdlog::level::debug, "ffmpeg {}: {}",
              who ? who : "ffmpeg", line);
}

void loadFilter(Table<FilterApi>& table) {
  Handles h;
  if (!open(ROOMCAST_SONAME(avutil, LIBAVUTIL_VERSION_MAJOR), h.avutil, table.error) ||
      !open(ROOMCAST_SONAME(avcodec, LIBAVCODEC_VERSION_MAJOR), h.avcodec, table.error) ||
      !open(ROOMCAST_SONAME(avfilter, LIBAVFILTER_VERSION_MAJOR), h.avfilter, table.error) ||
      !open(ROOMCAST_SONAME(swscale, LIBSWSCALE_VERSION_MAJOR), h.swscale, table.error))
    return;
  ROOMCAST_AV_FILTER_FUNCTIONS(ROOMCAST_AV_RESOLVE)
  table.api.av_log_set_callback(&logFromFfmpeg);
  table.ok = true;
}

#undef ROOMCAST_AV_RESOLVE

template <class Api>
const Api* get(Table<Api>& table, void (*load)(Table<Api>&), std::string& error) {
  // NOTE: call_once publishes the table: whatever the loading thread wrote
  // happens-before every return of this function on any thread.
  std::call_once(table.once, load, table);
  if (!table.ok) {
    error = table.error;
    return nullptr;
  }
  return &table.api;
}

}  // namespace

struct Libraries::Tables {
  Table<FormatApi> format;
  Table<FilterApi> filter;
};

Libraries::Libraries() : tables_(std::make_unique<Tables>()) {}
Libraries::~Libraries() = default;

const FormatApi* Libraries::format(std::string& error) {
  return get(tables_->format, &loadFormat, error);
}

const FilterApi* Libraries::filter(std::string& error) {
  return get(tables_->filter, &loadFilter, error);
}

}  // namespace av
