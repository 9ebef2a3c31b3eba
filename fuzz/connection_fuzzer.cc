// Two synfin hosts over faulty links: the full scenario model, every oracle on.
// Input: a binary scenario, run in connection mode whatever its header says.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_support.h"
#include "fuzz/scenario_mutator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  synfin::fuzz::run_scenario_input(synfin::harness::Target::kConnection, data, size);
  return 0;
}

SYNFIN_SCENARIO_MUTATOR(synfin::harness::Mode::kConnection)
