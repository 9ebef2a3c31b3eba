// The catalogue of RFC 9293 transitions synfin's stack can take, as (from, to,
// cause) triples: what `synfin coverage` and the fuzz campaign report reached and
// missed. Figure 5's edges, the 3.10 text's (simultaneous open and close, FIN+ACK,
// RST and abort edges, passive SYN-RECEIVED back to LISTEN), the timer edges and
// the TIME-WAIT reuse of RFC 1122 4.2.2.13.
#pragma once

#include <span>

#include "stack/observer.h"
#include "stack/state.h"

namespace synfin::harness {

struct TransitionKey {
  State from;
  State to;
  Cause cause;
  friend auto operator<=>(const TransitionKey&, const TransitionKey&) = default;
};

std::span<const TransitionKey> rfc_transitions();

}  // namespace synfin::harness
