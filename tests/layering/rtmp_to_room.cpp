// Refused: protocols/rtmp does not link room (only protocols/room may).
#include "room/room.hpp"
