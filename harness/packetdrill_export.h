// Endpoint scenarios (and crash inputs) as packetdrill scripts: the run's
// injected segments become '<' lines and what synfin's stack sent becomes '>'
// lines, with the application calls between them, in packetdrill's relative
// numbering, so a kernel engineer can replay a synfin case with real
// packetdrill (and `synfin pd run` reads it back).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "harness/scenario.h"

namespace synfin::harness::pd {

// Runs `s` (endpoint mode; its own expectations are dropped) and prints the
// script. Connection-mode scenarios have no single scripted peer: an error.
absl::StatusOr<std::string> export_script(const Scenario& s, const std::string& source_name);

}  // namespace synfin::harness::pd
