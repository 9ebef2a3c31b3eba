// The script header both `pd run` and `pd import` read: packetdrill's options and
// the synfin-config directive, with problems typed for each caller's policy.
#include <catch2/catch.hpp>

#include "harness/packetdrill_setup.h"

using namespace synfin;
using namespace synfin::harness::pd;

namespace {

Script with_options(std::vector<std::pair<std::string, std::string>> options) {
  Script s;
  int line = 1;
  for (auto& [name, value] : options) s.options.push_back(ScriptOption{name, value, SourcePos{line++, 1}});
  return s;
}

Profile rfc() {
  auto p = profile_named("rfc");
  REQUIRE(p.ok());
  return *p;
}

}  // namespace

TEST_CASE("pd setup: family, port and the profile's Config; tolerances are taken without a word",
          "[pd]") {
  const SetupResult r = read_setup(
      with_options({{"ip_version", "ipv6"}, {"bind_port", "8080"}, {"connect_port", "8080"},
                    {"tolerance_usecs", "4000"}}),
      rfc());
  REQUIRE_FALSE(r.problem);
  CHECK(r.no_equivalent.empty());
  CHECK(r.setup.family == IpFamily::kV6);
  CHECK(r.setup.port == 8080);
  CHECK(r.setup.knobs.config == config_for(rfc(), IpFamily::kV6));
}

TEST_CASE("pd setup: two different ports are unsupported, even when the first is packetdrill's default",
          "[pd]") {
  const SetupResult r = read_setup(with_options({{"bind_port", "8080"}, {"connect_port", "9000"}}), rfc());
  REQUIRE(r.problem);
  CHECK(r.problem->kind == SetupProblem::Kind::kUnsupported);
  CHECK(r.problem->pos.line == 2);
}

TEST_CASE("pd setup: a bad port or directive is malformed, another family unsupported, an unknown "
          "option listed and read past",
          "[pd]") {
  SECTION("port") {
    const SetupResult r = read_setup(with_options({{"bind_port", "http"}}), rfc());
    REQUIRE(r.problem);
    CHECK(r.problem->kind == SetupProblem::Kind::kMalformed);
    CHECK(r.problem->what == "expected a port after --bind_port=, found 'http'");
  }
  SECTION("family") {
    const SetupResult r = read_setup(with_options({{"ip_version", "ipv4-mapped-ipv6"}}), rfc());
    REQUIRE(r.problem);
    CHECK(r.problem->kind == SetupProblem::Kind::kUnsupported);
  }
  SECTION("directive") {
    Script s;
    s.synfin_config = ConfigLine{"--rto_max=soon", SourcePos{3, 1}};
    const SetupResult r = read_setup(s, rfc());
    REQUIRE(r.problem);
    CHECK(r.problem->kind == SetupProblem::Kind::kMalformed);
    CHECK(r.problem->pos.line == 3);
    CHECK(r.problem->what.rfind("synfin-config: ", 0) == 0);
  }
  SECTION("unknown options") {
    const SetupResult r =
        read_setup(with_options({{"verbose", ""}, {"bind_port", "80"}, {"wire_client", "x"}}), rfc());
    REQUIRE_FALSE(r.problem);
    REQUIRE(r.no_equivalent.size() == 2);
    CHECK(r.no_equivalent[0].what == "option --verbose has no synfin equivalent");
    CHECK(r.no_equivalent[1].pos.line == 3);
    CHECK(r.setup.port == 80);
  }
  SECTION("a directive replaces the profile's Config") {
    Script s;
    s.synfin_config = ConfigLine{"--rto_max=2s", SourcePos{1, 1}};
    const SetupResult r = read_setup(s, rfc());
    REQUIRE_FALSE(r.problem);
    Config want;
    want.rto_max = Duration::seconds(2);
    CHECK(r.setup.knobs.config == want);
  }
}
