// WebhookSender against a real HttpServer on 127.0.0.1: the seed IM's query
// string, the signature, reply parsing, notify retries and give-up.
#include "protocols/http/webhook_sender.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/test/unit_test.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/auth/query_string.hpp"
#include "core/loop/event_loop.hpp"
#include "core/loop/timer.hpp"
#include "protocols/http/http_server.hpp"
#include "tests/unit/run_loop.hpp"

using namespace http;
using nlohmann::json;

namespace {

// Independent of WebhookSender::signature: OpenSSL's EVP_MAC-free one-shot HMAC.
std::string expectedSignature(const std::string& secret, const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  std::string hex = "sha256=";
  char two[3];
  for (unsigned int i = 0; i < len; ++i) {
    snprintf(two, sizeof two, "%02x", mac[i]);
    hex += two;
  }
  return hex;
}

struct Fixture {
  core::EventLoop loop;
  std::unique_ptr<HttpServer> server =
      std::make_unique<HttpServer>(loop, "127.0.0.1", 0, HttpOptions{});
  std::vector<HttpRequest> requests;
  std::vector<std::unique_ptr<core::Timer>> timers;
  int failFirst = 0;  // /flaky answers 500 this many times, then 200

  Fixture() { addRoutes(*server); }

  void addRoutes(HttpServer& s) {
    s.routePrefix("POST", "/", [this](const HttpRequest& req, HttpExchange& ex) {
      requests.push_back(req);
      if (req.path == "/hook") {
        json reply = {{"ActionStatus", "OK"}, {"ErrorCode", 0}, {"ErrorInfo", ""}};
        auto body = json::parse(req.body, nullptr, false);
        if (body.is_object() && body.contains("want")) reply["ErrorCode"] = body["want"];
        if (body.is_object() && body.contains("want")) reply["ErrorInfo"] = "refused by test";
        return HttpResponse::json(200, reply.dump());
      }
      if (req.path == "/text") {
        HttpResponse r;
        r.contentType = "text/plain";
        r.body = "OK";
        return r;
      }
      if (req.path == "/fail") return HttpResponse::json(500, "{\"ErrorCode\":0}");
      if (req.path == "/nocode") return HttpResponse::json(200, "{\"ActionStatus\":\"OK\"}");
      if (req.path == "/strcode") return HttpResponse::json(200, "{\"ErrorCode\":\"1\"}");
      if (req.path == "/array") return HttpResponse::json(200, "[0]");
      if (req.path == "/deep")  // 30,000 levels in 60 KB: a copy of its value overflows
        return HttpResponse::json(200, "{\"ErrorCode\":0,\"MsgBody\":" + std::string(30000, '[') +
                                           std::string(30000, ']') + "}");
      if (req.path == "/flaky") {
        if (failFirst > 0) {
          --failFirst;
          return HttpResponse::json(503, "{}");
        }
        return HttpResponse::json(200, "{\"ErrorCode\":0}");
      }
      if (req.path == "/slow") {
        auto responder = ex.defer();
        auto t = std::make_unique<core::Timer>(loop, [responder] {
          responder->respond(HttpResponse::json(200, "{\"ErrorCode\":0}"));
        });
        t->start(3000);
        timers.push_back(std::move(t));
        return HttpResponse{};
      }
      return HttpResponse::error(404, "no such route");
    });
  }

  std::string url(const std::string& path) const {
    // Port 1 while the server is down: the test overrides the URL then.
    return "http://127.0.0.1:" + std::to_string(server ? server->port() : 1) + path;
  }
  WebhookOptions options(const std::string& path) const {
    WebhookOptions o;
    o.url = url(path);
    o.appId = 1400000001;
    o.retryDelayMs = 20;
    return o;
  }

  bool runUntil(const std::function<bool()>& done, uint64_t timeoutMs = 3000) {
    return testing_loop::runUntil(loop, done, timeoutMs);
  }
  void runFor(uint64_t ms) { testing_loop::runFor(loop, ms); }

