// synfin pd export: scripts that `synfin pd run` (and the importer) read back
// as synfin ran them.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <catch2/catch.hpp>

#include "harness/checked_run.h"
#include "harness/packetdrill_directive.h"
#include "harness/packetdrill_export.h"
#include "harness/packetdrill_import.h"
#include "harness/packetdrill_parse.h"
#include "harness/packetdrill_report.h"
#include "harness/packetdrill_runner.h"
#include "harness/scenario_text.h"

namespace synfin::harness::pd {
namespace {

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST_CASE("pd export: the synfin-config line carries the Config both ways") {
  CHECK(config_directive(Config{}) == "// synfin-config:");
  Config c;
  c.rto_max = Duration::seconds(2);
  c.time_wait_syn = TimeWaitSynPolicy::kReuseIfSeqGreater;
  c.rfc5961_ack = false;
  c.mss = 536;
  const std::string line = config_directive(c);
  CHECK(line == "// synfin-config: --rto_max=2s --mss=536 --rfc5961_ack=off --time_wait_syn=reuse");
  absl::StatusOr<Config> back = parse_config_directive(line.substr(kConfigDirective.size()));
  REQUIRE(back.ok());
  CHECK(*back == c);
  absl::StatusOr<Config> bad = parse_config_directive(" --msl=3 ");
  REQUIRE(!bad.ok());
  CHECK(std::string(bad.status().message()).starts_with("expected "));
  CHECK(!parse_config_directive(" --seed=3").ok());  // not a Config field
}

TEST_CASE("pd export: pd run starts from the synfin-config line instead of its profile") {
  // Under the rfc profile a SYN in TIME-WAIT draws an ACK (strict); the line
  // asks for RFC 1122 reuse, so the SYN opens a new incarnation.
  const std::string body =
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "+0 listen(3, 1) = 0\n"
      "+0 < S 0:0(0) win 65535 <mss 1460>\n"
      "+0 > S. 0:0(0) ack 1 <mss 1460>\n"
      "+0 < . 1:1(0) ack 1 win 65535\n"
      "+0 accept(3, ..., ...) = 4\n"
      "+0 close(4) = 0\n"
      "+0 > F. 1:1(0) ack 1\n"
      "+0 < F. 1:1(0) ack 2 win 65535\n"
      "+0 > . 2:2(0) ack 2\n"
      "+1 < S 100000:100000(0) win 65535 <mss 1460>\n"
      "+0 > S. ...(0) ack 100001 <mss 1460>\n";
  RunOptions o;
  o.profile = *profile_named("rfc");
  auto strict = parse_script(body, "t.pkt", o.profile.defines);
  REQUIRE(strict.ok());
  CHECK(run_script(*strict, o).verdict == Verdict::kFailed);
  auto reuse = parse_script("// synfin-config: --time_wait_syn=reuse\n" + body, "t.pkt", o.profile.defines);
  REQUIRE(reuse.ok());
  REQUIRE(reuse->synfin_config.has_value());
  CHECK(reuse->synfin_config->pos.line == 1);
  const ScriptResult r = run_script(*reuse, o);
  INFO(result_line(r));
  CHECK(r.verdict == Verdict::kPassed);
  auto twice = parse_script("// synfin-config:\n  // synfin-config:\n", "t.pkt", {});
  REQUIRE(!twice.ok());
  CHECK(twice.status().message() == "t.pkt:2:3: expected one synfin-config line, found a second");
}

// Every shipped endpoint scenario, exported, passes `synfin pd run` under every
// profile (the synfin-config line makes the profile's Config irrelevant), and
// imports back into a scenario whose run meets every expectation, oracles clean.
TEST_CASE("pd export: every shipped endpoint scenario round-trips through pd run and import") {
  int scenarios = 0;
  for (const auto& entry : std::filesystem::directory_iterator(SYNFIN_SOURCE_DIR "/corpus/scenarios")) {
    if (entry.path().extension() != ".pkt") continue;
    const std::string path = entry.path().string();
    INFO(path);
    absl::StatusOr<Scenario> s = parse_scenario_text(read(path), path);
    REQUIRE(s.ok());
    absl::StatusOr<std::string> script = export_script(*s, entry.path().filename().string());
    REQUIRE(script.ok());
    INFO(*script);
    for (const char* name : {"rfc", "freebsd", "linux"}) {
      INFO(name);
      RunOptions o;
      o.profile = *profile_named(name);
      absl::StatusOr<Script> parsed = parse_script(*script, "exported.pkt", o.profile.defines);
      REQUIRE(parsed.ok());
      const ScriptResult r = run_script(*parsed, o);
      INFO(result_line(r));
      CHECK(r.verdict == Verdict::kPassed);
      absl::StatusOr<Imported> back = import_script(*parsed, o.profile);
      REQUIRE(back.ok());
      CHECK(back->expectations);
      const CheckedRunResult run = run_checked(back->scenario, CheckedRunOptions{});
      INFO(run.run.failure);
      CHECK(run.clean());
    }
    ++scenarios;
  }
  CHECK(scenarios >= 16);
}

}  // namespace
}  // namespace synfin::harness::pd
