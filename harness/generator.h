// Random but meaningful scenarios for `synfin soak`: a client and a server go
// through a connection's life (open, transfer both ways, half-close, close) while
// the links apply a fault mix drawn from the seed. Every seed is its own run.
#pragma once

#include <cstdint>

#include "harness/scenario.h"

namespace synfin::harness {

Scenario random_lifecycle_scenario(uint64_t seed);

}  // namespace synfin::harness
