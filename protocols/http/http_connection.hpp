// HttpConnection: one HTTP/1.1 client connection, parsed with http-parser. Owned by
// the HttpServer; loop thread. Bounds: header bytes (431), header-read time (408),
// body size (413), keep-alive idle time (closed quietly).
#pragma once

#include <http_parser.h>

#include <memory>
#include <optional>
#include <string>

#include "core/loop/tcp_connection.hpp"
#include "core/loop/timer.hpp"
#include "protocols/http/http_message.hpp"

namespace http {

class HttpServer;
class HttpResponder;
struct HttpOptions;

class HttpConnection : public core::TcpConnection::Handler {
 public:
  HttpConnection(HttpServer& server, std::unique_ptr<core::TcpConnection> conn,
                 const HttpOptions& options);
  ~HttpConnection() override;

  void start();
  void close(std::string_view reason);
  const HttpOptions& options() const { return options_; }

  void onData(std::span<const uint8_t> bytes) override;
  void onDisconnect(std::string_view reason) override { close(reason); }
  void onDrained() override;

  // Used by HttpExchange::defer / HttpResponder::respond.
  std::shared_ptr<HttpResponder> defer();
  void respondDeferred(const HttpResponse& response);
  // Used by HttpExchange::takeOver.
  std::unique_ptr<core::TcpConnection> release(std::string head);
  bool headRequest() const { return request_.head; }
  // Used by HttpExchange::takeOver on a HEAD request: `head` is the whole answer,
  // sent once the route returns; `closeAfter`: its body would end with the connection.
  void answerHead(std::string head, bool closeAfter);
  // Used by HttpExchange::upgrade: writes the 101 head, hands the socket over and
  // gives the bytes read beyond the request head.
  std::unique_ptr<core::TcpConnection> upgrade(const std::map<std::string, std::string>& headers,
                                               std::string* leftover);
  // `untilClose`: no length and no chunking, the body ends with the connection.
  std::string responseHead(int status, const std::string& contentType, size_t contentLength,
                           bool chunked, const std::map<std::string, std::string>& headers,
                           bool untilClose = false) const;

 private:
  static int onMessageBegin(http_parser* p);
  static int onUrl(http_parser* p, const char* at, size_t len);
  static int onHeaderField(http_parser* p, const char* at, size_t len);
  static int onHeaderValue(http_parser* p, const char* at, size_t len);
  static int onHeadersComplete(http_parser* p);
  static int onBody(http_parser* p, const char* at, size_t len);
  static int onMessageComplete(http_parser* p);

  bool countHeaderBytes(size_t n);
  void handleRequest();
  void sendResponse(const HttpResponse& response);
  void finishResponse(bool closeAfter);
  void reject(int status, std::string_view reason);
  void armIdle();
  void finishUpgradeHead(std::span<const uint8_t> rest);

  HttpServer& server_;
  const HttpOptions& options_;
  std::unique_ptr<core::TcpConnection> conn_;
  http_parser parser_;
  http_parser_settings settings_;
  core::Timer timer_;
  HttpRequest request_;
  std::string url_, field_, value_;
  bool lastWasValue_ = false;
  size_t headerBytes_ = 0;
  bool inRequest_ = false;
  bool closing_ = false;  // close once the response is written
  bool closed_ = false;
  bool takenOver_ = false;
  int requests_ = 0;
  std::shared_ptr<HttpResponder> deferred_;
  std::optional<HttpResponse> early_;
  std::optional<std::string> headOnly_;  // set by answerHead
  bool headOnlyCloses_ = false;
  bool dispatching_ = false;
  bool waitingDrain_ = false;  // a response is still being written: read no more
  std::string pending_;        // bytes read while a deferred response is outstanding
  std::string error_;          // set by a parser callback that aborts
  int errorStatus_ = 0;
  bool upgradeHead_ = false;     // parser paused on the last byte of an upgrade head
  std::string upgradeLeftover_;  // bytes behind an upgrade request's head
};

}  // namespace http
