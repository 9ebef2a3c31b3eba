// The `// synfin-config:` comment line of packetdrill scripts: synfin's whole
// Config, in the scenario text's header syntax (harness/SCENARIOS.md), for what
// FreeBSD's sysctl names cannot carry (RFC 5961 ACK checks, RFC 1337, TIME-WAIT
// reuse, RTO ceiling, retry counts, MSS, backlog).
//
//   // synfin-config: --rto_max=2s --time_wait_syn=reuse
//
// `synfin pd export` writes one in every script; `synfin pd run` then starts
// from exactly that Config (Config{} with the fields named) instead of its
// profile's, so an exported case runs as synfin ran it. packetdrill reads it
// as a comment.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "stack/config.h"

namespace synfin::harness::pd {

inline constexpr std::string_view kConfigDirective = "// synfin-config:";

// The directive line for `c` (without a newline): the fields that differ from
// Config{}, in the text printer's order and spelling.
std::string config_directive(const Config& c);

// The Config the text after "// synfin-config:" spells. Errors name the
// offending field ("expected ..., found ...").
absl::StatusOr<Config> parse_config_directive(std::string_view fields);

}  // namespace synfin::harness::pd
