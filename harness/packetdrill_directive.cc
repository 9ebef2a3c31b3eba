#include "harness/packetdrill_directive.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "harness/scenario_text.h"

namespace synfin::harness::pd {
namespace {

constexpr absl::string_view kModeLine = "--mode=endpoint";

}  // namespace

std::string config_directive(const Config& c) {
  Scenario s;
  s.header.mode = Mode::kEndpoint;
  s.header.config = c;
  std::vector<absl::string_view> fields;
  const std::string text = print_scenario_text(s);
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    if (line != kModeLine) fields.push_back(line);
  }
  std::string out(kConfigDirective);
  if (!fields.empty()) absl::StrAppend(&out, " ", absl::StrJoin(fields, " "));
  return out;
}

absl::StatusOr<Config> parse_config_directive(std::string_view fields) {
  std::string text = absl::StrCat(kModeLine, "\n");
  const std::vector<absl::string_view> words =
      absl::StrSplit(absl::string_view(fields.data(), fields.size()), absl::ByAnyChar(" \t"), absl::SkipEmpty());
  for (absl::string_view w : words) {
    if (!absl::StartsWith(w, "--") || w == kModeLine || absl::StartsWith(w, "--mode=") ||
        absl::StartsWith(w, "--ip=") || absl::StartsWith(w, "--seed=") || absl::StartsWith(w, "--link.") ||
        absl::StartsWith(w, "--peer_isn=") || absl::StartsWith(w, "--port=") ||
        absl::StartsWith(w, "--draw_mix_from_seed=")) {
      return absl::InvalidArgumentError(
          absl::StrCat("expected a Config field (--name=value), found '", w, "'"));
    }
    absl::StrAppend(&text, w, "\n");
  }
  absl::StatusOr<Scenario> s = parse_scenario_text(text, "synfin-config");
  if (!s.ok()) {
    // "synfin-config:LINE:COL: expected ...": the position is in the text built here.
    absl::string_view m = s.status().message();
    for (int colons = 0; colons < 3 && !m.empty(); m.remove_prefix(1)) colons += m.front() == ':';
    return absl::InvalidArgumentError(absl::StripLeadingAsciiWhitespace(m));
  }
  return s->header.config;
}

}  // namespace synfin::harness::pd
