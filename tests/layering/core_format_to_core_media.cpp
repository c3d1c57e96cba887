// Refused: the byte formats (core/format) never see the hub (core/media).
#include "core/media/stream.hpp"
