#include "core/buffer/shared_buffer.hpp"

#include <boost/test/unit_test.hpp>

#include "core/buffer/byte_io.hpp"

using core::SharedBuffer;

BOOST_AUTO_TEST_CASE(slices_share_storage) {
  auto b = SharedBuffer::copyOf(std::string_view("hello world"));
  auto s = b.slice(6, 5);
  BOOST_TEST(s.view() == "world");
  BOOST_TEST(s.data() == b.data() + 6);
  BOOST_TEST(b.slice(20).empty());           // clamped, not out of bounds
  BOOST_TEST(b.slice(6, 100).size() == 5u);  // clamped length
  BOOST_TEST(s.slice(1, 2).view() == "or");
}

BOOST_AUTO_TEST_CASE(a_slice_outlives_its_parent) {
  SharedBuffer s;
  {
    auto b = SharedBuffer::adopt(std::vector<uint8_t>{1, 2, 3, 4});
    s = b.slice(2);
  }
  BOOST_TEST(s.size() == 2u);
  BOOST_TEST(s[0] == 3);
  BOOST_TEST(s[1] == 4);
}

BOOST_AUTO_TEST_CASE(reader_never_reads_past_the_end) {
  const uint8_t bytes[] = {0x01, 0x02, 0x03};
  core::ByteReader r(bytes);
  BOOST_TEST(r.u16() == 0x0102);
  BOOST_TEST(r.ok());
  BOOST_TEST(r.u32() == 0u);
  BOOST_TEST(r.failed());
  BOOST_TEST(r.remaining() == 0u);
}

BOOST_AUTO_TEST_CASE(writer_and_reader_agree) {
  core::ByteWriter w;
  w.u8(0xAB);
  w.u16(0x1234);
  w.u24(0x56789A);
  w.u32(0xDEADBEEF);
  w.u32le(0x01020304);
  w.f64(3.5);
  core::ByteReader r(w.vector());
  BOOST_TEST(r.u8() == 0xAB);
  BOOST_TEST(r.u16() == 0x1234);
  BOOST_TEST(r.u24() == 0x56789Au);
  BOOST_TEST(r.u32() == 0xDEADBEEFu);
  BOOST_TEST(r.u32le() == 0x01020304u);
  BOOST_TEST(r.f64() == 3.5);
  BOOST_TEST(r.ok());
  BOOST_TEST(r.remaining() == 0u);
}
