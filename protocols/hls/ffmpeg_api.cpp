#include "protocols/hls/ffmpeg_api.hpp"

#include <dlfcn.h>

namespace hls {
namespace {

// Sonames of the libraries the headers we compiled against belong to.
#define ROOMCAST_SONAME(lib, MAJOR) "lib" #lib ".so." AV_STRINGIFY(MAJOR)

struct Loaded {
  FfmpegApi api;
  std::string error;
  bool ok = false;
};

bool loadLibrary(const char* soname, void*& handle, std::string& error) {
  // NOTE: RTLD_LOCAL: their symbols stay out of the global scope; RTLD_NOW: a
  // missing symbol shows up here, not in the middle of a segment.
  handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (handle) return true;
  const char* why = dlerror();
  error = std::string("cannot load ") + soname + ": " + (why ? why : "unknown error");
  return false;
}

Loaded load() {
  Loaded out;
  void* avutil = nullptr;
  void* avcodec = nullptr;
  void* avformat = nullptr;
  if (!loadLibrary(ROOMCAST_SONAME(avutil, LIBAVUTIL_VERSION_MAJOR), avutil, out.error) ||
      !loadLibrary(ROOMCAST_SONAME(avcodec, LIBAVCODEC_VERSION_MAJOR), avcodec, out.error) ||
      !loadLibrary(ROOMCAST_SONAME(avformat, LIBAVFORMAT_VERSION_MAJOR), avformat, out.error))
    return out;
#define ROOMCAST_FFMPEG_RESOLVE(lib, fn)                           \
  out.api.fn = reinterpret_cast<decltype(&::fn)>(dlsym(lib, #fn)); \
  if (!out.api.fn) {                                               \
    out.error = "lib" #lib " has no " #fn;                         \
    return out;                                                    \
  }
  ROOMCAST_FFMPEG_FUNCTIONS(ROOMCAST_FFMPEG_RESOLVE)
#undef ROOMCAST_FFMPEG_RESOLVE
  out.ok = true;
  return out;
}

}  // namespace

const FfmpegApi* ffmpegApi(std::string& error) {
  static const Loaded loaded = load();
  if (!loaded.ok) {
    error = loaded.error;
    return nullptr;
  }
  return &loaded.api;
}

}  // namespace hls
