// Packet-level pieces of the script runner: building options from a script's
// list, comparing what the stack sent with what a line expects, describing both
// in packetdrill's relative numbering, and probing which options the stack sends.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "harness/packetdrill_script.h"
#include "stack/config.h"
#include "stack/ip.h"
#include "stack/segment.h"

namespace synfin::harness::pd {

const char* option_name(OptionSpec::Kind k);

// The option set a script's list spells (nop and eol are padding and vanish).
// SACK blocks are relative to `sack_base`. Errors name a repeated option.
absl::StatusOr<TcpOptions> options_from_spec(const std::vector<OptionSpec>& list, uint32_t sack_base);

// The IP ECN bits of an inbound line's annotation: "" / "[noecn]" 0, "[ect1]" 1,
// "[ect0]" 2, "[ce]" 3.
absl::StatusOr<uint8_t> ecn_bits(std::string_view annotation);

// Why `actual` does not match `want`, or "" when it does. Sequence numbers are
// relative to `local_iss`, acknowledgments to `peer_isn`. Options compare as a
// set (synfin's codec fixes their order and padding), TS val is not compared
// (the stack's clock is its own), TS ecr and SACK blocks are.
std::string compare_outbound(const PacketSpec& want, const Segment& actual, uint32_t local_iss,
                             uint32_t peer_isn);

std::string describe_expected(const PacketSpec& p);
std::string describe_actual(const Segment& s, uint32_t local_iss, uint32_t peer_isn);

// The option kinds (wscale, sackOK, sack, TS) the stack under `config` never
// sends, found by letting a host open actively and answer a SYN that offers all
// of them.
std::vector<OptionSpec::Kind> probe_lacking_options(const Config& config, IpFamily family);

}  // namespace synfin::harness::pd
