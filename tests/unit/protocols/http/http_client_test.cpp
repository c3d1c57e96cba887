// HttpClient against a real HttpServer (and a raw socket server for hostile
// replies) on 127.0.0.1.
#include "protocols/http/http_client.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/loop/event_loop.hpp"
#include "core/loop/tcp_connection.hpp"
#include "core/loop/tcp_listener.hpp"
#include "core/loop/timer.hpp"
#include "protocols/http/http_server.hpp"
#include "tests/unit/run_loop.hpp"

using namespace http;

namespace {

int64_t steadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Answers every request with fixed bytes, then closes (or not).
struct RawServer {
  struct Conn : core::TcpConnection::Handler {
    RawServer& server;
    std::unique_ptr<core::TcpConnection> tcp;
    std::string seen;
    bool answered = false;
    Conn(RawServer& s, std::unique_ptr<core::TcpConnection> t) : server(s), tcp(std::move(t)) {}
    void onData(std::span<const uint8_t> bytes) override {
      seen.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      if (answered || seen.find("\r\n\r\n") == std::string::npos) return;
      answered = true;
      tcp->write(core::SharedBuffer::copyOf(server.reply));
      if (server.closeAfter) tcp->close();
    }
    void onDisconnect(std::string_view) override {}
  };
  std::string reply;
  bool closeAfter = true;
  std::vector<std::unique_ptr<Conn>> conns;
  core::TcpListener listener;

  explicit RawServer(core::EventLoop& loop)
      : listener(loop, "127.0.0.1", 0, [this](std::unique_ptr<core::TcpConnection> tcp) {
          auto c = std::make_unique<Conn>(*this, std::move(tcp));
          c->tcp->setHandler(c.get());
          c->tcp->startReading();
          conns.push_back(std::move(c));
        }) {}
  std::string url() const { return "http://127.0.0.1:" + std::to_string(listener.port()) + "/"; }
};

struct Fixture {
  core::EventLoop loop;
  HttpServer server{loop, "127.0.0.1", 0, HttpOptions{}};
  std::vector<std::shared_ptr<HttpResponder>> held;  // /never: answered by nobody
  std::vector<std::unique_ptr<core::Timer>> timers;
  std::vector<HttpRequest> requests;
  int current = 0;
  int maxCurrent = 0;

  Fixture() {
    route("/json", [this](const HttpRequest& req, HttpExchange&) {
      return HttpResponse::json(
          200, "{\"ErrorCode\":0,\"len\":" + std::to_string(req.body.size()) + "}");
    });
    route("/text", [](const HttpRequest&, HttpExchange&) {
      HttpResponse r;
      r.contentType = "text/plain";
      r.body = "hello, not json";
      return r;
    });
    route("/fail", [](const HttpRequest&, HttpExchange&) {
      return HttpResponse::json(500, "{\"error\":\"boom\"}");
    });
    route("/big", [](const HttpRequest&, HttpExchange&) {
      return HttpResponse::json(200, std::string(100 * 1024, 'x'));
    });
    route("/never", [this](const HttpRequest&, HttpExchange& ex) {
      held.push_back(ex.defer());
      return HttpResponse{};
    });
    // /slow?ms=N answers after N ms; /count counts requests held at once.
    route("/slow", [this](const HttpRequest& req, HttpExchange& ex) {
      const int ms = std::stoi(req.query.substr(req.query.find('=') + 1));
      answerLater(ex.defer(), ms);
      return HttpResponse{};
    });
    route("/count", [this](const HttpRequest&, HttpExchange& ex) {
      maxCurrent = std::max(maxCurrent, ++current);
      answerLater(ex.defer(), 40, true);
      return HttpResponse{};
    });
  }

  void route(const std::string& prefix, RouteHandler handler) {
    server.routePrefix("POST", prefix, [this, handler](const HttpRequest& req, HttpExchange& ex) {
      requests.push_back(req);
      return handler(req, ex);
    });
  }

  void answerLater(std::shared_ptr<HttpResponder> responder, int ms, bool counted = false) {
    auto timer = std::make_unique<core::Timer>(loop, [this, responder, counted] {
      if (counted) --current;
      responder->respond(HttpResponse::json(200, "{\"ErrorCode\":0,\"slow\":true}"));
    });
    timer->start(static_cast<uint64_t>(ms));
    timers.push_back(std::move(timer));
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(server.port()) + path;
  }

  bool runUntil(const std::function<bool()>& done, uint64_t timeoutMs = 3000) {
    return testing_loop::runUntil(loop, done, timeoutMs);
  }
  void runFor(uint64_t ms) { testing_loop::runFor(loop, ms); }

