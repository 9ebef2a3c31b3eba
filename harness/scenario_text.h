// The text encoding of scenarios (harness/SCENARIOS.md is the grammar).
//
// Endpoint scenarios are written in packetdrill's syntax: `<` lines are segments
// the scripted peer injects, `>` lines are segments host 0 must send, and socket
// calls drive host 0. Connection scenarios use host-prefixed lines (`c connect
// 80`, `s accept`) plus explicit link faults. Both start with `--name=value`
// header lines that set every ScenarioHeader field.
//
// The printer is canonical: parse(print(s)) == s for every scenario that
// check_text_representable() accepts, and print(parse(t)) is a fixed point for
// every text the parser accepts. Every scenario the parser returns is
// representable, so a fuzzer may assert both properties.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "harness/scenario.h"

namespace synfin::harness {

// Inputs past these limits are rejected with an error, so a fuzzed parser
// stays fast and small.
inline constexpr size_t kMaxScenarioTextBytes = size_t{1} << 20;
inline constexpr size_t kMaxScenarioOps = 100000;

// The port listen and connect use in endpoint scripts that do not say otherwise
// (packetdrill's default); a `--port=N` header line changes it.
inline constexpr uint16_t kDefaultScriptPort = 8080;

// Parses a scenario. Errors are absl::InvalidArgumentError with the message
// "file:line:col: expected X, found 'Y'" (1-based line and column of the
// offending token; "found end of line" when the line ended too soon).
absl::StatusOr<Scenario> parse_scenario_text(std::string_view text,
                                             std::string_view file_name = "<text>");

// The canonical text of `s`: header lines only for fields that differ from
// ScenarioHeader{}, in a fixed order, then one line per operation (a wait is
// folded into the next line's relative time where that is unambiguous). Total:
// a scenario that is not representable still prints, as text the parser rejects.
std::string print_scenario_text(const Scenario& s);

// OK when print_scenario_text(s) parses back to exactly `s`; otherwise names the
// first field in the way. The text has no spelling for values the runner ignores,
// so these must hold their defaults (Op{}, InjectedSegment{}, ExpectedSegment{}):
//  - fields an op kind does not use (e.g. `port` of a kSend, `socket` of a kListen,
//    `amount` of a kClose, `segment` of anything but kInject);
//  - ExpectedSegment::ack / window / options when check_ack / check_window /
//    check_options is false.
// And the mode's restrictions: endpoint scenarios use host 0 only and have no
// kFault or kPartition; connection scenarios have no kExpect, hosts are 0 or 1,
// and a kPartition's host (its direction mask) is 1, 2 or 3. Enums must be in range.
absl::Status check_text_representable(const Scenario& s);

// Shared by the parser and the printer; not for other callers.
namespace text_internal {

// A FaultMix probability: written as a fraction in [0, 1], stored in 1/65536 units.
struct Probability {
  uint16_t* value;
};
using HeaderFieldRef = std::variant<Mode*, IpFamily*, uint64_t*, uint32_t*, uint16_t*, int*,
                                    bool*, Duration*, TimeWaitSynPolicy*, Probability>;
struct HeaderField {
  std::string_view name;  // as written after "--"
  HeaderFieldRef ref;
};
// Every ScenarioHeader field, in canonical print order.
std::vector<HeaderField> header_fields(ScenarioHeader& h);

// The stored value of the fraction mantissa / 10^decimals, which must be at most 1
// with decimals <= 12: rounded to the nearest 1/65536 (halves up), 65536 clamped
// to 65535. The parser reads probabilities with it; the printer searches it for
// the shortest decimal that reads back to a given value.
uint16_t probability_units(uint64_t mantissa, int decimals);

}  // namespace text_internal
}  // namespace synfin::harness
