// Reads packetdrill scripts (the syntax of google/packetdrill and nplab's
// packetdrill, as used by freebsd-net/tcp-testsuite) into pd::Script.
//
// `#ifdef NAME` / `#ifndef NAME` / `#else` / `#endif` blocks are resolved first,
// with `defines` (the profile's names: FreeBSD, Linux, STANDARD) as the defined
// set. Errors are absl::InvalidArgumentError "file:line:col: expected X, found 'Y'".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "harness/packetdrill_script.h"

namespace synfin::harness::pd {

// The text with every line of an untaken #ifdef branch (and the directive
// lines themselves) blanked, so line numbers stay those of the file.
absl::StatusOr<std::string> preprocess(std::string_view text, std::string_view file,
                                       const std::vector<std::string>& defines);

// preprocess, then parse.
absl::StatusOr<Script> parse_script(std::string_view text, std::string_view file,
                                    const std::vector<std::string>& defines);

}  // namespace synfin::harness::pd