  // Posts once and runs until the result; checks done ran once and not inside post.
  HttpClientResult postOnce(HttpClient& client, const std::string& url, int64_t timeoutMs = 2000,
                            std::map<std::string, std::string> headers = {},
                            std::string body = "{\"a\":1}") {
    int calls = 0;
    bool returned = false;
    bool synchronous = false;
    HttpClientResult result;
    client.post(url, std::move(body), headers, timeoutMs, [&](HttpClientResult r) {
      ++calls;
      synchronous = !returned;
      result = std::move(r);
    });
    returned = true;
    BOOST_TEST(calls == 0);
    BOOST_REQUIRE(runUntil([&] { return calls > 0; }, static_cast<uint64_t>(timeoutMs) + 2000));
    runFor(20);  // a second call would show up here
    BOOST_TEST(calls == 1);
    BOOST_TEST(!synchronous);
    return result;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(posts_json_and_reads_the_reply, Fixture) {
  HttpClient client(loop);
  auto r = postOnce(client, url("/json?x=1&y=%20"), 2000, {{"X-Test", "yes"}}, "{\"hello\":42}");
  BOOST_TEST(r.error == "");
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.body == "{\"ErrorCode\":0,\"len\":12}");
  BOOST_TEST(r.elapsedMs >= 0);
  BOOST_TEST(r.elapsedMs < 1000);
  BOOST_REQUIRE(requests.size() == 1u);
  const HttpRequest& req = requests[0];
  BOOST_TEST(req.method == "POST");
  BOOST_TEST(req.path == "/json");
  BOOST_TEST(req.query == "x=1&y=%20");
  BOOST_TEST(req.body == "{\"hello\":42}");
  BOOST_TEST(*req.header("content-type") == "application/json");
  BOOST_TEST(*req.header("x-test") == "yes");
  BOOST_TEST(*req.header("host") == "127.0.0.1:" + std::to_string(server.port()));
  BOOST_TEST(*req.header("connection") == "close");
  BOOST_TEST(client.inFlight() == 0u);
}

BOOST_FIXTURE_TEST_CASE(localhost_is_accepted_and_errors_keep_their_status, Fixture) {
  HttpClient client(loop);
  auto text = postOnce(client, "http://localhost:" + std::to_string(server.port()) + "/text");
  BOOST_TEST(text.error == "");
  BOOST_TEST(text.status == 200);
  BOOST_TEST(text.body == "hello, not json");
  auto fail = postOnce(client, url("/fail"));
  BOOST_TEST(fail.error == "");
  BOOST_TEST(fail.status == 500);
  BOOST_TEST(fail.body == "{\"error\":\"boom\"}");
}

BOOST_FIXTURE_TEST_CASE(slow_reply_within_the_deadline_is_waited_for, Fixture) {
  HttpClient client(loop);
  auto r = postOnce(client, url("/slow?ms=150"), 1000);
  BOOST_TEST(r.error == "");
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.elapsedMs >= 140);
  BOOST_TEST(r.elapsedMs < 900);
}

BOOST_FIXTURE_TEST_CASE(timeout_fires_within_the_deadline, Fixture) {
  HttpClient client(loop);
  const int64_t t0 = steadyMs();
  auto slow = postOnce(client, url("/slow?ms=3000"), 200);
  const int64_t wall = steadyMs() - t0;
  BOOST_TEST(slow.status == 0);
  BOOST_TEST(slow.error.find("timeout after 200 ms") != std::string::npos, slow.error);
  BOOST_TEST(slow.error.find("waiting for the response") != std::string::npos, slow.error);
  BOOST_TEST(slow.elapsedMs >= 195);
  BOOST_TEST(slow.elapsedMs <= 350);
  BOOST_TEST(wall <= 400);  // postOnce also runs 20 ms after the result

  auto never = postOnce(client, url("/never"), 150);
  BOOST_TEST(never.status == 0);
  BOOST_TEST(never.error.find("timeout") != std::string::npos);
  BOOST_TEST(never.elapsedMs >= 145);
  BOOST_TEST(never.elapsedMs <= 300);
}

BOOST_FIXTURE_TEST_CASE(response_larger_than_64k_is_an_error, Fixture) {
  HttpClient client(loop);
  auto r = postOnce(client, url("/big"));
  BOOST_TEST(r.status == 0);
  BOOST_TEST(r.error == "response too large");
  BOOST_TEST(r.body.empty());
}

BOOST_FIXTURE_TEST_CASE(refused_port_is_an_error, Fixture) {
  uint16_t closedPort = 0;
  {
    HttpServer gone(loop, "127.0.0.1", 0, HttpOptions{});
    closedPort = gone.port();
  }
  runFor(10);
  HttpClient client(loop);
  auto r = postOnce(client, "http://127.0.0.1:" + std::to_string(closedPort) + "/x");
  BOOST_TEST(r.status == 0);
  BOOST_TEST(r.error.find("connection refused") != std::string::npos, r.error);
  BOOST_TEST(r.elapsedMs < 1000);
}

BOOST_FIXTURE_TEST_CASE(bad_urls_and_headers_are_rejected_asynchronously, Fixture) {
  HttpClient client(loop);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "malformed URL"},
      {"not a url", "malformed URL"},
      {"https://127.0.0.1/hook", "only http://"},
      {"ftp://127.0.0.1/hook", "only http://"},
      {"http://example.com/hook", "not a numeric IPv4"},
      {"http://[::1]:80/hook", "not a numeric IPv4"},
      {"http://999.1.1.1/hook", "not a numeric IPv4"},
      {"http://user:pw@127.0.0.1/hook", "user info"},
      {"http://127.0.0.1:0/hook", "port 0"},
      {"http://127.0.0.1:99999/hook", "malformed URL"},
      {"http://127.0.0.1/" + std::string(9000, 'a'), "longer than"},
  };
  for (const auto& [u, why] : cases) {
    auto r = postOnce(client, u);
    BOOST_TEST(r.status == 0);
    BOOST_TEST(r.error.find(why) != std::string::npos, u.substr(0, 40) << " -> " << r.error);
  }
  auto injected = postOnce(client, url("/json"), 2000, {{"X-A", "1\r\nX-B: 2"}});
  BOOST_TEST(injected.error.find("CR, LF or NUL") != std::string::npos, injected.error);
  auto badName = postOnce(client, url("/json"), 2000, {{"X A", "1"}});
  BOOST_TEST(badName.error.find("invalid header name") != std::string::npos, badName.error);
  BOOST_TEST(requests.empty());  // nothing reached the server

  HttpUrl parsed;
  std::string error;
  BOOST_REQUIRE(HttpClient::parseUrl("HTTP://LocalHost/a/b?c=d#frag", &parsed, &error));
  BOOST_TEST(parsed.host == "127.0.0.1");
  BOOST_TEST(parsed.port == 80);
  BOOST_TEST(parsed.target == "/a/b?c=d");
  BOOST_TEST(parsed.hostHeader == "LocalHost");
  BOOST_REQUIRE(HttpClient::parseUrl("http://10.0.0.1:8080", &parsed, &error));
  BOOST_TEST(parsed.target == "/");
  BOOST_TEST(parsed.hostHeader == "10.0.0.1:8080");
}

