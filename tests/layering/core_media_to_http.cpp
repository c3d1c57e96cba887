// Refused: core knows no protocol.
#include "protocols/http/http_server.hpp"
