#include "mixer/logo_image.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <memory>

#include "av/av_error.hpp"
#include "av/filter_api.hpp"

namespace mixer {

namespace {

constexpr unsigned char kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

struct SwsDeleter {
  decltype(&::sws_freeContext) free = nullptr;
  void operator()(SwsContext* c) const {
    if (c) free(c);
  }
};

bool readLogoFile(const std::string& path, std::string& out, std::string& error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    error = path + ": " + (errno == ENOENT ? "no such file" : std::strerror(errno));
    return false;
  }
  struct stat st {};
  bool ok = ::fstat(fd, &st) == 0;
  if (!ok || !S_ISREG(st.st_mode)) {
    error = path + ": not a regular file";
    ok = false;
  } else if (static_cast<uint64_t>(st.st_size) > kMaxLogoFileBytes) {
    error = fmt::format("{}: {} bytes, more than the {} MB a logo may have", path, st.st_size,
                        kMaxLogoFileBytes >> 20);
    ok = false;
  }
  out.assign(ok ? static_cast<size_t>(st.st_size) : 0, '\0');
  size_t got = 0;
  while (ok && got < out.size()) {
    ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = path + ": " + (n < 0 ? std::strerror(errno) : "changed while read");
      ok = false;
    } else {
      got += static_cast<size_t>(n);
    }
  }
  ::close(fd);
  return ok;
}

// NOTE: the size in the IHDR chunk is checked before decoding: a small file can
// declare a picture of gigabytes (the decoder's max_pixels guards it too).
bool checkDeclaredSize(const std::string& path, const std::string& bytes, std::string& error) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() < 24 || std::memcmp(p, kPngSignature, 8) != 0 ||
      std::memcmp(p + 12, "IHDR", 4) != 0)
    return true;  // not a PNG: the decoder says so
  auto be32 = [](const unsigned char* q) {
    return uint32_t{q[0]} << 24 | uint32_t{q[1]} << 16 | uint32_t{q[2]} << 8 | uint32_t{q[3]};
  };
  uint32_t w = be32(p + 16), h = be32(p + 20);
  if (w <= static_cast<uint32_t>(kMaxLogoSide) && h <= static_cast<uint32_t>(kMaxLogoSide))
    return true;
  error = fmt::format("{}: {}x{} is larger than {}x{}", path, w, h, kMaxLogoSide, kMaxLogoSide);
  return false;
}

av::FramePtr decode(const av::FilterApi& api, const std::string& path, const std::string& bytes,
                    std::string& error) {
  auto fail = [&](const std::string& reason) {
    error = "cannot decode " + path + ": " + reason;
    return av::FramePtr(nullptr, {api.av_frame_free});
  };
  // NOTE: a JPEG (an image layer's photo) by its SOI marker; anything else goes to
  // the png decoder, which names what is wrong with it.
  const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
  const bool jpeg = bytes.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF;
  const AVCodec* codec = api.avcodec_find_decoder(jpeg ? AV_CODEC_ID_MJPEG : AV_CODEC_ID_PNG);
  if (!codec)
    return fail(jpeg ? "this FFmpeg has no mjpeg decoder" : "this FFmpeg has no png decoder");
  av::CodecContextPtr ctx = av::makeCodecContext(api, codec);
  av::PacketPtr packet = av::makePacket(api);
  av::FramePtr frame = av::makeFrame(api);
  if (!ctx || !packet || !frame) return fail("out of memory");
  ctx->thread_count = 1;
  ctx->max_pixels = int64_t{kMaxLogoSide} * kMaxLogoSide;
  int rc = api.avcodec_open2(ctx.get(), codec, nullptr);
  if (rc >= 0) rc = api.av_new_packet(packet.get(), static_cast<int>(bytes.size()));
  if (rc < 0) return fail(av::averror(api, rc));
  std::memcpy(packet->data, bytes.data(), bytes.size());
  packet->flags |= AV_PKT_FLAG_KEY;
  rc = api.avcodec_send_packet(ctx.get(), packet.get());
  if (rc >= 0) rc = api.avcodec_send_packet(ctx.get(), nullptr);  // drain: one picture
  if (rc >= 0) rc = api.avcodec_receive_frame(ctx.get(), frame.get());
  if (rc == AVERROR_EOF) return fail("no picture");
  if (rc < 0) return fail(av::averror(api, rc));
  if (frame->width <= 0 || frame->height <= 0 || frame->width > kMaxLogoSide ||
      frame->height > kMaxLogoSide)
    return fail(fmt::format("a {}x{} picture", frame->width, frame->height));
  return frame;
}

