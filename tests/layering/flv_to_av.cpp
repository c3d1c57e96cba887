// Refused: FFmpeg (av/) is for protocols/hls, mixer and recorder only.
#include "av/av_libraries.hpp"
