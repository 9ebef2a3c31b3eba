// The byte stream every synfin application writes: byte i of a stream is a fixed
// function of i, so a receiver (and the oracles) can check each delivered byte
// against its offset without keeping a copy of what was sent. The function mixes
// the high bits in, so a byte delivered 256 (or 65536) places off is caught.
#pragma once

#include <cstdint>
#include <span>

namespace synfin::harness {

constexpr uint8_t stream_byte(uint64_t offset) {
  const uint64_t x = offset * 0x9E3779B97F4A7C15ULL;
  return static_cast<uint8_t>((x >> 56) ^ (offset >> 8) ^ (offset >> 24));
}

inline void fill_stream(uint64_t offset, std::span<uint8_t> out) {
  for (size_t i = 0; i < out.size(); ++i) out[i] = stream_byte(offset + i);
}

// The first offset at which `bytes` (claimed to start at `offset`) departs from
// the pattern, or -1 when every byte matches.
inline int64_t first_stream_mismatch(uint64_t offset, std::span<const uint8_t> bytes) {
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] != stream_byte(offset + i)) return static_cast<int64_t>(offset + i);
  }
  return -1;
}

}  // namespace synfin::harness
