#include "harness/packetdrill_setup.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "harness/packetdrill_directive.h"

namespace synfin::harness::pd {

SetupResult read_setup(const Script& script, const Profile& profile) {
  SetupResult r;
  auto stop = [&r](SetupProblem::Kind kind, SourcePos pos, std::string what) {
    r.problem = SetupProblem{kind, pos, std::move(what)};
    return r;
  };
  bool port_set = false;
  for (const ScriptOption& o : script.options) {
    if (o.name == "ip_version") {
      if (o.value == "ipv4") {
        r.setup.family = IpFamily::kV4;
      } else if (o.value == "ipv6") {
        r.setup.family = IpFamily::kV6;
      } else {
        return stop(SetupProblem::Kind::kUnsupported, o.pos,
                    absl::StrCat("--ip_version=", o.value, " (synfin runs ipv4 or ipv6)"));
      }
    } else if (o.name == "bind_port" || o.name == "connect_port") {
      int port = 0;
      if (!absl::SimpleAtoi(o.value, &port) || port <= 0 || port > 65535) {
        return stop(SetupProblem::Kind::kMalformed, o.pos,
                    absl::StrCat("expected a port after --", o.name, "=, found '", o.value, "'"));
      }
      if (port_set && r.setup.port != port) {
        return stop(SetupProblem::Kind::kUnsupported, o.pos,
                    "--bind_port and --connect_port differ (synfin's script peer uses one port)");
      }
      r.setup.port = static_cast<uint16_t>(port);
      port_set = true;
    } else if (o.name != "tolerance_usecs" && o.name != "tolerance_percent") {
      // (Virtual time is exact: the tolerances have nothing to loosen.)
      r.no_equivalent.push_back(SetupProblem{SetupProblem::Kind::kNoEquivalent, o.pos,
                                             absl::StrCat("option --", o.name, " has no synfin equivalent")});
    }
  }
  r.setup.knobs.config = config_for(profile, r.setup.family);
  r.setup.knobs.max_sock_buf = profile.max_sock_buf;
  if (script.synfin_config) {
    // synfin's own Config, as `synfin pd export` wrote it: the profile's is replaced.
    absl::StatusOr<Config> c = parse_config_directive(script.synfin_config->fields);
    if (!c.ok()) {
      return stop(SetupProblem::Kind::kMalformed, script.synfin_config->pos,
                  absl::StrCat("synfin-config: ", c.status().message()));
    }
    r.setup.knobs.config = *c;
  }
  return r;
}

}  // namespace synfin::harness::pd
