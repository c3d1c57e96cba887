#include "protocols/rtmp/chunk_reader.hpp"

#include <algorithm>
#include <utility>

namespace rtmp {
namespace {

uint32_t be24(const uint8_t* p) {
  return uint32_t{p[0]} << 16 | uint32_t{p[1]} << 8 | p[2];
}
uint32_t be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | be24(p + 1);
}
uint32_t le32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

size_t basicHeaderSize(uint8_t first) {
  switch (first & 0x3F) {
    case 0:
      return 2;
    case 1:
      return 3;
    default:
      return 1;
  }
}

uint32_t decodeCsid(const uint8_t* h) {
  switch (h[0] & 0x3F) {
    case 0:
      return 64 + uint32_t{h[1]};
    case 1:
      return 64 + uint32_t{h[1]} + 256 * uint32_t{h[2]};
    default:
      return h[0] & 0x3F;
  }
}

}  // namespace

ChunkReader::ChunkReader(ChunkReaderLimits limits, core::ByteBudget* budget)
    : limits_(limits), budget_(budget) {}

ChunkReader::~ChunkReader() {
  release();
}

bool ChunkReader::fail(std::string reason, bool overLimit) {
  failed_ = true;
  overLimit_ = overLimit;
  error_ = std::move(reason);
  return false;
}

void ChunkReader::moveToAncestorBudget(core::ByteBudget& ancestor) {
  if (!budget_) return;  // nothing was charged to any budget
  budget_->moveToAncestor(budgeted(pendingBytes_), ancestor);
  budget_ = &ancestor;
}

void ChunkReader::release() {
  for (auto& [csid, s] : streams_) discard(s);
  streams_.clear();
  current_ = nullptr;
  inPayload_ = false;
  budget_ = nullptr;
  if (!failed_) fail("chunk reader released");
}

ChunkReadStatus ChunkReader::feed(std::span<const uint8_t> in, std::vector<RtmpMessage>& out) {
  bytesReceived_ += in.size();
  size_t pos = 0;
  while (!failed_ && pos < in.size()) {
    if (!inPayload_) {
      size_t need = headerNeeded();
      while (headerLen_ < need && pos < in.size()) {
        header_[headerLen_++] = in[pos++];
        need = headerNeeded();
      }
      if (headerLen_ < need) break;
      processHeader(out);
      headerLen_ = 0;
      continue;
    }
    size_t n = std::min(chunkRemaining_, in.size() - pos);
    if (!reserveFor(*current_, n)) break;
    current_->partial.insert(current_->partial.end(), in.begin() + pos, in.begin() + pos + n);
    pos += n;
    chunkRemaining_ -= n;
    if (chunkRemaining_ == 0) {
      inPayload_ = false;
      if (current_->partial.size() == current_->length) {
        completeMessage(currentCsid_, *current_, out);
      }
    }
  }
  if (failed_) return {false, overLimit_, error_};
  return {};
}

// Header bytes needed, given the bytes of it read so far (each step reveals the next size).
size_t ChunkReader::headerNeeded() const {
  if (headerLen_ < 1) return 1;
  size_t basic = basicHeaderSize(header_[0]);
  if (headerLen_ < basic) return basic;
  uint8_t fmt = header_[0] >> 6;
  size_t size = basic + kMessageHeaderSize[fmt];
  if (headerLen_ < size) return size;
  bool ext = false;
  if (fmt < 3) {
    ext = be24(&header_[basic]) == kExtendedTimestampMarker;
  } else {
    // NOTE: a fmt 3 chunk repeats the extended timestamp when the last fmt 0/1/2 header of
    // its chunk stream had one (what librtmp, FFmpeg, OBS and FMLE send).
    auto it = streams_.find(decodeCsid(header_.data()));
    ext = it != streams_.end() && it->second.extended;
  }
  return size + (ext ? 4 : 0);
}

bool ChunkReader::processHeader(std::vector<RtmpMessage>& out) {
  uint8_t fmt = header_[0] >> 6;
  uint32_t csid = decodeCsid(header_.data());
  size_t basic = basicHeaderSize(header_[0]);
  auto it = streams_.find(csid);
  if (it == streams_.end()) {
    if (fmt != 0) {
      return fail("chunk stream " + std::to_string(csid) + ": first chunk has fmt " +
                  std::to_string(fmt) + " but no previous header");
    }
    if (streams_.size() >= limits_.maxChunkStreams) {
      return fail("too many chunk streams (limit " + std::to_string(limits_.maxChunkStreams) + ")");
    }
    it = streams_.emplace(csid, StreamState{}).first;
  }
  StreamState& s = it->second;
  if (fmt != 3 || !s.inProgress) {
    const uint8_t* fields = &header_[basic];
    const uint8_t* ext = fields + kMessageHeaderSize[fmt];
    if (!startMessage(s, fmt, fields, ext)) return false;
    if (s.length == 0) return completeMessage(csid, s, out);
  }
  size_t remaining = s.length - s.partial.size();
  chunkRemaining_ = std::min<size_t>(chunkSize_, remaining);
  currentCsid_ = csid;
  current_ = &s;
  inPayload_ = true;
  return true;
}

