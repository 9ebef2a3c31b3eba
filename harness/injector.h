// Builds crafted segments from a scenario's InjectedSegment, with sequence and
// acknowledgment numbers resolved against the target host's live TCB. This is how
// a fuzzer reaches deep states: "RCV.NXT + 3" hits the window whatever the ISNs.
#pragma once

#include <optional>

#include "harness/scenario.h"
#include "stack/host.h"

namespace synfin::harness {

// The connection an injection or expectation is about: host `host`'s end of it.
struct InjectionTarget {
  FourTuple tuple;                  // from the target host's point of view
  std::optional<TcbSnapshot> tcb;   // the live TCB, if the tuple has one
};

// Resolves the packet to deliver to the target host. `peer_isn` is the scripted
// peer's ISN (endpoint mode); `fallback` is the last TCB seen for the target, used
// when the tuple has none now.
IpPacket build_injected_packet(const InjectedSegment& spec, const InjectionTarget& target,
                               uint32_t peer_isn, const std::optional<TcbSnapshot>& fallback);

// The sequence number of the first byte of the peer's stream, for payload bytes.
SeqNum peer_stream_start(const InjectionTarget& target, uint32_t peer_isn,
                         const std::optional<TcbSnapshot>& fallback);

}  // namespace synfin::harness
