// The harness's only source of randomness: a seeded SplitMix64 stream. Every draw
// comes from a seed in the scenario, so a run replays bit for bit.
#pragma once

#include <cstdint>

namespace synfin::harness {

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n); n > 0.
  uint64_t below(uint64_t n) { return next() % n; }
  // True with probability p/65536.
  bool chance(uint16_t p) { return p != 0 && (next() & 0xffff) < p; }

 private:
  uint64_t state_;
};

// Derives an independent seed for a named purpose from the scenario's seed.
constexpr uint64_t derive_seed(uint64_t seed, uint64_t purpose) {
  uint64_t z = seed ^ (purpose * 0xD1B54A32D192ED03ULL);
  z = (z ^ (z >> 33)) * 0xff51afd7ed558ccdULL;
  z = (z ^ (z >> 33)) * 0xc4ceb9fe1a85ec53ULL;
  return z ^ (z >> 33);
}

}  // namespace synfin::harness
