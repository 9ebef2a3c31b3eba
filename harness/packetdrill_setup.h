// What a packetdrill script's header sets up, read once for `synfin pd run` and
// `synfin pd import` alike: the address family and port from packetdrill's
// command-line options, and the stack's knobs from the profile or from the
// script's `// synfin-config:` directive. Each caller decides what a problem
// means to it (the runner skips or fails the script, the importer refuses it or
// leaves a note).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/packetdrill_profile.h"
#include "harness/packetdrill_script.h"

namespace synfin::harness::pd {

struct ScriptSetup {
  IpFamily family = IpFamily::kV4;
  uint16_t port = 8080;  // --bind_port / --connect_port; packetdrill's default
  KnobState knobs;       // the profile's Config and buffer cap, or the directive's Config
};

struct SetupProblem {
  enum class Kind {
    kMalformed,     // a value that is not what the option takes
    kUnsupported,   // a setting synfin cannot run (another family, two ports)
    kNoEquivalent,  // an option synfin has nothing for; reading goes on past it
  };
  Kind kind;
  SourcePos pos;
  std::string what;
};

struct SetupResult {
  ScriptSetup setup;
  // The first malformed or unsupported setting; reading stops there.
  std::optional<SetupProblem> problem;
  // Options with no synfin equivalent, in script order.
  std::vector<SetupProblem> no_equivalent;
};

SetupResult read_setup(const Script& script, const Profile& profile);

}  // namespace synfin::harness::pd
