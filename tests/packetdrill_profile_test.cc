// synfin pd: OS knobs (sysctl) onto the stack's Config.
#include <string>

#include <catch2/catch.hpp>

#include "harness/packetdrill_parse.h"
#include "harness/packetdrill_profile.h"
#include "harness/packetdrill_report.h"
#include "harness/packetdrill_runner.h"

namespace synfin::harness::pd {
namespace {

TEST_CASE("pd profile: RFC 7323 switches turn window scaling on and off") {
  KnobState st;
  // FreeBSD's one switch sets window scaling and timestamps together.
  CHECK(apply_sysctl("net.inet.tcp.rfc1323", "0", st).kind == KnobEffect::Kind::kApplied);
  CHECK(!st.config.window_scale);
  CHECK(!st.config.timestamps);
  CHECK(apply_sysctl("net.inet.tcp.rfc1323", "1", st).kind == KnobEffect::Kind::kApplied);
  CHECK(st.config.window_scale);
  CHECK(st.config.timestamps);
  CHECK(apply_sysctl("net.inet.tcp.rfc1323", "2", st).kind == KnobEffect::Kind::kUnsupported);
  // Linux has one for each.
  CHECK(apply_sysctl("net.ipv4.tcp_window_scaling", "0", st).kind == KnobEffect::Kind::kApplied);
  CHECK(!st.config.window_scale);
  CHECK(st.config.timestamps);
  CHECK(apply_sysctl("net.ipv4.tcp_timestamps", "0", st).kind == KnobEffect::Kind::kApplied);
  CHECK(!st.config.timestamps);
  CHECK(apply_sysctl("net.ipv4.tcp_timestamps", "2", st).kind == KnobEffect::Kind::kApplied);
  CHECK(st.config.timestamps);
  CHECK(apply_sysctl("net.ipv4.tcp_window_scaling", "1", st).kind == KnobEffect::Kind::kApplied);
  CHECK(st.config.window_scale);
}

TEST_CASE("pd profile: SACK switches map to Config::sack") {
  KnobState st;
  CHECK(apply_sysctl("net.inet.tcp.sack.enable", "0", st).kind == KnobEffect::Kind::kApplied);
  CHECK(!st.config.sack);
  CHECK(apply_sysctl("net.inet.tcp.sack.enable", "1", st).kind == KnobEffect::Kind::kApplied);
  CHECK(st.config.sack);
  CHECK(apply_sysctl("net.ipv4.tcp_sack", "0", st).kind == KnobEffect::Kind::kApplied);
  CHECK(!st.config.sack);
  CHECK(apply_sysctl("net.ipv4.tcp_sack", "7", st).kind == KnobEffect::Kind::kUnsupported);
}

TEST_CASE("pd profile: congestion control knobs") {
  KnobState st;
  CHECK(profile_named("freebsd")->config.initial_window_segments == 10);
  CHECK(profile_named("rfc")->config.initial_window_segments == 0);  // RFC 5681's 2-4 SMSS
  CHECK(apply_sysctl("net.inet.tcp.initcwnd_segments", "4", st).kind == KnobEffect::Kind::kApplied);
  CHECK(st.config.initial_window_segments == 4);
  CHECK(apply_sysctl("net.inet.tcp.cc.algorithm", "newreno", st).kind == KnobEffect::Kind::kApplied);
  const KnobEffect cubic = apply_sysctl("net.ipv4.tcp_congestion_control", "cubic", st);
  CHECK(cubic.kind == KnobEffect::Kind::kUnsupported);
  CHECK(cubic.what == "net.ipv4.tcp_congestion_control=cubic: synfin implements NewReno only");
}

TEST_CASE("pd profile: tolerate_missing_ts=0 is RFC 7323 3.2's drop") {
  KnobState st;
  CHECK(!st.config.timestamps_required);
  CHECK(apply_sysctl("net.inet.tcp.tolerate_missing_ts", "0", st).kind == KnobEffect::Kind::kApplied);
  CHECK(st.config.timestamps_required);
  CHECK(apply_sysctl("net.inet.tcp.tolerate_missing_ts", "1", st).kind == KnobEffect::Kind::kApplied);
  CHECK(!st.config.timestamps_required);
}

TEST_CASE("pd profile: with rfc1323=0 the SYN offers neither window scale nor timestamps") {
  const std::string body =
      "+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "+0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0\n"
      "+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n"
      "+0 > S 0:0(0) win 65535 <mss 1460,sackOK>\n";
  RunOptions o;
  o.profile = *profile_named("freebsd");
  auto off = parse_script("0 `sysctl -w net.inet.tcp.rfc1323=0`\n" + body, "t.pkt", o.profile.defines);
  REQUIRE(off.ok());
  const ScriptResult r = run_script(*off, o);
  INFO(result_line(r));
  CHECK(r.verdict == Verdict::kPassed);
  // Without the knob the SYN carries both, which this script does not expect.
  // (SACK-permitted is its own switch, on by default as on FreeBSD.)
  auto on = parse_script("0 `sysctl -w net.inet.tcp.blackhole=0`\n" + body, "t.pkt", o.profile.defines);
  REQUIRE(on.ok());
  const ScriptResult d = run_script(*on, o);
  CHECK(d.verdict == Verdict::kFailed);
  CHECK(d.line == 5);
}

TEST_CASE("pd profile: an inbound TS ecr echoes the live TS val its script value stands for") {
  // The peer echoes the SYN-ACK's TSval as the script writes it (100); the stack
  // must see its own value there, or its RTT sample (RFC 7323 4.1) is absurd and
  // the RTO is not the 1 s floor that retransmits the data below.
  const char* script =
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "+0 listen(3, 1) = 0\n"
      "+0 < S 0:0(0) win 65535 <mss 1460,TS val 500 ecr 0>\n"
      "+0 > S. 0:0(0) ack 1 win 65535 <mss 1460,TS val 100 ecr 500>\n"
      "+.1 < . 1:1(0) ack 1 win 65535 <nop,nop,TS val 600 ecr 100>\n"
      "+0 accept(3, ..., ...) = 4\n"
      "+0 write(4, ..., 10) = 10\n"
      "+0 > P. 1:11(10) ack 1 win 65535 <nop,nop,TS val 200 ecr 600>\n"
      "+1 > P. 1:11(10) ack 1 win 65535 <nop,nop,TS val 1200 ecr 600>\n";
  RunOptions o;
  o.profile = *profile_named("rfc");
  auto s = parse_script(script, "t.pkt", o.profile.defines);
  REQUIRE(s.ok());
  const ScriptResult r = run_script(*s, o);
  INFO(result_line(r));
  CHECK(r.verdict == Verdict::kPassed);
}

}  // namespace
}  // namespace synfin::harness::pd
