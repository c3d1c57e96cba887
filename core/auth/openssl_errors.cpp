#include "core/auth/openssl_errors.hpp"

#include <openssl/err.h>

namespace core {

std::string opensslErrors() {
  std::string out;
  char line[256];
  while (const unsigned long code = ERR_get_error()) {
    ERR_error_string_n(code, line, sizeof line);
    if (!out.empty()) out += "; ";
    out += line;
  }
  return out;
}

}  // namespace core
