// Refused: room/ knows core only; its transports (protocols/room) know it.
#include "protocols/http/websocket.hpp"
