// What a captured flow shows, in the terms the scenario converters need: each
// side's ISN and options, and for every segment where it sits in its sender's
// sequence space (new bytes, a retransmission, a late hole fill) and what its
// acknowledgment covers.
//
// Positions are relative to the sender's ISN: the SYN is at 0, the first data
// byte at 1. A side whose SYN the capture lacks gets an ISN inferred from the
// lowest sequence number it sent or the other side acknowledged, minus one, so
// that a capture starting mid-flow reads as if the handshake had just happened.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "harness/capture_flows.h"
#include "stack/time.h"

namespace synfin::harness {

// Index 0: the client's stream (client -> server); 1: the server's.
struct StreamInfo {
  uint32_t isn = 0;
  bool syn_seen = false;  // else `isn` is inferred
  std::optional<uint16_t> mss;       // from the side's SYN
  std::optional<uint8_t> wscale;     // from the side's SYN
  // Bits to shift this side's non-SYN windows by: RFC 7323 scaling applies only
  // when both SYNs carried the option (and the capture has both). Capped at 14.
  int window_shift = 0;
  bool any_segment = false;  // the capture holds at least one segment from this side
  // The side's first FIN: its position and the segment carrying it.
  std::optional<int64_t> fin;
  size_t fin_segment = 0;
};

enum class SegmentKind : uint8_t {
  kControl,         // no sequence space (a bare ACK or RST)
  kNew,             // reaches past everything the sender had sent before
  kRetransmission,  // everything in it was captured before
  kHoleFill,        // fills bytes the capture had skipped over: reordered, or lost
                    // before the capture point and sent again
};

struct SegmentInfo {
  bool from_client = false;
  SegmentKind kind = SegmentKind::kControl;
  int64_t seq = 0;  // position of the segment's first sequence number
  // kNew: payload bytes past the previous front, holes included (the sender's
  // application wrote them, whether or not the capture saw them).
  uint64_t new_bytes = 0;
  bool first_syn = false;  // the sender's first SYN
  bool first_fin = false;  // the sender's first FIN
  bool first_rst = false;  // the sender's first RST
  // kRetransmission, kHoleFill: the segment that first reached these bytes (for a
  // hole, the one that jumped past it); kNew with a hole: itself.
  size_t origin = 0;
  // A hole fill that came within one round trip of the jump: reordering, not loss.
  bool reordered = false;
  // With ACK: position acknowledged in the other side's space, and whether it
  // covers everything the capture has seen the other side send so far.
  int64_t ack = 0;
  bool acks_all = false;
  // With ACK, when it acknowledges new data: how long after the last captured
  // copy of the acknowledged byte, and the index of the segment that first
  // carried it.
  std::optional<Duration> ack_latency;
  size_t acked_origin = 0;
  // The window in bytes (scaled when scaling was negotiated).
  uint32_t window_bytes = 0;
};

struct FlowAnalysis {
  StreamInfo stream[2];
  // One per flow segment, same order.
  std::vector<SegmentInfo> segments;
  // Where the capture point sat: the one-way time from it to the client and to
  // the server, each half that side's quickest acknowledgment of something the
  // capture saw the other side send. Zero unless both sides acknowledged
  // something.
  Duration client_leg, server_leg;
  // The round trip: twice both legs when known; else the handshake's (SYN to
  // the client's first ACK, or SYN to SYN-ACK) when the capture shows it.
  std::optional<Duration> rtt;
};

FlowAnalysis analyze_flow(const Flow& flow);

}  // namespace synfin::harness
