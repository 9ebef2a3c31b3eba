// From the packets of a capture to scenarios: decode (capture_decode.h), split
// into flows (capture_flows.h), analyze (capture_analysis.h) and convert
// (capture_scenarios.h). No libpcap here: the CLI feeds it from libpcap's reader,
// the fuzz target from a savefile walker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "harness/capture_decode.h"
#include "harness/capture_flows.h"
#include "harness/captured_packet.h"
#include "harness/scenario.h"

namespace synfin::harness {

struct ImportStats {
  uint64_t records = 0;            // capture records read
  uint64_t segments = 0;           // TCP segments that went into flows
  uint64_t flows = 0;
  uint64_t checksums_fixed = 0;    // wrong checksums (NIC offload) taken as right
  uint64_t cut_salvaged = 0;     // packets cut short, used with their stated length
  uint64_t skipped[kNumSkipReasons] = {};
  uint64_t skipped_total() const;
  void add(const ImportStats& o);
};

// The flows of one capture. `non_ip` and `records` come from the reader.
struct CaptureFlows {
  std::vector<Flow> flows;
  ImportStats stats;
};
CaptureFlows split_capture(std::span<const CapturedPacket> packets, uint64_t records,
                           uint64_t non_ip);

struct FlowScenarios {
  Scenario endpoint;
  Scenario connection;
};
FlowScenarios convert_flow(const Flow& flow);

// The binary encoding of `s`, cut after the last whole op that fits in
// `max_bytes` (0: no limit). Fuzzers read only a prefix of long inputs; a cut at
// an op boundary keeps the file a canonical encoding of the shorter scenario.
std::vector<uint8_t> encode_within(const Scenario& s, size_t max_bytes);

}  // namespace synfin::harness
