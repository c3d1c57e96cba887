// StaticFiles: the player page (web/) and the player libraries (hls.js, mpegts.js
// from web/node_modules), read once at start-up and served from memory with an
// ETag (304 on If-None-Match). Built by main(); answers on the loop thread, no file I/O.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/http/http_message.hpp"

namespace http {

class HttpServer;

struct StaticFile {
  std::string urlPath;       // "/", "/app.js", "/vendor/hls.min.js"
  std::string relativePath;  // under the root: "index.html", "node_modules/..."
  std::string contentType;
  std::string cacheControl;
  bool vendor = false;  // a player library installed by npm (scripts/lib.sh)
  bool loaded = false;
  std::string body;
  std::string etag;  // quoted strong validator over the body
};

class StaticFiles {
 public:
  // The files the page needs, not yet read.
  StaticFiles();

  // Reads every known file under `root`. Never throws: a missing or unreadable
  // file is logged as a warning and answered with 404 (the page then tells the
  // user which player library is missing).
  static std::shared_ptr<const StaticFiles> load(const std::string& root);

  // Adds an in-memory file (tests; also what load() does after a read).
  void set(std::string_view urlPath, std::string body);

  const StaticFile* find(std::string_view urlPath) const;
  std::vector<std::string> missing() const;  // relative paths of files not loaded

  // GET/HEAD of a known path: 200 with the body, or 304 when If-None-Match names
  // the current ETag; 404 for an unknown or missing file, 405 for other methods.
  HttpResponse respond(const HttpRequest& req) const;

 private:
  std::vector<StaticFile> files_;
};

// Routes every known path (exact match) to `files`.
void registerStaticFiles(HttpServer& server, std::shared_ptr<const StaticFiles> files);

// True when `ifNoneMatch` (a header value: "*", or a list of possibly weak
// entity tags) matches `etag`. Weak comparison, as RFC 9110 13.1.2 asks for GET.
bool etagMatches(std::string_view ifNoneMatch, std::string_view etag);

}  // namespace http