// Applies a fmt 0/1/2 header, or a fmt 3 header that starts a new message.
bool ChunkReader::startMessage(StreamState& s, uint8_t fmt, const uint8_t* fields,
                               const uint8_t* ext) {
  if (s.inProgress) {
    // NOTE: a new header while a message is incomplete: drop the partial one, as FFmpeg
    // does, rather than fail the whole connection.
    discard(s);
  }
  if (fmt < 3) {
    uint32_t field = be24(fields);
    s.extended = field == kExtendedTimestampMarker;
    if (s.extended) field = be32(ext);
    if (fmt <= 1) {
      s.length = be24(fields + 3);
      s.type = fields[6];
    }
    if (fmt == 0) {
      s.streamId = le32(fields + 7);
      s.timestamp = field;
    } else {
      s.timestamp += field;  // NOTE: unsigned arithmetic: timestamps wrap at 2^32
    }
    // NOTE: after fmt 0 the "delta" a later fmt 3 reuses is the absolute timestamp
    // (spec §5.3.1.2.4, as FFmpeg reads it).
    s.delta = field;
  } else {
    s.timestamp += s.delta;
  }
  if (s.length > limits_.maxMessageSize) {
    return fail("message length " + std::to_string(s.length) + " exceeds limit " +
                std::to_string(limits_.maxMessageSize));
  }
  s.inProgress = true;
  return true;
}

// Makes room for `more` payload bytes of the message in progress on `s`.
bool ChunkReader::reserveFor(StreamState& s, size_t more) {
  const size_t need = s.partial.size() + more;
  if (need <= s.charged) return true;
  // NOTE: grow with the bytes that arrive, doubling up to the announced length (amortised
  // O(1) copies, at most twice what arrived; a header may announce 16 MiB it never sends),
  // and near a limit to all the room left, so the next growth fails rather than copy again.
  const size_t want =
      std::max(need, std::min({size_t{s.length}, 2 * s.charged, s.charged + room()}));
  std::string refused = charge(want - s.charged);
  if (!refused.empty()) return fail(std::move(refused), true);
  s.partial.reserve(want);
  s.charged = want;
  return true;
}

size_t ChunkReader::room() const {
  size_t room = limits_.maxPendingBytes - std::min(pendingBytes_, limits_.maxPendingBytes);
  if (budget_) {
    const size_t own = limits_.unbudgetedBytes - std::min(pendingBytes_, limits_.unbudgetedBytes);
    room = std::min(room, own + budget_->available());
  }
  return room;
}

// Counts `bytes` more against the limits; returns "" or why they do not fit.
std::string ChunkReader::charge(size_t bytes) {
  if (pendingBytes_ + bytes > limits_.maxPendingBytes) {
    return "incomplete messages would hold more than " + std::to_string(limits_.maxPendingBytes) +
           " bytes on this connection";
  }
  const core::ByteBudget* refusedBy = nullptr;
  const size_t more = budgeted(pendingBytes_ + bytes) - budgeted(pendingBytes_);
  if (budget_ && more > 0 && !budget_->take(more, &refusedBy)) {
    return "incomplete messages would exceed " + refusedBy->name() + " (" +
           std::to_string(refusedBy->limit()) + " bytes, " + std::to_string(refusedBy->used()) +
           " in use)";
  }
  pendingBytes_ += bytes;
  return {};
}

void ChunkReader::uncharge(StreamState& s) {
  const size_t less = budgeted(pendingBytes_) - budgeted(pendingBytes_ - s.charged);
  pendingBytes_ -= s.charged;
  if (budget_) budget_->give(less);
  s.charged = 0;
}

bool ChunkReader::completeMessage(uint32_t csid, StreamState& s, std::vector<RtmpMessage>& out) {
  uncharge(s);  // the buffer leaves with the message
  RtmpMessage m{csid, s.type, s.timestamp, s.streamId,
                core::SharedBuffer::adopt(std::exchange(s.partial, {}))};
  s.inProgress = false;
  if (!applyControl(m)) return false;
  out.push_back(std::move(m));
  return true;
}

bool ChunkReader::applyControl(const RtmpMessage& m) {
  if (m.type != msg::kSetChunkSize && m.type != msg::kAbort) return true;
  const char* name = m.type == msg::kSetChunkSize ? "set chunk size" : "abort";
  if (m.payload.size() < 4) {
    return fail(std::string(name) + " message too short (" + std::to_string(m.payload.size()) +
                " bytes)");
  }
  uint32_t value = be32(m.payload.data());
  if (m.type == msg::kSetChunkSize) {
    // NOTE: §5.4.1: top bit zero; a chunk cannot exceed the 24-bit message length.
    if (value == 0 || value > kMaxChunkSize) {
      return fail("invalid chunk size " + std::to_string(value));
    }
    chunkSize_ = value;
  } else if (auto it = streams_.find(value); it != streams_.end() && it->second.inProgress) {
    discard(it->second);
  }
  return true;
}

size_t ChunkReader::budgeted(size_t pending) const {
  return pending > limits_.unbudgetedBytes ? pending - limits_.unbudgetedBytes : 0;
}

void ChunkReader::discard(StreamState& s) {
  uncharge(s);
  s.partial = {};
  s.inProgress = false;
}

}  // namespace rtmp
