// Arbitrary bytes as a classic pcap capture, through the capture importer:
// savefile walker, decoding, flow splitting, analysis and conversion to both
// scenario forms. Nothing may crash or trip a sanitizer, and the importer's own
// promises must hold: every record is accounted for (used or skipped with a
// reason), and every scenario it makes is text-representable and survives the
// binary encoding, cut or whole.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "absl/strings/str_cat.h"
#include "fuzz/fuzz_support.h"
#include "harness/capture_import.h"
#include "harness/savefile_walker.h"
#include "harness/scenario_binary.h"
#include "harness/scenario_text.h"

namespace {

using namespace synfin;
using namespace synfin::harness;

// The size the scenario fuzz targets read at most (their max_len).
constexpr size_t kSeedBytes = 2048;

void check_scenario(const Scenario& s, const char* form) {
  if (absl::Status st = check_text_representable(s); !st.ok()) {
    fuzz::die_with_failure("pcap import: scenario not text-representable",
                           absl::StrCat(form, ": ", st.message()));
  }
  const std::vector<uint8_t> bytes = encode_scenario(s);
  if (!(decode_scenario(bytes) == s)) {
    fuzz::die_with_failure("pcap import: binary round trip changed the scenario", form);
  }
  const std::vector<uint8_t> cut = encode_within(s, kSeedBytes);
  if (cut.size() > std::max(kSeedBytes, binary_header_end(bytes)) ||
      !std::equal(cut.begin(), cut.end(), bytes.begin())) {
    fuzz::die_with_failure("pcap import: cut encoding is not a prefix within the limit", form);
  }
  const Scenario shorter = decode_scenario(cut);
  if (shorter.header != s.header || shorter.ops.size() > s.ops.size() ||
      !std::equal(shorter.ops.begin(), shorter.ops.end(), s.ops.begin())) {
    fuzz::die_with_failure("pcap import: cut encoding is not the scenario's prefix", form);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::StatusOr<SavefileRecords> walked = walk_savefile(std::span<const uint8_t>(data, size));
  if (!walked.ok()) return 0;
  const CaptureFlows flows = split_capture(walked->packets, walked->records, walked->non_ip);
  if (flows.stats.segments + flows.stats.skipped_total() != walked->records) {
    fuzz::die_with_failure("pcap import: records not accounted for",
                           absl::StrCat(walked->records, " records, ", flows.stats.segments,
                                        " segments, ", flows.stats.skipped_total(), " skipped"));
  }
  uint64_t in_flows = 0;
  for (const Flow& flow : flows.flows) {
    in_flows += flow.segments.size();
    const FlowScenarios sc = convert_flow(flow);
    check_scenario(sc.endpoint, "endpoint");
    check_scenario(sc.connection, "connection");
  }
  if (in_flows != flows.stats.segments) {
    fuzz::die_with_failure("pcap import: flows do not hold every segment",
                           absl::StrCat(in_flows, " in flows, ", flows.stats.segments, " counted"));
  }
  return 0;
}
