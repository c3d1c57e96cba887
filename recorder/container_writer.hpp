// ContainerWriter: turns one recording's hub packets into file bytes (M6). Two
// forms: FLV (tags rebased to the file's start, room events as onTextData script
// tags, and an index of keyframe-aligned tag ranges for replay) and fragmented MP4 (own fMP4
// writer: an init segment, then a moof+mdat fragment at least every kMaxFragmentMs, room events as
// emsg ID3 boxes before the moof of the fragment that covers them). Each fragment is complete on
// disk once written, so a killed server loses at most the open fragment. Pure (no I/O); owned by
// one Recording; loop thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/buffer/shared_buffer.hpp"
#include "core/media/recording_file.hpp"
#include "core/packet/media_packet.hpp"

namespace recorder {

using core::FragmentInfo;

struct Headers {
  std::optional<core::MediaPacket> videoConfig, audioConfig, metadata;
};

class ContainerWriter {
 public:
  virtual ~ContainerWriter() = default;
  // The file's first bytes; `baseDts` (stream clock) becomes time 0.
  virtual std::vector<core::SharedBuffer> begin(const Headers& headers, int64_t baseDts,
                                                std::string& error) = 0;
  // Bytes to append for a media or data packet (may be none: a fragment is open).
  virtual std::vector<core::SharedBuffer> write(const core::MediaPacket& packet) = 0;
  // What is still buffered (the file is closing); `endDts` ends the last sample.
  virtual std::vector<core::SharedBuffer> finish(int64_t endDts) = 0;
  // Fragments written so far: fMP4 moof+mdat runs, or FLV tag ranges (the bytes
  // before the first one are the FLV header, metadata and codec configs).
  virtual const std::vector<FragmentInfo>& fragments() const = 0;
  virtual const char* extension() const = 0;
};

// "flv" or "fmp4"; nullptr for anything else.
std::unique_ptr<ContainerWriter> makeContainerWriter(const std::string& format, int64_t fragmentMs);

}  // namespace recorder
