#include "core/format/mp4_boxes.hpp"

namespace core {

Mp4Box::Mp4Box(ByteWriter& writer, const char (&type)[5]) : writer_(writer), start_(writer.size()) {
  writer_.u32(0);
  writeFourCc(writer_, type);
}

Mp4Box::Mp4Box(ByteWriter& writer, const char (&type)[5], uint8_t version, uint32_t flags)
    : Mp4Box(writer, type) {
  writer_.u8(version);
  writer_.u24(flags);
}

Mp4Box::~Mp4Box() {
  patchU32(writer_, start_, static_cast<uint32_t>(writer_.size() - start_));
}

void patchU32(ByteWriter& writer, size_t pos, uint32_t value) {
  auto& bytes = writer.vector();
  for (size_t i = 0; i < 4; ++i) bytes[pos + i] = static_cast<uint8_t>(value >> (8 * (3 - i)));
}

void writeFourCc(ByteWriter& writer, const char (&code)[5]) {
  for (size_t i = 0; i < 4; ++i) writer.u8(static_cast<uint8_t>(code[i]));
}

}  // namespace core
