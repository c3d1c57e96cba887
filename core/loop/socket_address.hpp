// Socket addresses: from the config's text form ("127.0.0.1", "localhost", "::",
// "2001:db8::1"; no brackets) for libuv's binds, for logs, as map keys, and between
// IPv4 and IPv4-mapped IPv6. Pure functions; any thread.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace core {

// nullopt when `host` is neither an IPv4 nor an IPv6 address nor "localhost".
std::optional<sockaddr_storage> socketAddress(const std::string& host, uint16_t port);

// "host:port", or "[host]:port" for an IPv6 host: for logs and errors.
std::string hostPort(const std::string& host, uint16_t port);

// An IPv4 address in IPv6 form (::ffff:a.b.c.d, what a dual-stack socket reports for an
// IPv4 peer) as the plain IPv4 address; anything else unchanged.
sockaddr_storage unmapIpv4(const sockaddr_storage& address);
// An IPv4 address as ::ffff:a.b.c.d with its port (to send through an IPv6 socket).
sockaddr_storage mapIpv4(const sockaddr_storage& address);

// "1.2.3.4:5" / "[::1]:5" for logs.
std::string formatAddress(const sockaddr_storage& address);
// The address as a map key: family, port, IP (and IPv6 scope) as raw bytes; no
// formatting, no allocation (per datagram on a receive path).
using AddressKey = std::array<uint8_t, 24>;
AddressKey addressKey(const sockaddr_storage& address);
// Same family, address and port (IPv6: and scope).
bool sameAddress(const sockaddr_storage& a, const sockaddr_storage& b);

}  // namespace core