BOOST_FIXTURE_TEST_CASE(hostile_and_odd_replies, Fixture) {
  HttpClient client(loop);
  RawServer raw(loop);
  // Body delimited by the close (no Content-Length).
  raw.reply = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"ErrorCode\":0}";
  auto eof = postOnce(client, raw.url());
  BOOST_TEST(eof.error == "");
  BOOST_TEST(eof.status == 200);
  BOOST_TEST(eof.body == "{\"ErrorCode\":0}");
  BOOST_TEST(raw.conns.back()->seen.find("POST / HTTP/1.1\r\n") == 0u);

  // Chunked reply.
  raw.reply =
      "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
  auto chunked = postOnce(client, raw.url());
  BOOST_TEST(chunked.error == "");
  BOOST_TEST(chunked.status == 201);
  BOOST_TEST(chunked.body == "abcde");

  raw.reply = "garbage that is not HTTP\r\n\r\n";
  auto garbage = postOnce(client, raw.url());
  BOOST_TEST(garbage.status == 0);
  BOOST_TEST(garbage.error.find("malformed response") != std::string::npos, garbage.error);

  raw.reply = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab";
  auto badChunk = postOnce(client, raw.url());
  BOOST_TEST(badChunk.status == 0);
  BOOST_TEST(badChunk.error.find("malformed response") != std::string::npos, badChunk.error);

  // Truncated: Content-Length promises more than arrives before the close.
  raw.reply = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort";
  auto truncated = postOnce(client, raw.url());
  BOOST_TEST(truncated.status == 0);
  BOOST_TEST(truncated.error.find("closed before the response was complete") != std::string::npos,
             truncated.error);

  // Too large without a Content-Length: counted as the body arrives.
  raw.reply = "HTTP/1.1 200 OK\r\n\r\n" + std::string(70 * 1024, 'y');
  auto bigEof = postOnce(client, raw.url());
  BOOST_TEST(bigEof.error == "response too large");

  // An endless header.
  raw.reply = "HTTP/1.1 200 OK\r\nX-Long: " + std::string(20 * 1024, 'h') + "\r\n\r\n";
  auto bigHead = postOnce(client, raw.url());
  BOOST_TEST(bigHead.error.find("response head larger than") != std::string::npos, bigHead.error);

  // Complete reply but the peer keeps the socket open: done at the message end.
  raw.closeAfter = false;
  raw.reply = "HTTP/1.1 204 No Content\r\n\r\n";
  auto open = postOnce(client, raw.url(), 1000);
  BOOST_TEST(open.error == "");
  BOOST_TEST(open.status == 204);
  BOOST_TEST(open.elapsedMs < 500);
}

