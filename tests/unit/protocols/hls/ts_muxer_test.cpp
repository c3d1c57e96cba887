#include "protocols/hls/ts_muxer.hpp"

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <string>

#include "av/av_libraries.hpp"
#include "tests/unit/media_samples.hpp"
#include "tests/unit/process_maps.hpp"

using namespace media_samples;
using testing_maps::mapped;

// NOTE: first in this file (Boost.Test runs them in order): nothing has made a
// muxer in this process yet.
BOOST_AUTO_TEST_CASE(the_ffmpeg_libraries_are_mapped_by_the_first_muxer_not_at_start) {
  av::Libraries libs;
  BOOST_TEST(!mapped("libavformat"));
  BOOST_TEST(!mapped("libavcodec"));
  hls::TsMuxer muxer(libs, config(core::MediaKind::Video), config(core::MediaKind::Audio));
  BOOST_TEST(mapped("libavformat"));
  BOOST_TEST(muxer.hasVideo());
}

// The transcoder's libraries (av::Libraries::filter()) stay out of a process that
// only muxes HLS, segments and all.
BOOST_AUTO_TEST_CASE(libavfilter_is_never_mapped_by_hls) {
  av::Libraries libs;
  hls::TsMuxer muxer(libs, config(core::MediaKind::Video), config(core::MediaKind::Audio), true);
  BOOST_TEST(muxer.write(frame(core::MediaKind::Video, 0, true)));
  BOOST_TEST(muxer.write(frame(core::MediaKind::Audio, 10)));
  muxer.flush();
  BOOST_TEST(!muxer.takeBytes().empty());
  BOOST_TEST(mapped("libavformat"));
  BOOST_TEST(!mapped("libavfilter"));
  BOOST_TEST(!mapped("libswscale"));
}

BOOST_AUTO_TEST_CASE(a_muxer_writes_transport_stream_packets) {
  av::Libraries libs;
  hls::TsMuxer muxer(libs, config(core::MediaKind::Video), config(core::MediaKind::Audio), true);
  BOOST_TEST(muxer.write(frame(core::MediaKind::Video, 0, true)));
  BOOST_TEST(muxer.write(frame(core::MediaKind::Audio, 10)));
  const uint8_t id3[] = {'I', 'D', '3', 4, 0, 0, 0, 0, 0, 0};
  BOOST_TEST(muxer.writeId3(20, id3));
  muxer.flush();
  const auto bytes = muxer.takeBytes();
  BOOST_REQUIRE(!bytes.empty());
  BOOST_TEST(bytes.size() % 188 == 0u);
  for (size_t i = 0; i < bytes.size(); i += 188) BOOST_TEST(bytes[i] == 0x47);
}

BOOST_AUTO_TEST_CASE(no_track_is_an_error_not_a_crash) {
  av::Libraries libs;
  BOOST_CHECK_THROW(hls::TsMuxer(libs, std::nullopt, std::nullopt), std::runtime_error);
}