// `src` as RGBA `width` wide (0: its own), keeping its aspect; alpha times `opacity`.
av::FramePtr toRgba(const av::FilterApi& api, const std::string& path, const AVFrame* src,
                    int width, double opacity, std::string& error) {
  int w = width > 0 ? width : src->width;
  int h =
      width > 0 ? static_cast<int>(std::lround(double(src->height) * w / src->width)) : src->height;
  h = std::max(h, 1);
  if (h > kMaxLogoSide) {
    error = fmt::format("{}: {}x{} scaled to {} wide is {} high, more than {}", path, src->width,
                        src->height, w, h, kMaxLogoSide);
    return av::FramePtr(nullptr, {api.av_frame_free});
  }
  av::FramePtr out = av::makeFrame(api);
  if (!out) return out;
  out->width = w;
  out->height = h;
  out->format = AV_PIX_FMT_RGBA;
  std::unique_ptr<SwsContext, SwsDeleter> sws(
      api.sws_getContext(src->width, src->height, static_cast<AVPixelFormat>(src->format), w, h,
                         AV_PIX_FMT_RGBA, SWS_BICUBIC, nullptr, nullptr, nullptr),
      {api.sws_freeContext});
  const char* from = api.av_get_pix_fmt_name(static_cast<AVPixelFormat>(src->format));
  int rc = sws ? api.av_frame_get_buffer(out.get(), 0) : -1;
  if (rc >= 0)
    rc = api.sws_scale(sws.get(), src->data, src->linesize, 0, src->height, out->data,
                       out->linesize);
  if (!sws || rc <= 0) {
    error = fmt::format("cannot convert {}: {} {}x{} to rgba {}x{}", path, from ? from : "?",
                        src->width, src->height, w, h);
    return av::FramePtr(nullptr, {api.av_frame_free});
  }
  if (opacity < 1.0) {
    double k = std::clamp(opacity, 0.0, 1.0);
    for (int y = 0; y < h; ++y) {
      uint8_t* px = out->data[0] + static_cast<ptrdiff_t>(y) * out->linesize[0];
      for (int x = 0; x < w; ++x)
        px[x * 4 + 3] = static_cast<uint8_t>(std::lround(px[x * 4 + 3] * k));
    }
  }
  out->pts = 0;
  return out;
}

}  // namespace

std::optional<LogoImage> LogoImage::load(const av::FilterApi& api, const std::string& path,
                                         int width, double opacity, std::string& error) {
  if (width < 0 || width > kMaxLogoSide || !std::isfinite(opacity)) {
    error = fmt::format("{}: width {} out of 0..{}", path, width, kMaxLogoSide);
    return std::nullopt;
  }
  std::string bytes;
  if (!readLogoFile(path, bytes, error) || !checkDeclaredSize(path, bytes, error))
    return std::nullopt;
  if (bytes.empty()) {
    error = "cannot decode " + path + ": empty file";
    return std::nullopt;
  }
  av::FramePtr decoded = decode(api, path, bytes, error);
  if (!decoded) return std::nullopt;
  av::FramePtr rgba = toRgba(api, path, decoded.get(), width, opacity, error);
  if (!rgba) {
    if (error.empty()) error = path + ": out of memory";
    return std::nullopt;
  }
  return LogoImage(std::move(rgba));
}

}  // namespace mixer