BOOST_FIXTURE_TEST_CASE(destroying_the_client_cancels_silently, Fixture) {
  int calls = 0;
  auto client = std::make_unique<HttpClient>(loop, 2);
  auto count = [&calls](HttpClientResult) { ++calls; };
  client->post(url("/never"), "{}", {}, 5000, count);
  client->post(url("/slow?ms=50"), "{}", {}, 5000, count);
  client->post(url("/json"), "{}", {}, 5000, count);  // queued
  runFor(20);
  BOOST_TEST(calls == 0);
  client->post("http://example.com/", "{}", {}, 5000, count);  // error already posted
  client.reset();
  runFor(200);
  BOOST_TEST(calls == 0);

  // Destroyed while still connecting (inside the same loop iteration as post).
  client = std::make_unique<HttpClient>(loop);
  for (int i = 0; i < 5; ++i) client->post(url("/json"), "{}", {}, 5000, count);
  client.reset();
  runFor(100);
  BOOST_TEST(calls == 0);

  // Destroyed from inside a done callback: the other results never arrive.
  client = std::make_unique<HttpClient>(loop);
  for (int i = 0; i < 3; ++i)
    client->post("bad url", "{}", {}, 5000, [&](HttpClientResult) {
      ++calls;
      client.reset();
    });
  runFor(50);
  BOOST_TEST(calls == 1);
}

BOOST_FIXTURE_TEST_CASE(concurrency_bound_and_fifo_queue, Fixture) {
  HttpClient client(loop, 3);
  std::vector<int> order;
  std::vector<HttpClientResult> results;
  for (int i = 0; i < 10; ++i)
    client.post(url("/count"), "{\"i\":" + std::to_string(i) + "}", {}, 5000,
                [&, i](HttpClientResult r) {
                  order.push_back(i);
                  results.push_back(std::move(r));
                });
  BOOST_TEST(client.inFlight() == 3u);
  BOOST_TEST(client.queued() == 7u);
  BOOST_REQUIRE(runUntil([&] { return results.size() == 10; }));
  for (const auto& r : results) {
    BOOST_TEST(r.status == 200);
    BOOST_TEST(r.error == "");
  }
  BOOST_TEST(maxCurrent == 3);
  BOOST_TEST(client.inFlight() == 0u);
  BOOST_TEST(client.queued() == 0u);
  // FIFO: requests reached the server in posting order.
  BOOST_REQUIRE(requests.size() == 10u);
  for (int i = 0; i < 10; ++i) BOOST_TEST(requests[i].body == "{\"i\":" + std::to_string(i) + "}");
}

BOOST_FIXTURE_TEST_CASE(queue_full_and_queued_timeout, Fixture) {
  HttpClient client(loop, 1, 2);
  std::map<int, HttpClientResult> results;
  auto keep = [&](int i) { return [&, i](HttpClientResult r) { results[i] = std::move(r); }; };
  client.post(url("/slow?ms=300"), "{}", {}, 2000, keep(0));  // in flight
  client.post(url("/json"), "{}", {}, 100, keep(1));          // queued, times out there
  client.post(url("/json"), "{}", {}, 2000, keep(2));         // queued
  client.post(url("/json"), "{}", {}, 2000, keep(3));         // queue full
  BOOST_TEST(client.queued() == 2u);
  BOOST_REQUIRE(runUntil([&] { return results.count(3) == 1; }, 100));
  BOOST_TEST(results[3].error == "queue full");
  BOOST_REQUIRE(runUntil([&] { return results.size() == 4; }));
  BOOST_TEST(results[1].error.find("queued, not started") != std::string::npos, results[1].error);
  BOOST_TEST(results[1].elapsedMs >= 95);
  BOOST_TEST(results[1].elapsedMs < 290);
  BOOST_TEST(results[0].status == 200);
  BOOST_TEST(results[2].status == 200);
  BOOST_TEST(results[2].elapsedMs >= 290);  // waited for the slot
  BOOST_TEST(requests.size() == 2u);        // #1 and #3 never reached the server
}

BOOST_FIXTURE_TEST_CASE(a_throwing_done_does_not_lose_other_results, Fixture) {
  HttpClient client(loop);
  int calls = 0;
  client.post("bad", "{}", {}, 1000, [&](HttpClientResult) {
    ++calls;
    throw std::runtime_error("callback bug");
  });
  client.post("bad", "{}", {}, 1000, [&](HttpClientResult) { ++calls; });
  BOOST_REQUIRE(runUntil([&] { return calls == 2; }, 500));
}
