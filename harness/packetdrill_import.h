// packetdrill scripts as endpoint scenarios (harness/scenario.h), so every
// conformance script can seed the endpoint fuzzer (`synfin pd import`).
//
// The mapping follows the endpoint text form (harness/SCENARIOS.md) and the
// script runner (harness/packetdrill_runner.h):
//  - the header: endpoint mode, the script's address family, the profile's
//    Config with the script's `sysctl -w` knobs and its pre-connection
//    SO_RCVBUF / SO_SNDBUF / TCP_MAXSEG applied;
//  - '<' lines become kInject (seq relative to the peer's ISN, ack to the host's
//    ISS, as packetdrill numbers them), '>' lines kExpect, times kWait;
//  - socket calls become kListen / kConnect / kAccept / kSend / kRecv /
//    kShutdown / kClose (kAbort after SO_LINGER {1, 0}); descriptors map to the
//    model's socket indices in creation order, as in the text form; a blocking
//    call with a `start...end` time happens at its end;
//  - what only observes (getsockopt, fcntl, sockstat counts, Python asserts)
//    becomes no op; its state assertions are kept in `Imported::states`.
// What the model has no room for is left out and listed in `notes`, unless it
// changes what the script drives: then the script is not imported.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "harness/packetdrill_profile.h"
#include "harness/packetdrill_script.h"
#include "harness/scenario.h"
#include "stack/state.h"

namespace synfin::harness::pd {

// A state the script asserts (`%{ assert tcpi_state == TCPI_X }%`, or a
// `sockstat | grep -c X | grep N` count above zero) once `ops_before` ops have run.
struct StateAssertion {
  int line = 0;
  size_t ops_before = 0;
  State state = State::kClosed;
};

struct Imported {
  Scenario scenario;
  std::vector<int> lines;          // the script line of each op
  std::vector<std::string> notes;  // "line N: what was left out"
  std::vector<StateAssertion> states;
  // False when some '>' line has no faithful kExpect (a sequence wildcard, a
  // time range): the scenario then carries no expectations at all, since the
  // simulator checks every outbound packet once a scenario has one.
  bool expectations = true;
};

// Errors: absl::InvalidArgumentError "file:line:col: ..." for a script that is
// wrong (packetdrill would reject it too); absl::UnimplementedError
// "file:line:col: ..." for one the model cannot express (it is skipped).
absl::StatusOr<Imported> import_script(const Script& script, const Profile& profile);

// Removes every kExpect op (keeping `states` pointing at the same ops) and
// clears `expectations`.
void drop_expectations(Imported& imported);

// Reads, preprocesses (the profile's #ifdef names), parses and imports one file.
absl::StatusOr<Imported> import_script_file(const std::string& path, const Profile& profile);

}  // namespace synfin::harness::pd
