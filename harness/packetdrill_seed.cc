#include "harness/packetdrill_seed.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "harness/checked_run.h"
#include "harness/scenario_binary.h"

namespace synfin::harness::pd {
namespace {

bool has_expectations(const Scenario& s) {
  for (const Op& op : s.ops) {
    if (op.kind == OpKind::kExpect) return true;
  }
  return false;
}

absl::Status violation(const CheckedRunResult& r, const char* run) {
  return absl::FailedPreconditionError(
      absl::StrCat("oracle violation (", run, "): ", r.violations.front().to_string()));
}

}  // namespace

absl::StatusOr<Seed> make_seed(Imported imported) {
  Seed seed;
  if (has_expectations(imported.scenario)) {
    const CheckedRunResult as_is = run_checked(imported.scenario, CheckedRunOptions{});
    if (!as_is.violations.empty()) return violation(as_is, "the script's run");
    if (!as_is.run.expectations_ok) {
      const size_t op = static_cast<size_t>(std::max(as_is.run.failed_op, 0));
      seed.dropped = op < imported.lines.size()
                         ? absl::StrCat("line ", imported.lines[op], ": ", as_is.run.failure)
                         : absl::StrCat("after the last line: ", as_is.run.failure);
      drop_expectations(imported);
    }
  }
  seed.bytes = encode_scenario(imported.scenario);
  const CheckedRunResult fuzzed =
      run_checked(scenario_for_target(Target::kEndpoint, seed.bytes), CheckedRunOptions{});
  if (!fuzzed.violations.empty()) return violation(fuzzed, "as the endpoint fuzzer runs it");
  seed.imported = std::move(imported);
  return seed;
}

}  // namespace synfin::harness::pd
