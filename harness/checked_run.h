// One run of a scenario with every oracle on: what `synfin run`, the fuzz
// targets and the tests all use, so a violation found by one reproduces in the
// others.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "harness/oracles/violation.h"
#include "harness/run_observer.h"
#include "harness/scenario.h"
#include "harness/simulation.h"

namespace synfin::harness {

// Which fuzz target an input belongs to: the same bytes mean the same run under
// `synfin run --target ...` as in the fuzzer.
enum class Target : uint8_t { kAsIs, kEndpoint, kConnection };
// The scenario a target runs for these input bytes (binary form).
Scenario scenario_for_target(Target target, std::span<const uint8_t> bytes);

// Collects violations; the first one is the run's verdict.
class CollectingSink final : public ViolationSink {
 public:
  void report(Violation v) override {
    if (v_.size() < 64) v_.push_back(std::move(v));
  }
  const std::vector<Violation>& violations() const { return v_; }
  void clear() { v_.clear(); }

 private:
  std::vector<Violation> v_;
};

struct CheckedRunOptions {
  RunLimits limits;
  bool oracles = true;
  // Extra observers (trace, pcap, coverage); null entries are skipped.
  std::vector<RunObserver*> observers;
};

struct CheckedRunResult {
  RunResult run;
  std::vector<Violation> violations;
  bool clean() const { return violations.empty() && run.expectations_ok; }
};

// Runs `scenario`; violations go to `sink` as they happen when given (a fuzz
// target aborts there), and are also returned. By value: a caller done with the
// scenario moves it in (the fuzz targets do), which saves copying its ops.
CheckedRunResult run_checked(Scenario scenario, const CheckedRunOptions& options,
                             ViolationSink* sink = nullptr);

}  // namespace synfin::harness
