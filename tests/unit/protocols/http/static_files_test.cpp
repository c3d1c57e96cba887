#include "protocols/http/static_files.hpp"

#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <string>

using http::HttpRequest;
using http::StaticFiles;

namespace {

HttpRequest get(const std::string& path, const std::string& ifNoneMatch = {},
                const std::string& method = "GET") {
  HttpRequest r;
  // NOTE: HttpConnection hands a HEAD to routes as a GET marked `head`.
  r.method = method == "HEAD" ? "GET" : method;
  r.head = method == "HEAD";
  r.path = path;
  if (!ifNoneMatch.empty()) r.headers["if-none-match"] = ifNoneMatch;
  return r;
}

// A temporary web root, removed at the end of the test.
struct TempRoot {
  std::filesystem::path dir;
  TempRoot() {
    char tmpl[] = "/tmp/roomcast-static-XXXXXX";
    dir = mkdtemp(tmpl);
  }
  ~TempRoot() { std::filesystem::remove_all(dir); }
  void write(const std::string& rel, const std::string& body) {
    std::filesystem::create_directories((dir / rel).parent_path());
    std::ofstream(dir / rel, std::ios::binary) << body;
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(serves_loaded_files_with_type_and_etag) {
  TempRoot root;
  root.write("index.html", "<!doctype html><title>x</title>");
  root.write("app.js", "export {};");
  root.write("chat.js", "export {};");
  root.write("admin.js", "export {};");
  root.write("caster.js", "export {};");
  root.write("api.js", "export {};");
  root.write("sidechannel.js", "export {};");
  root.write("whep.js", "export {};");
  root.write("whip.js", "export {};");
  root.write("golive.js", "export {};");
  root.write("style.css", "body{}");
  root.write("node_modules/hls.js/dist/hls.min.js", "var Hls=1;");
  root.write("node_modules/mpegts.js/dist/mpegts.js", "var mpegts=1;");
  auto files = StaticFiles::load(root.dir.string());
  BOOST_TEST(files->missing().empty());

  auto r = files->respond(get("/"));
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.contentType == "text/html; charset=utf-8");
  BOOST_TEST(r.body == "<!doctype html><title>x</title>");
  BOOST_TEST(r.headers["Cache-Control"] == "no-cache");
  const std::string etag = r.headers["ETag"];
  BOOST_TEST_REQUIRE(etag.size() > 2u);
  BOOST_TEST(etag.front() == '"');
  BOOST_TEST(etag.back() == '"');
  BOOST_TEST(files->respond(get("/index.html")).body == r.body);

  BOOST_TEST(files->respond(get("/app.js")).contentType == "text/javascript; charset=utf-8");
  BOOST_TEST(files->respond(get("/style.css")).contentType == "text/css; charset=utf-8");
  auto hls = files->respond(get("/vendor/hls.min.js"));
  BOOST_TEST(hls.status == 200);
  BOOST_TEST(hls.body == "var Hls=1;");
  BOOST_TEST(hls.headers["Cache-Control"] == "public, max-age=3600");
  BOOST_TEST(files->respond(get("/vendor/mpegts.js")).body == "var mpegts=1;");
  // Different content, different validator.
  BOOST_TEST(hls.headers["ETag"] != etag);

  // Revalidation: 304 without a body; a stale tag gets the full file.
  auto nm = files->respond(get("/", etag));
  BOOST_TEST(nm.status == 304);
  BOOST_TEST(nm.body.empty());
  BOOST_TEST(nm.headers["ETag"] == etag);
  BOOST_TEST(files->respond(get("/", "W/" + etag)).status == 304);
  BOOST_TEST(files->respond(get("/", "\"other\", " + etag)).status == 304);
  BOOST_TEST(files->respond(get("/", "\"other\"")).status == 200);
  BOOST_TEST(files->respond(get("/", etag, "HEAD")).status == 304);
  BOOST_TEST(files->respond(get("/app.js", {}, "HEAD")).status == 200);
}

BOOST_AUTO_TEST_CASE(missing_files_are_404_not_a_crash) {
  TempRoot root;
  root.write("index.html", "page");
  auto files = StaticFiles::load(root.dir.string());
  const auto missing = files->missing();
  // app.js, chat.js, admin.js, caster.js, api.js, sidechannel.js, whep.js, whip.js,
  // golive.js, style.css, hls.js, mpegts.js
  BOOST_TEST(missing.size() == 12u);
  auto r = files->respond(get("/vendor/hls.min.js"));
  BOOST_TEST(r.status == 404);
  BOOST_TEST(r.body.find("player library missing") != std::string::npos);
  BOOST_TEST(r.body.find("node_modules/hls.js/dist/hls.min.js") != std::string::npos);
  BOOST_TEST(files->respond(get("/app.js")).status == 404);
  BOOST_TEST(files->respond(get("/")).status == 200);

  // A root that does not exist: everything 404, nothing thrown.
  auto none = StaticFiles::load((root.dir / "nope").string());
  BOOST_TEST(none->missing().size() == 13u);
  BOOST_TEST(none->respond(get("/")).status == 404);
}

BOOST_AUTO_TEST_CASE(unknown_paths_methods_and_odd_files) {
  TempRoot root;
  root.write("index.html", "page");
  std::filesystem::create_directories(root.dir / "app.js");  // a directory, not a file
  auto files = StaticFiles::load(root.dir.string());
  BOOST_TEST(files->respond(get("/app.js")).status == 404);
  BOOST_TEST(files->find("/../index.html") == nullptr);
  BOOST_TEST(files->find("/vendor/") == nullptr);
  BOOST_TEST(files->find("/index.html/") == nullptr);
  BOOST_TEST(files->respond(get("/etc/passwd")).status == 404);
  auto post = files->respond(get("/", {}, "POST"));
  BOOST_TEST(post.status == 405);
  BOOST_TEST(post.headers["Allow"] == "GET, HEAD");
  // An empty file is served (empty body, valid tag).
  TempRoot root2;
  root2.write("index.html", "");
  auto empty = StaticFiles::load(root2.dir.string());
  auto r = empty->respond(get("/"));
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.body.empty());
  BOOST_TEST(!r.headers["ETag"].empty());
}

BOOST_AUTO_TEST_CASE(etag_matching) {
  using http::etagMatches;
  BOOST_TEST(etagMatches("\"a\"", "\"a\""));
  BOOST_TEST(etagMatches(" W/\"a\" ", "\"a\""));
  BOOST_TEST(etagMatches("\"b\",\"a\"", "\"a\""));
  BOOST_TEST(etagMatches("*", "\"a\""));
  BOOST_TEST(!etagMatches("\"b\"", "\"a\""));
  BOOST_TEST(!etagMatches("", "\"a\""));
  BOOST_TEST(!etagMatches(",,,", "\"a\""));
  BOOST_TEST(!etagMatches("\"a", "\"a\""));
  BOOST_TEST(!etagMatches("\"a\"", ""));
}
