// What every scenario fuzz target shares: the run with all oracles on, the abort
// on a violation (one stack frame per invariant id, so crash buckets split by id),
// and state-transition feedback.
#pragma once

#include <cstddef>
#include <cstdint>

#include "harness/checked_run.h"
#include "harness/run_observer.h"

namespace synfin::fuzz {

// Runs the bytes as a scenario of the given target with every oracle on. A
// violation or a failed expectation aborts the process with a message naming it.
void run_scenario_input(harness::Target target, const uint8_t* data, size_t size);

// Feeds each (from, to, cause) transition into distinct control flow, so that
// coverage-guided engines (libFuzzer's and AFL++'s instrumentation alike) keep
// inputs that reach a new transition even when no new branch of the stack is hit.
class TransitionFeedback final : public harness::RunObserver {
 public:
  void on_transition(int host, ConnId id, State from, State to, Cause cause, Instant now) override;
  bool needs_wire_bytes() const override { return false; }
  uint32_t handled_events() const override {
    return harness::events_overridden_by<TransitionFeedback>();
  }
};

// Never returns. Prints the violation and aborts from a frame chosen by the id.
[[noreturn]] void die_with_violation(const harness::Violation& v);
[[noreturn]] void die_with_failure(const char* kind, const std::string& what);

}  // namespace synfin::fuzz
