// The byte stream every synfin application writes: byte i of a stream is a fixed
// function of i, so a receiver (and the oracles) can check each delivered byte
// against its offset without keeping a copy of what was sent.
//
// Byte i is a fixed permutation of its place in its 256-byte block, xored with a
// hash of the block number: a byte delivered one place off meets a different
// permutation entry, and one delivered 256 (or 65536, or 2^32) places off meets a
// different block hash, so shifted or misplaced data is caught. Generating and
// checking the pattern is on every data segment's path (the app writes it, two
// oracles check it), and in this form a block is one table xored with a constant:
// a loop the compiler turns into 16-byte vector operations.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>

namespace synfin::harness {

namespace pattern_internal {

// A bijection on bytes built from bijective steps (odd multiplications modulo
// 256 and xor-shifts), so neighbouring places get unrelated values.
constexpr std::array<uint8_t, 256> make_place_mix() {
  std::array<uint8_t, 256> t{};
  for (unsigned i = 0; i < 256; ++i) {
    unsigned x = i;
    x = (x * 0x9Du + 0x3Bu) & 0xFFu;
    x ^= x >> 3;
    x = (x * 0x6Du) & 0xFFu;
    x ^= x >> 4;
    x = (x * 0xC5u + 0x11u) & 0xFFu;
    t[i] = static_cast<uint8_t>(x);
  }
  return t;
}
inline constexpr std::array<uint8_t, 256> kPlaceMix = make_place_mix();

constexpr uint8_t block_mix(uint64_t block) {
  return static_cast<uint8_t>(((block * 0x9E3779B97F4A7C15ULL) >> 56) ^ block);
}

}  // namespace pattern_internal

constexpr uint8_t stream_byte(uint64_t offset) {
  return pattern_internal::kPlaceMix[offset & 255] ^ pattern_internal::block_mix(offset >> 8);
}

namespace pattern_internal {

// Calls f(first_offset, index_in_span, count, block_constant) for each piece of
// [offset, offset + n) that stays inside one 256-byte block of the stream.
template <typename F>
inline void for_each_block(uint64_t offset, size_t n, F&& f) {
  size_t i = 0;
  while (i < n) {
    const uint64_t at = offset + i;
    const size_t run = std::min<size_t>(n - i, 256 - static_cast<size_t>(at & 255));
    if (!f(at, i, run, block_mix(at >> 8))) return;
    i += run;
  }
}

// The two inner loops, kept out of line on purpose: inlined into a large caller,
// the vectoriser widened the bytes to 32-bit lanes and ran four times slower.
[[gnu::noinline]] inline void xor_block(uint8_t* out, const uint8_t* mix, size_t n, uint8_t high) {
  for (size_t j = 0; j < n; ++j) out[j] = static_cast<uint8_t>(mix[j] ^ high);
}
// Nonzero when some p[j] != mix[j] ^ high. Branch-free over the block.
[[gnu::noinline]] inline uint8_t block_difference(const uint8_t* p, const uint8_t* mix, size_t n,
                                                  uint8_t high) {
  uint8_t diff = 0;
  for (size_t j = 0; j < n; ++j) diff |= static_cast<uint8_t>(p[j] ^ mix[j] ^ high);
  return diff;
}

}  // namespace pattern_internal

inline void fill_stream(uint64_t offset, std::span<uint8_t> out) {
  pattern_internal::for_each_block(
      offset, out.size(), [&out](uint64_t at, size_t i, size_t run, uint8_t high) {
        pattern_internal::xor_block(out.data() + i, pattern_internal::kPlaceMix.data() + (at & 255),
                                    run, high);
        return true;
      });
}

// The first offset at which `bytes` (claimed to start at `offset`) departs from
// the pattern, or -1 when every byte matches.
inline int64_t first_stream_mismatch(uint64_t offset, std::span<const uint8_t> bytes) {
  int64_t bad = -1;
  pattern_internal::for_each_block(
      offset, bytes.size(), [&](uint64_t at, size_t i, size_t run, uint8_t high) {
        const uint8_t* p = bytes.data() + i;
        const uint8_t* mix = pattern_internal::kPlaceMix.data() + (at & 255);
        // The exact place is looked for only on a miss.
        if (pattern_internal::block_difference(p, mix, run, high) == 0) return true;
        for (size_t j = 0; j < run; ++j) {
          if (p[j] != stream_byte(at + j)) {
            bad = static_cast<int64_t>(at + j);
            break;
          }
        }
        return false;
      });
  return bad;
}

}  // namespace synfin::harness
