// Mp4Box: RAII helper that writes one ISO BMFF box (ISO/IEC 14496-12 4.2) into a
// ByteWriter: the header on construction, the size patched on destruction. Used by the
// fMP4 writer; pure code, no I/O; any thread.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/buffer/byte_io.hpp"

namespace core {

class Mp4Box {
 public:
  // A plain box: 32-bit size placeholder + the four-character type.
  Mp4Box(ByteWriter& writer, const char (&type)[5]);
  // A FullBox: the header, then version (8 bits) and flags (24 bits).
  Mp4Box(ByteWriter& writer, const char (&type)[5], uint8_t version, uint32_t flags);
  // Patches the size to cover everything written since the constructor.
  // NOTE: boxes here stay far below 4 GiB (the fragment builder rejects larger mdat
  // payloads before writing), so the 64-bit largesize form is never needed.
  ~Mp4Box();

  Mp4Box(const Mp4Box&) = delete;
  Mp4Box& operator=(const Mp4Box&) = delete;

  size_t start() const { return start_; }

 private:
  ByteWriter& writer_;
  size_t start_;
};

// Overwrites 4 already-written bytes at `pos` with a big-endian value.
void patchU32(ByteWriter& writer, size_t pos, uint32_t value);

// Writes a four-character code.
void writeFourCc(ByteWriter& writer, const char (&code)[5]);

}  // namespace core
