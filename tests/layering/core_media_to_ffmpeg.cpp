// Refused: FFmpeg headers only where av is linked (ARCHITECTURE.md).
#include <libavcodec/avcodec.h>
