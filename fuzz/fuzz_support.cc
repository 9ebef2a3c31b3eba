#include "fuzz/fuzz_support.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "fuzz/transitions_seen.h"
#include "harness/scenario_binary.h"

namespace synfin::fuzz {
namespace {

// A distinct, non-inlined function per bucket: crash deduplication that keys on
// the top frames then separates invariants instead of lumping every oracle
// violation into one "abort in report()" bucket.
template <int N>
[[noreturn, gnu::noinline]] void violation_bucket() {
  volatile int bucket = N;
  (void)bucket;
  std::abort();
}

template <size_t... I>
[[noreturn]] void abort_in_bucket(size_t b, std::index_sequence<I...>) {
  using Fn = void (*)();
  static constexpr Fn kTable[] = {&violation_bucket<static_cast<int>(I)>...};
  kTable[b % sizeof...(I)]();
  std::abort();
}

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ULL;
  for (char c : s) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ULL;
  return h;
}

class AbortingSink final : public harness::ViolationSink {
 public:
  void report(harness::Violation v) override { die_with_violation(v); }
};

// The (from, to, cause) index; every combination gets its own case below.
constexpr int kNumCauses = 16;
constexpr int transition_index(State from, State to, Cause cause) {
  return (static_cast<int>(from) * kNumStates + static_cast<int>(to)) * kNumCauses +
         static_cast<int>(cause);
}

volatile int transition_sink;

template <int N>
[[gnu::noinline]] void transition_case() {
  transition_sink = N;
}

template <size_t... I>
void hit_transition(int index, std::index_sequence<I...>) {
  using Fn = void (*)();
  static constexpr Fn kTable[] = {&transition_case<static_cast<int>(I)>...};
  kTable[index]();
}

// glibc hands the top of the heap back to the kernel when a run frees its
// buffers, and the next run page-faults it in again: a fifth of a short run's time
// went to those faults. A fuzzing process runs millions of inputs of the same
// size class, so it keeps what it has once had (ASan's allocator ignores this).
void keep_heap_between_runs() {
#if defined(__GLIBC__)
  static const bool done = [] {
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    return true;
  }();
  (void)done;
#endif
}

}  // namespace

void die_with_violation(const harness::Violation& v) {
  std::fprintf(stderr, "==synfin== VIOLATION %s\n%s\n", v.id.c_str(), v.to_string().c_str());
  std::fflush(stderr);
  abort_in_bucket(fnv1a(v.id) % 64, std::make_index_sequence<64>());
}

void die_with_failure(const char* kind, const std::string& what) {
  std::fprintf(stderr, "==synfin== %s\n%s\n", kind, what.c_str());
  std::fflush(stderr);
  abort_in_bucket(fnv1a(kind) % 64, std::make_index_sequence<64>());
}

void TransitionFeedback::on_transition(int, ConnId, State from, State to, Cause cause, Instant) {
  transitions_seen_in_process().mark(from, to, cause);
  // Each index calls its own function: a new (from, to, cause) is a new edge for
  // SanitizerCoverage and for AFL++'s edge map alike.
  hit_transition(transition_index(from, to, cause),
                 std::make_index_sequence<kNumStates * kNumStates * kNumCauses>());
}

void run_scenario_input(harness::Target target, const uint8_t* data, size_t size) {
  keep_heap_between_runs();
  harness::Scenario s = harness::scenario_for_target(target, {data, size});
  // Fuzz inputs are bounded: a few hundred ops and a modest event budget keep
  // each execution short without hiding the bugs that need depth.
  if (s.ops.size() > 512) return;
  harness::CheckedRunOptions options;
  options.limits.max_events = 20000;
  options.limits.max_send_bytes = 1 << 16;
  // SYNFIN_NO_TRANSITION_FEEDBACK=1 turns the transition feedback off, to measure
  // what it is worth (read once; the environment is not an input).
  static const bool feedback_on = std::getenv("SYNFIN_NO_TRANSITION_FEEDBACK") == nullptr;
  TransitionFeedback feedback;
  if (feedback_on) options.observers.push_back(&feedback);
  AbortingSink sink;
  harness::CheckedRunResult r = harness::run_checked(std::move(s), options, &sink);
  // Expectations are only checked in hand-written endpoint scripts; a fuzzed
  // script that mispredicts the stack is not a bug.
  (void)r;
}

}  // namespace synfin::fuzz
