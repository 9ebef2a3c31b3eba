#include "harness/capture_import.h"

#include "harness/capture_analysis.h"
#include "harness/capture_scenarios.h"
#include "harness/scenario_binary.h"

namespace synfin::harness {

uint64_t ImportStats::skipped_total() const {
  uint64_t n = 0;
  for (uint64_t k : skipped) n += k;
  return n;
}

void ImportStats::add(const ImportStats& o) {
  records += o.records;
  segments += o.segments;
  flows += o.flows;
  checksums_fixed += o.checksums_fixed;
  cut_salvaged += o.cut_salvaged;
  for (int i = 0; i < kNumSkipReasons; ++i) skipped[i] += o.skipped[i];
}

CaptureFlows split_capture(std::span<const CapturedPacket> packets, uint64_t records,
                           uint64_t non_ip) {
  CaptureFlows out;
  out.stats.records = records;
  out.stats.skipped[static_cast<int>(SkipReason::kNotIp)] = non_ip;
  FlowSplitter splitter;
  for (const CapturedPacket& p : packets) {
    DecodeOutcome d = decode_captured(p);
    if (!d.decoded) {
      ++out.stats.skipped[static_cast<int>(d.skipped)];
      continue;
    }
    if (!splitter.add(p.at, p.record, std::move(d.decoded->packet))) {
      ++out.stats.skipped[static_cast<int>(SkipReason::kDuplicate)];
      continue;
    }
    ++out.stats.segments;
    out.stats.checksums_fixed += d.decoded->checksum_fixed;
    out.stats.cut_salvaged += d.decoded->cut_salvaged;
  }
  out.flows = std::move(splitter).finish();
  out.stats.flows = out.flows.size();
  return out;
}

FlowScenarios convert_flow(const Flow& flow) {
  const FlowAnalysis a = analyze_flow(flow);
  return FlowScenarios{endpoint_scenario(flow, a), connection_scenario(flow, a)};
}

std::vector<uint8_t> encode_within(const Scenario& s, size_t max_bytes) {
  std::vector<uint8_t> bytes = encode_scenario(s);
  if (max_bytes == 0 || bytes.size() <= max_bytes) return bytes;
  size_t keep = binary_header_end(bytes);
  for (const OpSpan& op : split_ops(bytes)) {
    if (op.end > max_bytes) break;
    keep = op.end;
  }
  bytes.resize(keep);
  return bytes;
}

}  // namespace synfin::harness
