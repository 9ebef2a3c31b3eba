#include "harness/checked_run.h"

#include "harness/oracles/oracle.h"
#include "harness/scenario_binary.h"

namespace synfin::harness {
namespace {

// Forwards to the caller's sink (if any) and keeps a copy for the result.
class TeeSink final : public ViolationSink {
 public:
  explicit TeeSink(ViolationSink* next) : next_(next) {}
  void report(Violation v) override {
    if (next_) next_->report(v);
    if (kept_.size() < 64) kept_.push_back(std::move(v));
  }
  std::vector<Violation> take() { return std::move(kept_); }

 private:
  ViolationSink* next_;
  std::vector<Violation> kept_;
};

}  // namespace

Scenario scenario_for_target(Target target, std::span<const uint8_t> bytes) {
  Scenario s = decode_scenario(bytes);
  switch (target) {
    case Target::kAsIs:
      break;
    case Target::kEndpoint:
      s.header.mode = Mode::kEndpoint;
      // A fuzzed script's predictions of the stack are not checked: the oracles
      // judge the run, and an expectation would only cut it short.
      std::erase_if(s.ops, [](const Op& op) { return op.kind == OpKind::kExpect; });
      break;
    case Target::kConnection:
      s.header.mode = Mode::kConnection;
      // Expectations belong to scripted peers; a two-host run has none.
      std::erase_if(s.ops, [](const Op& op) { return op.kind == OpKind::kExpect; });
      break;
  }
  return s;
}

CheckedRunResult run_checked(Scenario scenario, const CheckedRunOptions& options,
                             ViolationSink* sink) {
  scenario.header = sanitized(scenario.header);  // the oracles judge the run as it is run
  TeeSink tee(sink);
  // The oracles, then the caller's observers, in that order; with oracles on they
  // all hang off the OracleSet, which counts the events its checkers cite.
  RunObserverList list;
  std::optional<OracleSet> oracles;
  RunObserver* observer = nullptr;
  if (options.oracles) {
    oracles.emplace(scenario.header, &tee);
    for (RunObserver* o : options.observers) oracles->add_observer(o);
    observer = &*oracles;
  } else {
    for (RunObserver* o : options.observers) list.add(o);
    if (!list.empty()) observer = &list;
  }
  Simulation sim(std::move(scenario), observer, options.limits);
  CheckedRunResult r;
  r.run = sim.run();
  if (oracles) oracles->finish(r.run.quiet, r.run.end);
  r.violations = tee.take();
  return r;
}

}  // namespace synfin::harness