  WebhookReply callOnce(WebhookSender& sender, const json& body,
                        const std::string& command = "Group.CallbackBeforeSendMsg") {
    int calls = 0;
    bool returned = false;
    bool synchronous = false;
    WebhookReply reply;
    sender.call(command, body, "10.1.2.3", [&](WebhookReply r) {
      ++calls;
      synchronous = !returned;
      reply = std::move(r);
    });
    returned = true;
    BOOST_REQUIRE(runUntil([&] { return calls > 0; }, 5000));
    runFor(10);
    BOOST_TEST(calls == 1);
    BOOST_TEST(!synchronous);
    return reply;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(query_string_carries_every_field_and_signature_verifies, Fixture) {
  WebhookOptions o = options("/hook?token=a%20b");
  o.secret = "s3cret-key";
  WebhookSender sender(loop, o);
  const json body = {
      {"CallbackCommand", "Group.CallbackBeforeSendMsg"},
      {"GroupId", "room 1"},
      {"From_Account", "jared"},
      {"MsgBody",
       json::array({{{"MsgType", "TIMTextElem"}, {"MsgContent", {{"Text", "red packet"}}}}})}};
  int calls = 0;
  sender.call(
      "Group.CallbackBeforeSendMsg", body, "2001:db8::1&x=y", [&](WebhookReply) { ++calls; },
      "Web");
  BOOST_REQUIRE(runUntil([&] { return calls == 1; }));
  BOOST_REQUIRE(requests.size() == 1u);
  const HttpRequest& req = requests[0];
  BOOST_TEST(req.path == "/hook");
  auto q = core::QueryString::parse(req.query);
  BOOST_REQUIRE(q.ok());
  BOOST_TEST(q.params().size() == 6u);
  BOOST_TEST(*q.find("token") == "a b");
  BOOST_TEST(*q.find("SdkAppid") == "1400000001");
  BOOST_TEST(*q.find("CallbackCommand") == "Group.CallbackBeforeSendMsg");
  BOOST_TEST(*q.find("contenttype") == "json");
  BOOST_TEST(*q.find("ClientIP") == "2001:db8::1&x=y");  // encoded, not split
  BOOST_TEST(q.count("x") == 0u);
  BOOST_TEST(*q.find("OptPlatform") == "Web");
  BOOST_TEST(req.query.find("ClientIP=2001%3Adb8%3A%3A1%26x%3Dy") != std::string::npos);
  BOOST_TEST(json::parse(req.body) == body);
  BOOST_TEST(*req.header("content-type") == "application/json");
  const std::string* sig = req.header("x-roomcast-signature");
  BOOST_REQUIRE(sig);
  BOOST_TEST(*sig == expectedSignature("s3cret-key", req.body));
  BOOST_TEST(*sig != expectedSignature("other-key", req.body));
  BOOST_TEST(WebhookSender::signature("s3cret-key", req.body) == *sig);

  // No secret: no signature header; default platform; '?' without a query yet.
  WebhookSender plain(loop, options("/hook"));
  BOOST_TEST(plain.buildUrl("State.StateChange", "1.2.3.4", "") ==
             url("/hook") +
                 "?SdkAppid=1400000001&CallbackCommand=State.StateChange&contenttype=json&"
                 "ClientIP=1.2.3.4&OptPlatform=RESTAPI");
  callOnce(plain, json::object());
  BOOST_REQUIRE(requests.size() == 2u);
  BOOST_TEST(!requests[1].header("x-roomcast-signature"));
}

BOOST_FIXTURE_TEST_CASE(call_reads_error_codes_and_rejects_bad_replies, Fixture) {
  WebhookSender deliver(loop, options("/hook"));
  auto ok = callOnce(deliver, {{"Text", "hi"}});
  BOOST_TEST(ok.ok);
  BOOST_TEST(ok.errorCode == 0);
  BOOST_TEST(ok.error == "");
  BOOST_TEST(ok.status == 200);
  BOOST_TEST(ok.body["ActionStatus"] == "OK");

  auto refuse = callOnce(deliver, {{"want", 1}});
  BOOST_TEST(refuse.ok);
  BOOST_TEST(refuse.errorCode == 1);
  BOOST_TEST(refuse.errorInfo == "refused by test");

  auto custom = callOnce(deliver, {{"want", 10150}});
  BOOST_TEST(custom.errorCode == 10150);

  auto huge = callOnce(deliver, {{"want", 1LL << 40}});
  BOOST_TEST(!huge.ok);
  BOOST_TEST(huge.error == "reply ErrorCode out of range");

  const std::vector<std::pair<std::string, std::string>> bad = {
      {"/text", "reply is not JSON"},
      {"/fail", "HTTP 500"},
      {"/missing", "HTTP 404"},
      {"/nocode", "reply has no integer ErrorCode"},
      {"/strcode", "reply has no integer ErrorCode"},
      {"/array", "reply is not a JSON object"},
      {"/deep", "reply is nested deeper than 64 levels"},
  };
  for (const auto& [path, why] : bad) {
    WebhookSender sender(loop, options(path));
    auto r = callOnce(sender, json::object());
    BOOST_TEST(!r.ok, path);
    BOOST_TEST(r.error == why, path << ": " << r.error);
    BOOST_TEST(sender.stats().callFailures == 1u);
  }
  BOOST_TEST(deliver.stats().calls == 4u);
  BOOST_TEST(deliver.stats().callFailures == 1u);

  // Invalid UTF-8 in user text never throws: replaced, still valid JSON.
  auto bytes = callOnce(deliver, {{"Text", std::string("bad \xff\xfe bytes")}});
  BOOST_TEST(bytes.ok);
  BOOST_TEST(json::accept(requests.back().body));
}

BOOST_FIXTURE_TEST_CASE(call_times_out_and_refused_is_an_error, Fixture) {
  WebhookOptions o = options("/slow");
  o.timeoutMs = 200;
  WebhookSender slow(loop, o);
  auto r = callOnce(slow, json::object());
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.error.find("timeout after 200 ms") != std::string::npos, r.error);
  BOOST_TEST(r.elapsedMs >= 195);
  BOOST_TEST(r.elapsedMs <= 350);

  const uint16_t port = server->port();
  server.reset();
  runFor(10);
  WebhookOptions ro = options("/hook");
  ro.url = "http://127.0.0.1:" + std::to_string(port) + "/hook";
  WebhookSender gone(loop, ro);
  auto g = callOnce(gone, json::object());
  BOOST_TEST(!g.ok);
  BOOST_TEST(g.error.find("connection refused") != std::string::npos, g.error);

  // Not a URL the client can use: a start-up error, not a failure per call.
  for (const std::string u : {"http://hooks.example.com/im", "https://127.0.0.1/im", "", "x"}) {
    WebhookOptions bad = options("/hook");
    bad.url = u;
    BOOST_CHECK_THROW(WebhookSender(loop, bad), std::invalid_argument);
  }
}

BOOST_FIXTURE_TEST_CASE(notify_retries_until_the_receiver_answers, Fixture) {
  failFirst = 2;
  WebhookSender sender(loop, options("/flaky"));
  sender.notify("Group.CallbackAfterSendMsg", {{"MsgSeq", 7}}, "1.2.3.4");
  BOOST_REQUIRE(runUntil([&] { return sender.stats().succeeded == 1; }));
  BOOST_TEST(requests.size() == 3u);
  BOOST_TEST(sender.stats().retried == 2u);
  BOOST_TEST(sender.stats().failed == 0u);
  BOOST_TEST(sender.stats().dropped == 0u);
  for (const auto& req : requests) BOOST_TEST(json::parse(req.body)["MsgSeq"] == 7);

  // The receiver is down at first (refused), then starts listening on its port.
  const uint16_t port = server->port();
  server.reset();
  runFor(10);
  requests.clear();
  WebhookOptions o = options("/hook");
  o.url = "http://127.0.0.1:" + std::to_string(port) + "/hook";
  o.retries = 5;
  o.retryDelayMs = 30;
  WebhookSender late(loop, o);
  late.notify("State.StateChange", {{"Info", {{"Action", "Login"}}}}, "1.2.3.4");
  runFor(40);  // first attempt refused; the retry waits 30 ms, then 60
  BOOST_TEST(late.stats().succeeded == 0u);
  BOOST_TEST(requests.empty());
  server = std::make_unique<HttpServer>(loop, "127.0.0.1", port, HttpOptions{});
  addRoutes(*server);
  BOOST_REQUIRE(runUntil([&] { return late.stats().succeeded == 1; }, 3000));
  BOOST_TEST(late.stats().retried >= 1u);
  BOOST_TEST(late.stats().failed == 0u);
  BOOST_TEST(requests.size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(notify_gives_up_after_retries, Fixture) {
  WebhookOptions o = options("/fail");
  o.retries = 2;
  WebhookSender sender(loop, o);
  sender.notify("Group.CallbackAfterSendMsg", json::object(), "1.2.3.4");
  BOOST_REQUIRE(runUntil([&] { return sender.stats().failed == 1; }));
  runFor(200);                        // no further attempt
  BOOST_TEST(requests.size() == 3u);  // 1 + retries
  BOOST_TEST(sender.stats().retried == 2u);
  BOOST_TEST(sender.stats().succeeded == 0u);

  // retries = 0: one attempt only.
  requests.clear();
  o.retries = 0;
  WebhookSender once(loop, o);
  once.notify("X", json::object(), "");
  BOOST_REQUIRE(runUntil([&] { return once.stats().failed == 1; }));
  runFor(100);
  BOOST_TEST(requests.size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(notify_drops_beyond_the_queue, Fixture) {
  WebhookOptions o = options("/slow");
  o.maxInFlight = 1;
  o.maxQueue = 1;
  o.timeoutMs = 5000;
  WebhookSender sender(loop, o);
  for (int i = 0; i < 4; ++i) sender.notify("X", {{"i", i}}, "");
  BOOST_REQUIRE(runUntil([&] { return sender.stats().dropped == 2; }, 500));
  BOOST_TEST(sender.stats().failed == 0u);
}

BOOST_FIXTURE_TEST_CASE(destroying_the_sender_cancels_silently, Fixture) {
  int calls = 0;
  {
    WebhookOptions o = options("/slow");
    o.retries = 3;
    o.retryDelayMs = 50;
    WebhookSender sender(loop, o);
    for (int i = 0; i < 3; ++i)
      sender.call("Group.CallbackBeforeSendMsg", json::object(), "",
                  [&](WebhookReply) { ++calls; });
    sender.notify("X", json::object(), "");
    WebhookSender failing(loop, options("/fail"));
    failing.notify("X", json::object(), "");  // a retry timer will be pending
    runFor(30);
    BOOST_TEST(calls == 0);
  }
  runFor(200);
  BOOST_TEST(calls == 0);
}
