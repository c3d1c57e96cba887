#include "protocols/http/static_files.hpp"

#include <spdlog/spdlog.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "protocols/http/http_message.hpp"
#include "protocols/http/http_server.hpp"

namespace http {
namespace {

// A web file larger than this is refused: the page and both players are < 1 MiB.
constexpr std::uintmax_t kMaxFileSize = 32 * 1024 * 1024;

constexpr const char* kHtml = "text/html; charset=utf-8";
constexpr const char* kJs = "text/javascript; charset=utf-8";
constexpr const char* kCss = "text/css; charset=utf-8";
// NOTE: the page changes with the server: always revalidate (a 304 is cheap).
// The libraries change only with an npm upgrade: an hour of freshness is fine.
constexpr const char* kRevalidate = "no-cache";
constexpr const char* kVendorCache = "public, max-age=3600";

std::string makeEtag(std::string_view body) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a 64
  for (unsigned char c : body) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[48];
  std::snprintf(buf, sizeof buf, "\"%zx-%016llx\"", body.size(),
                static_cast<unsigned long long>(h));
  return buf;
}

// Reads a regular file of at most kMaxFileSize bytes; "" or the reason in `error`.
bool readFile(const std::filesystem::path& path, std::string& out, std::string& error) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) {
    error = "not found";
    return false;
  }
  if (!std::filesystem::is_regular_file(status)) {
    error = "not a regular file";
    return false;
  }
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    error = ec.message();
    return false;
  }
  if (size > kMaxFileSize) {
    error = "larger than " + std::to_string(kMaxFileSize) + " bytes";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open";
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    error = "read error";
    return false;
  }
  out = std::move(ss).str();
  return true;
}

}  // namespace

StaticFiles::StaticFiles() {
  auto add = [this](const char* url, const char* rel, const char* type, bool vendor) {
    StaticFile f;
    f.urlPath = url;
    f.relativePath = rel;
    f.contentType = type;
    f.cacheControl = vendor ? kVendorCache : kRevalidate;
    f.vendor = vendor;
    files_.push_back(std::move(f));
  };
  add("/", "index.html", kHtml, false);
  add("/app.js", "app.js", kJs, false);
  add("/chat.js", "chat.js", kJs, false);
  add("/admin.js", "admin.js", kJs, false);
  add("/caster.js", "caster.js", kJs, false);
  add("/api.js", "api.js", kJs, false);
  add("/sidechannel.js", "sidechannel.js", kJs, false);
  add("/whep.js", "whep.js", kJs, false);
  add("/whip.js", "whip.js", kJs, false);
  add("/golive.js", "golive.js", kJs, false);
  add("/style.css", "style.css", kCss, false);
  add("/vendor/hls.min.js", "node_modules/hls.js/dist/hls.min.js", kJs, true);
  add("/vendor/mpegts.js", "node_modules/mpegts.js/dist/mpegts.js", kJs, true);
}

std::shared_ptr<const StaticFiles> StaticFiles::load(const std::string& root) {
  auto files = std::make_shared<StaticFiles>();
  std::error_code ec;
  const std::filesystem::path base = std::filesystem::absolute(root, ec);
  for (StaticFile& f : files->files_) {
    std::string body, error;
    if (!readFile(base / f.relativePath, body, error)) {
      if (f.vendor) {
        spdlog::warn(
            "web: player library {} missing ({}): {} will answer 404; install it with "
            "`npm ci` in {} (scripts/run does)",
            (base / f.relativePath).string(), error, f.urlPath, base.string());
      } else {
        spdlog::warn("web: {}: {}; {} will answer 404", (base / f.relativePath).string(), error,
                     f.urlPath);
      }
      continue;
    }
    files->set(f.urlPath, std::move(body));
  }
  spdlog::info("web: serving the player page from {} ({} of {} files loaded)", base.string(),
               files->files_.size() - files->missing().size(), files->files_.size());
  return files;
}

void StaticFiles::set(std::string_view urlPath, std::string body) {
  for (StaticFile& f : files_) {
    if (f.urlPath != urlPath) continue;
    f.etag = makeEtag(body);
    f.body = std::move(body);
    f.loaded = true;
    return;
  }
}

const StaticFile* StaticFiles::find(std::string_view urlPath) const {
  if (urlPath == "/index.html") urlPath = "/";
  for (const StaticFile& f : files_) {
    if (f.urlPath == urlPath) return &f;
  }
  return nullptr;
}

std::vector<std::string> StaticFiles::missing() const {
  std::vector<std::string> out;
  for (const StaticFile& f : files_) {
    if (!f.loaded) out.push_back(f.relativePath);
  }
  return out;
}

HttpResponse StaticFiles::respond(const HttpRequest& req) const {
  if (req.method != "GET") {  // a HEAD arrives as GET (HttpRequest::head)
    HttpResponse r = HttpResponse::error(405, "method not allowed: " + req.method);
    r.headers["Allow"] = "GET, HEAD";
    return r;
  }
  const StaticFile* f = find(req.path);
  if (!f) return HttpResponse::error(404, "no such resource: " + req.path);
  if (!f->loaded) {
    return HttpResponse::error(404, (f->vendor ? "player library missing on the server: "
                                               : "web file missing on the server: ") +
                                        f->relativePath);
  }
  HttpResponse r;
  r.headers["ETag"] = f->etag;
  r.headers["Cache-Control"] = f->cacheControl;
  r.headers["X-Content-Type-Options"] = "nosniff";
  const std::string* inm = req.header("if-none-match");
  if (inm && etagMatches(*inm, f->etag)) {
    r.status = 304;
    r.contentType.clear();
    return r;
  }
  r.status = 200;
  r.contentType = f->contentType;
  r.body = f->body;
  return r;
}

bool etagMatches(std::string_view ifNoneMatch, std::string_view etag) {
  auto weakless = [](std::string_view t) {
    t = trimOws(t);
    if (t.starts_with("W/")) t.remove_prefix(2);
    return t;
  };
  const std::string_view want = weakless(etag);
  if (want.empty()) return false;
  while (!ifNoneMatch.empty()) {
    const size_t comma = ifNoneMatch.find(',');
    const std::string_view item = ifNoneMatch.substr(0, comma);
    if (trimOws(item) == "*" || weakless(item) == want) return true;
    if (comma == std::string_view::npos) break;
    ifNoneMatch.remove_prefix(comma + 1);
  }
  return false;
}

void registerStaticFiles(HttpServer& server, std::shared_ptr<const StaticFiles> files) {
  server.route([files](const HttpRequest& r) { return files->find(r.path) != nullptr; },
               [files](const HttpRequest& req, HttpExchange&) { return files->respond(req); });
}

}  // namespace http
