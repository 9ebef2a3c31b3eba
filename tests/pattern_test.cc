// The application byte stream: the block-wise fill and check must agree with the
// per-byte definition everywhere, including across 256-byte and 2^24 boundaries
// where the mixed-in high bits change.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "harness/pattern.h"

namespace synfin::harness {
namespace {

const uint64_t kOffsets[] = {0, 1, 255, 256, 1000, 65535, (1u << 24) - 3, (uint64_t{1} << 32) - 100,
                             (uint64_t{1} << 40) + 77};
const size_t kLengths[] = {0, 1, 2, 255, 256, 257, 1460, 4096};

TEST_CASE("pattern: fill_stream writes stream_byte of each offset") {
  for (uint64_t off : kOffsets) {
    for (size_t n : kLengths) {
      std::vector<uint8_t> buf(n, 0xAA);
      fill_stream(off, buf);
      for (size_t i = 0; i < n; ++i) {
        INFO("offset " << off << " length " << n << " index " << i);
        REQUIRE(buf[i] == stream_byte(off + i));
      }
    }
  }
}

TEST_CASE("pattern: first_stream_mismatch finds the first wrong byte, or none") {
  for (uint64_t off : kOffsets) {
    for (size_t n : kLengths) {
      std::vector<uint8_t> buf(n);
      fill_stream(off, buf);
      INFO("offset " << off << " length " << n);
      CHECK(first_stream_mismatch(off, buf) == -1);
      if (n == 0) continue;
      // One flipped byte anywhere is found at its own offset; with a second bad
      // byte later, the first is still the one reported.
      for (size_t at : {size_t{0}, n / 2, n - 1}) {
        std::vector<uint8_t> bad = buf;
        bad[at] ^= 0x01;
        if (at + 1 < n) bad[n - 1] ^= 0x80;
        CHECK(first_stream_mismatch(off, bad) == static_cast<int64_t>(off + at));
      }
    }
  }
}

TEST_CASE("pattern: every place in a block has its own byte value") {
  std::vector<bool> seen(256, false);
  for (uint64_t i = 0; i < 256; ++i) {
    const uint8_t v = pattern_internal::kPlaceMix[i];
    CHECK_FALSE(seen[v]);
    seen[v] = true;
  }
}

TEST_CASE("pattern: a segment's worth of data misplaced by any of these shifts is caught") {
  // A receiver that delivers bytes at the wrong offset -- one place off, a block
  // off, a 16-bit or 32-bit wrap off -- must not see the pattern match.
  for (uint64_t off : kOffsets) {
    std::vector<uint8_t> buf(1460);
    fill_stream(off, buf);
    for (uint64_t shift : {uint64_t{1}, uint64_t{7}, uint64_t{256}, uint64_t{65536}, uint64_t{1} << 32}) {
      INFO("offset " << off << " shift " << shift);
      CHECK(first_stream_mismatch(off + shift, buf) != -1);
      if (off >= shift) CHECK(first_stream_mismatch(off - shift, buf) != -1);
    }
  }
}

}  // namespace
}  // namespace synfin::harness
