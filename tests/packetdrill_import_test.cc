// synfin pd import: packetdrill scripts as endpoint scenarios and fuzz seeds.
#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "harness/checked_run.h"
#include "harness/packetdrill_import.h"
#include "harness/packetdrill_parse.h"
#include "harness/packetdrill_runner.h"
#include "harness/packetdrill_seed.h"
#include "harness/scenario_binary.h"

namespace synfin::harness::pd {
namespace {

Profile profile(const char* name = "rfc") { return *profile_named(name); }

absl::StatusOr<Imported> import_text(const std::string& text, const Profile& p = profile()) {
  absl::StatusOr<Script> s = parse_script(text, "t.pkt", p.defines);
  if (!s.ok()) return s.status();
  return import_script(*s, p);
}

// Every state any TCB of host 0 entered.
class StatesReached final : public RunObserver {
 public:
  void on_transition(int host, ConnId, State, State to, Cause, Instant) override {
    if (host == 0) states.insert(to);
  }
  std::set<State> states;
};

struct Checked {
  CheckedRunResult result;
  std::set<State> reached;
};

Checked run(const Scenario& s) {
  StatesReached seen;
  CheckedRunOptions o;
  o.observers.push_back(&seen);
  Checked c{run_checked(s, o), {}};
  c.reached = seen.states;
  return c;
}

std::vector<OpKind> kinds(const Scenario& s) {
  std::vector<OpKind> k;
  for (const Op& op : s.ops) k.push_back(op.kind);
  return k;
}

const char kPassive[] = R"(--ip_version=ipv4
0 `sysctl -w net.inet.tcp.msl=5000`
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 65535 <mss 1000>
+0 > S. 0:0(0) ack 1 <mss 1460>
+.1 < . 1:1(0) ack 1 win 65535
+0 accept(3, ..., ...) = 4
+0 %{ assert tcpi_state == TCPI_ESTABLISHED }%
+0 < P. 1:11(10) ack 1 win 65535
+0 > . 1:1(0) ack 11
+0 read(4, ..., 100) = 10
+0 getsockopt(4, SOL_SOCKET, SO_ERROR, [0], [4]) = 0
+.1 close(4) = 0
+0 > F. 1:1(0) ack 11
+.1 < . 11:11(0) ack 2 win 65535
+0 < F. 11:11(0) ack 2 win 65535
+0 > . 2:2(0) ack 12
+0 `sockstat -4 -P tcp -s | grep packetdril | grep -c TIME_WAIT | grep 1`
)";

TEST_CASE("pd import: a passive open maps onto the endpoint model op by op") {
  absl::StatusOr<Imported> im = import_text(kPassive);
  REQUIRE(im.ok());
  const Scenario& s = im->scenario;
  CHECK(s.header.mode == Mode::kEndpoint);
  CHECK(s.header.family == IpFamily::kV4);
  CHECK(s.header.config.msl == Duration::seconds(5));  // the sysctl
  CHECK(s.header.config.default_backlog == 1);          // listen(3, 1)
  using K = OpKind;
  CHECK(kinds(s) == std::vector<K>{K::kListen, K::kInject, K::kExpect, K::kWait, K::kInject, K::kAccept,
                                   K::kInject, K::kExpect, K::kRecv, K::kWait, K::kClose, K::kExpect,
                                   K::kWait, K::kInject, K::kInject, K::kExpect});
  CHECK(s.ops[0].port == 8080);
  CHECK(s.ops[3].amount == 100000);
  const InjectedSegment& data = s.ops[6].segment;
  CHECK(data.flags == Flags(Flags::kPsh | Flags::kAck));
  CHECK(data.seq_base == SeqBase::kPeerIsn);
  CHECK(data.seq == 1);
  CHECK(data.ack_base == AckBase::kHostIss);
  CHECK(data.ack == 1);
  CHECK(data.payload_len == 10);
  const ExpectedSegment& synack = s.ops[2].expected;
  CHECK(synack.flags == Flags(Flags::kSyn | Flags::kAck));
  CHECK(synack.check_ack);
  CHECK(synack.ack == 1);
  CHECK(!synack.check_window);
  CHECK(synack.check_options);
  CHECK(synack.options.mss == 1460);
  CHECK(s.ops[8].socket == 1);  // fd 4: the second socket the model creates
  CHECK(s.ops[8].amount == 100);
  REQUIRE(im->states.size() == 2);
  CHECK(im->states[0].state == State::kEstablished);
  CHECK(im->states[0].ops_before == 6);
  CHECK(im->states[1].state == State::kTimeWait);
  CHECK(im->lines.size() == s.ops.size());
  CHECK(im->lines[1] == 7);
}

TEST_CASE("pd import: the imported handshake reaches the states the script drives, oracles clean") {
  absl::StatusOr<Imported> im = import_text(kPassive);
  REQUIRE(im.ok());
  const Checked c = run(im->scenario);
  INFO(c.result.run.failure);
  for (const Violation& v : c.result.violations) INFO(v.to_string());
  CHECK(c.result.violations.empty());
  CHECK(c.result.run.expectations_ok);
  for (State want : {State::kSynReceived, State::kEstablished, State::kFinWait1, State::kFinWait2,
                     State::kTimeWait}) {
    INFO(to_string(want));
    CHECK(c.reached.contains(want));
  }
  for (const StateAssertion& a : im->states) CHECK(c.reached.contains(a.state));
}

TEST_CASE("pd import: an active open with a blocking connect, then an abort") {
  const char* script =
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "0...0.1 connect(3, ..., ...) = 0\n"
      "0 > S 0:0(0) <...>\n"
      "0.1 < S. 0:0(0) ack 1 win 1000 <mss 1460>\n"
      "0.1 > . 1:1(0) ack 1\n"
      "0.2 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0\n"
      "0.2 close(3) = 0\n"
      "0.2 > R 1:1(0)\n";
  absl::StatusOr<Imported> im = import_text(script);
  REQUIRE(im.ok());
  using K = OpKind;
  CHECK(kinds(im->scenario) ==
        std::vector<K>{K::kConnect, K::kExpect, K::kWait, K::kInject, K::kExpect, K::kWait, K::kAbort, K::kExpect});
  CHECK(!im->scenario.ops[1].expected.check_options);  // <...>
  const Checked c = run(im->scenario);
  INFO(c.result.run.failure);
  CHECK(c.result.clean());
  CHECK(c.reached.contains(State::kSynSent));
  CHECK(c.reached.contains(State::kEstablished));
  CHECK(c.reached.contains(State::kClosed));
}

TEST_CASE("pd import: a blocking accept happens when its time range ends") {
  const char* script =
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "+0 listen(3, 1) = 0\n"
      "0...0.2 accept(3, ..., ...) = 4\n"
      "0.1 < S 0:0(0) win 65535 <mss 1460>\n"
      "0.1 > S. 0:0(0) ack 1 <mss 1460>\n"
      "0.2 < . 1:1(0) ack 1 win 65535\n"
      "0.3 write(4, ..., 10) = 10\n"
      "0.3 > P. 1:11(10) ack 1\n";
  absl::StatusOr<Imported> im = import_text(script);
  REQUIRE(im.ok());
  using K = OpKind;
  CHECK(kinds(im->scenario) == std::vector<K>{K::kListen, K::kWait, K::kInject, K::kExpect, K::kWait,
                                              K::kInject, K::kAccept, K::kWait, K::kSend, K::kExpect});
  CHECK(im->lines[6] == 3);  // the accept keeps its own line
  CHECK(run(im->scenario).result.clean());
}

TEST_CASE("pd import: what the model cannot hold is noted, or drops the expectations") {
  const char* script =
      "--ip_version=ipv6\n"
      "0 `sysctl -w net.inet.tcp.ecn.enable=1`\n"
      "+0 `ifconfig lo0 mtu 1500`\n"
      "+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "+0 listen(3, 1) = 0\n"
      "+0 < [ect0] S 0:0(0) win 65535\n"
      "+0 > S. ...(0) ack 1 <...>\n";
  absl::StatusOr<Imported> im = import_text(script);
  REQUIRE(im.ok());
  CHECK(im->scenario.header.family == IpFamily::kV6);
  CHECK(!im->expectations);
  using K = OpKind;
  CHECK(kinds(im->scenario) == std::vector<K>{K::kListen, K::kInject});
  const std::vector<std::string>& n = im->notes;
  REQUIRE(n.size() == 4);
  CHECK(n[0].starts_with("line 2: net.inet.tcp.ecn.enable=1 left out"));
  CHECK(n[1] == "line 3: shell command left out");
  CHECK(n[2].starts_with("line 6: IP annotation [ect0] left out"));
  CHECK(n[3] == "line 7: no expectations: an outbound sequence wildcard (the model compares seq)");
}

TEST_CASE("pd import: bad scripts give file:line:col errors; inexpressible ones are skipped") {
  absl::StatusOr<Imported> parse = import_text("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < X 0:0(0)\n");
  REQUIRE(!parse.ok());
  CHECK(absl::IsInvalidArgument(parse.status()));
  CHECK(parse.status().message() == "t.pkt:2:6: expected TCP flags (S F R P . U E W), found 'X'");

  absl::StatusOr<Imported> wildcard = import_text("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n\n  +0 < S ...(0) win 1\n");
  REQUIRE(!wildcard.ok());
  CHECK(absl::IsInvalidArgument(wildcard.status()));
  CHECK(wildcard.status().message() == "t.pkt:3:3: an inbound packet needs a sequence number, not ...");

  absl::StatusOr<Imported> closed = import_text("0 write(5, ..., 10) = 10\n");
  REQUIRE(!closed.ok());
  CHECK(closed.status().message() == "t.pkt:1:1: write() on descriptor 5, which is not open");

  absl::StatusOr<Imported> udp = import_text("0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n");
  REQUIRE(!udp.ok());
  CHECK(absl::IsUnimplemented(udp.status()));
  CHECK(udp.status().message() == "t.pkt:1:1: socket() of a type other than SOCK_STREAM");

  absl::StatusOr<Imported> config = import_text("// synfin-config: --msl=forever\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n");
  REQUIRE(!config.ok());
  CHECK(std::string(config.status().message()).starts_with("t.pkt:1:1: synfin-config: expected"));
}

TEST_CASE("pd import: a seed drops expectations the run misses, and decodes to its scenario") {
  std::string text = kPassive;
  text.replace(text.find("> . 1:1(0) ack 11"), 17, "> . 1:1(0) ack 11 win 7");
  absl::StatusOr<Imported> im = import_text(text);
  REQUIRE(im.ok());
  CHECK(im->expectations);
  absl::StatusOr<Seed> seed = make_seed(*im);
  REQUIRE(seed.ok());
  CHECK(!seed->imported.expectations);
  CHECK(seed->dropped.starts_with("line 13: window differs"));
  CHECK(decode_scenario(seed->bytes) == seed->imported.scenario);
  CHECK(std::none_of(seed->imported.scenario.ops.begin(), seed->imported.scenario.ops.end(),
                     [](const Op& op) { return op.kind == OpKind::kExpect; }));
  REQUIRE(seed->imported.states.size() == 2);
  CHECK(seed->imported.states[0].ops_before == 5);  // the kExpect before it is gone

  absl::StatusOr<Seed> kept = make_seed(*import_text(kPassive));
  REQUIRE(kept.ok());
  CHECK(kept->dropped.empty());
  CHECK(kept->imported.expectations);
}

// Every shipped script: imported (or skipped as inexpressible, never bad), its
// seed clean under the oracles, and every state it asserts before `pd run --lax`
// stops it (all of them when it passes) reached by the seed's run.
int check_suite(const std::string& dir, const char* profile_name) {
  const Profile p = profile(profile_name);
  RunOptions lax;
  lax.profile = p;
  lax.lax = true;
  int imported = 0, asserted = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.path().extension() != ".pkt") continue;
    const std::string path = entry.path().string();
    INFO(path);
    absl::StatusOr<Imported> im = import_script_file(path, p);
    if (!im.ok()) {
      INFO(im.status().message());
      CHECK(absl::IsUnimplemented(im.status()));
      continue;
    }
    absl::StatusOr<Seed> seed = make_seed(*im);
    INFO((seed.ok() ? seed->dropped : std::string(seed.status().message())));
    REQUIRE(seed.ok());
    ++imported;
    const Checked c = run(seed->imported.scenario);
    CHECK(c.result.clean());
    const ScriptResult pd = run_script_file(path, lax);
    for (const StateAssertion& a : seed->imported.states) {
      if (pd.verdict != Verdict::kPassed && a.line >= pd.line) continue;
      INFO("line " << a.line << ": " << to_string(a.state));
      CHECK(c.reached.contains(a.state));
      ++asserted;
    }
  }
  CHECK(imported > 0);
  return asserted;
}

TEST_CASE("pd import: synfin's own scripts import under every profile") {
  for (const char* p : {"rfc", "freebsd", "linux"}) {
    INFO(p);
    check_suite(SYNFIN_SOURCE_DIR "/tests/data/packetdrill/synfin", p);
  }
}

TEST_CASE("pd import: the freebsd-net scripts import under the freebsd profile") {
  CHECK(check_suite(SYNFIN_SOURCE_DIR "/tests/data/packetdrill/freebsd", "freebsd") > 0);
}

}  // namespace
}  // namespace synfin::harness::pd
