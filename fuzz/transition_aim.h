// Operations aimed at one RFC 9293 transition: wait until a connection is in the
// edge's starting state, then do what causes the edge (the app call, or the
// segment RFC 9293 names, addressed relative to the live TCB), with the header
// knob some edges need (RFC 5961's SYN check off for RFC 793's in-window SYN
// reset, TIME-WAIT reuse for a new incarnation, keep-alive for its timeout).
//
// Most edges the fuzzers missed need three things at once: a state that lasts a
// round trip or less, the right segment inside it, and a header setting. Random
// ops find each with low odds and all three together rarely; this finds them in
// one step, and the engine keeps what works.
#pragma once

#include <cstdint>
#include <vector>

#include "harness/rng.h"
#include "harness/scenario.h"
#include "harness/transition_catalog.h"

namespace synfin::fuzz {

struct TransitionAim {
  std::vector<harness::Op> ops;
  // Header settings the edge needs; applied by the caller.
  bool rfc5961_syn_off = false;
  bool time_wait_reuse = false;
  bool keepalive_short = false;
};

// Aimed at `host`'s connections (always 0 in endpoint mode). With
// `with_closing_path` (connection mode only: both apps are synfin's), the ops
// first take host's connection from ESTABLISHED into the edge's starting state
// when a closing sequence leads there (CLOSING: both apps shut down at once;
// LAST-ACK: the peer's app, then this one), so the aim does not depend on the
// input already getting there.
TransitionAim aim_at(const harness::TransitionKey& edge, uint8_t host, harness::Rng& r,
                     bool with_closing_path = false);
// The host and the closing path drawn from `r` (connection mode), or neither.
TransitionAim aim_at(const harness::TransitionKey& edge, harness::Rng& r, harness::Mode mode);

// Sets what `aim` asks of the header.
void apply_aim_header(const TransitionAim& aim, harness::ScenarioHeader& h);

}  // namespace synfin::fuzz
