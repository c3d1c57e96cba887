// Must build: every refused probe's header, compiled by a target that links its owner,
// so a refused probe fails because of the layering, not a missing or broken header.
#include "core_format_to_core_media.cpp"
#include "core_media_to_ffmpeg.cpp"
#include "core_media_to_http.cpp"
#include "flv_to_av.cpp"
#include "mixer_to_http.cpp"
#include "room_to_protocols.cpp"
#include "rtmp_to_hls.cpp"
#include "rtmp_to_room.cpp"
