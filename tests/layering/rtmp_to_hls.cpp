// Refused: a protocol uses core and protocols/http only, never another protocol.
#include "protocols/hls/hls_server.hpp"
