#include "protocols/http/http_server.hpp"

#include <spdlog/spdlog.h>

#include "core/loop/event_loop.hpp"
#include "protocols/http/http_connection.hpp"

namespace http {

std::unique_ptr<core::TcpConnection> HttpExchange::takeOver(
    int status, const std::string& contentType, const std::map<std::string, std::string>& headers,
    bool chunked) {
  const std::string head = conn_.responseHead(status, contentType, 0, chunked, headers, !chunked);
  if (conn_.headRequest()) {  // RFC 9110 9.3.2: the head a GET gets, and no body
    conn_.answerHead(head, !chunked);
    return nullptr;
  }
  return conn_.release(head);
}

std::unique_ptr<core::TcpConnection> HttpExchange::upgrade(
    const std::map<std::string, std::string>& headers, std::string* leftover) {
  return conn_.upgrade(headers, leftover);
}

const HttpOptions& HttpExchange::options() const {
  return conn_.options();
}

std::shared_ptr<HttpResponder> HttpExchange::defer() {
  return conn_.defer();
}

void HttpResponder::respond(const HttpResponse& response) {
  if (HttpConnection* conn = conn_) {
    conn_ = nullptr;
    conn->respondDeferred(response);
  }
}

HttpServer::HttpServer(core::EventLoop& loop, const std::string& host, uint16_t port,
                       HttpOptions options)
    : options_(std::move(options)),
      connections_(loop),
      listener_(loop, host, port, [this](std::unique_ptr<core::TcpConnection> conn) {
        connections_.add(std::make_unique<HttpConnection>(*this, std::move(conn), options_))
            .start();
      }) {
  spdlog::info("http: listening on {}:{}", host, listener_.port());
}

HttpServer::~HttpServer() {
  closeAll();
}

void HttpServer::route(std::function<bool(const HttpRequest&)> match, RouteHandler handler) {
  routes_.emplace_back(std::move(match), std::move(handler));
}

void HttpServer::routePrefix(const std::string& method, const std::string& prefix,
                             RouteHandler handler) {
  route(
      [method, prefix](const HttpRequest& r) {
        return (method.empty() || r.method == method) && r.path.starts_with(prefix);
      },
      std::move(handler));
}

HttpResponse HttpServer::dispatch(const HttpRequest& req, HttpExchange& exchange) {
  if (req.method == "OPTIONS") {  // CORS preflight
    HttpResponse r;
    r.status = 204;
    r.contentType.clear();
    r.headers["Access-Control-Max-Age"] = "600";
    for (const auto& [prefix, headers] : optionsHeaders_)
      if (req.path.starts_with(prefix)) r.headers.insert(headers.begin(), headers.end());
    return r;
  }
  for (auto& [match, handler] : routes_) {
    if (!match(req)) continue;
    try {
      return handler(req, exchange);
    } catch (const std::exception& e) {
      spdlog::error("http {} {} {}: handler failed: {}", req.peer, req.method, req.path, e.what());
      return HttpResponse::error(500, "internal error");
    }
  }
  // NOTE: the path may hold any bytes (e.g. invalid UTF-8): error() never throws.
  return HttpResponse::error(404, "no such resource: " + req.path);
}

void HttpServer::remove(HttpConnection* conn) {
  connections_.remove(conn);
}

void HttpServer::closeAll() {
  connections_.closeAll("server shutting down");
}

}  // namespace http
