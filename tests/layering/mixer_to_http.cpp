// Refused: the API reaches the mixer through core interfaces, never the reverse.
#include "protocols/http/caster_api.hpp"
