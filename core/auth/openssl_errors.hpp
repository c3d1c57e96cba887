// opensslErrors: the errors OpenSSL queued on this thread, for a log line or an API
// error (TLS relays, DTLS). Any thread (OpenSSL's queue is per thread).
#pragma once

#include <string>

namespace core {

// Every error queued, oldest first, joined by "; " ("" when none); the queue is emptied.
std::string opensslErrors();

}  // namespace core
