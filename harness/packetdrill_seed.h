// An imported packetdrill script (harness/packetdrill_import.h) as an
// endpoint-fuzzer seed: checked by running it, then encoded.
//
// The scenario runs twice with every oracle on (harness::run_checked): as it is,
// so that `synfin run SEED` checks the script's expectations, and as the
// endpoint fuzzer runs it (expectations stripped), so the seed runs clean
// there. An expectation the run misses drops all of them (the seed still drives
// the stack through the script's packets and calls); an oracle violation
// in either run means no seed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "harness/packetdrill_import.h"

namespace synfin::harness::pd {

struct Seed {
  Imported imported;         // as encoded (its expectations gone if dropped)
  std::vector<uint8_t> bytes;  // the binary scenario (harness/scenario_binary.h)
  std::string dropped;       // why the expectations were dropped by the run, or ""
};

// Errors: absl::FailedPreconditionError naming the first oracle violation.
absl::StatusOr<Seed> make_seed(Imported imported);

}  // namespace synfin::harness::pd
