// A structure-aware mutator for the scenario targets: it inserts, deletes, swaps,
// duplicates and tweaks whole operations (and header fields) of the binary
// scenario, and splices two scenarios, instead of flipping bytes that would mostly
// produce nonsense. Byte-level mutation (LLVMFuzzerMutate) remains one of its
// moves, applied to a single op's fields.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz/transitions_seen.h"
#include "harness/scenario.h"

namespace synfin::fuzz {

// Byte-level mutation hook: LLVMFuzzerMutate under libFuzzer; a seeded fallback
// elsewhere (tests, the replay driver).
using ByteMutator = size_t (*)(uint8_t* data, size_t size, size_t max_size);

// Mutates `in` into a new binary scenario of at most max_size bytes. One of its
// moves aims ops at an RFC 9293 transition (fuzz/transition_aim.h), mostly at
// one `seen` does not hold yet (any, when `seen` is null or complete).
std::vector<uint8_t> mutate_scenario(const std::vector<uint8_t>& in, size_t max_size,
                                     unsigned seed, harness::Mode mode, ByteMutator bytes,
                                     const TransitionsSeen* seen = nullptr);
// Takes a prefix of ops from one scenario and a suffix from the other.
std::vector<uint8_t> cross_over_scenarios(const std::vector<uint8_t>& a,
                                          const std::vector<uint8_t>& b, size_t max_size,
                                          unsigned seed);
// A random operation that makes sense in `mode` (weights favour what reaches deep
// states: injections relative to the live window, waits of protocol-relevant
// lengths, the app calls of a connection's life).
harness::Op random_op(uint64_t r1, uint64_t r2, harness::Mode mode);

}  // namespace synfin::fuzz

#if defined(SYNFIN_LIBFUZZER_MUTATOR)
extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);
#define SYNFIN_SCENARIO_MUTATOR(MODE)                                                       \
  extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,    \
                                            unsigned int seed) {                            \
    std::vector<uint8_t> out = synfin::fuzz::mutate_scenario(                               \
        std::vector<uint8_t>(data, data + size), max_size, seed, MODE, &LLVMFuzzerMutate,   \
        &synfin::fuzz::transitions_seen_in_process());                                      \
    std::copy(out.begin(), out.end(), data);                                                \
    return out.size();                                                                      \
  }                                                                                         \
  extern "C" size_t LLVMFuzzerCustomCrossOver(const uint8_t* d1, size_t s1,                 \
                                              const uint8_t* d2, size_t s2, uint8_t* out,   \
                                              size_t max_out, unsigned int seed) {          \
    std::vector<uint8_t> r = synfin::fuzz::cross_over_scenarios(                            \
        std::vector<uint8_t>(d1, d1 + s1), std::vector<uint8_t>(d2, d2 + s2), max_out, seed); \
    std::copy(r.begin(), r.end(), out);                                                     \
    return r.size();                                                                        \
  }
#else
#define SYNFIN_SCENARIO_MUTATOR(MODE)
#endif
