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
  st.config.window_scale = true;
  KnobEffect off = apply_sysctl("net.inet.tcp.rfc1323", "0", st);
  CHECK(off.kind == KnobEffect::Kind::kApplied);
  CHECK(!st.config.window_scale);
  // FreeBSD's switch also asks for timestamps, which the stack does not send.
  KnobEffect on = apply_sysctl("net.inet.tcp.rfc1323", "1", st);
  CHECK(on.kind == KnobEffect::Kind::kMissingFeature);
  CHECK(on.what == "timestamps (RFC 7323, net.inet.tcp.rfc1323=1)");
  CHECK(st.config.window_scale);
  CHECK(apply_sysctl("net.inet.tcp.rfc1323", "2", st).kind == KnobEffect::Kind::kUnsupported);
  CHECK(apply_sysctl("net.ipv4.tcp_window_scaling", "0", st).kind == KnobEffect::Kind::kApplied);
  CHECK(!st.config.window_scale);
  CHECK(apply_sysctl("net.ipv4.tcp_window_scaling", "1", st).kind == KnobEffect::Kind::kApplied);
  CHECK(st.config.window_scale);
}

TEST_CASE("pd profile: with rfc1323=0 the SYN offers no window scale") {
  const std::string body =
      "+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "+0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0\n"
      "+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n"
      "+0 > S 0:0(0) win 65535 <mss 1460>\n";
  RunOptions o;
  o.profile = *profile_named("freebsd");
  auto off = parse_script("0 `sysctl -w net.inet.tcp.rfc1323=0`\n" + body, "t.pkt", o.profile.defines);
  REQUIRE(off.ok());
  const ScriptResult r = run_script(*off, o);
  INFO(result_line(r));
  CHECK(r.verdict == Verdict::kPassed);
  // Without the knob the SYN carries Window Scale, which this script does not expect.
  auto on = parse_script("0 `sysctl -w net.inet.tcp.blackhole=0`\n" + body, "t.pkt", o.profile.defines);
  REQUIRE(on.ok());
  const ScriptResult d = run_script(*on, o);
  CHECK(d.verdict == Verdict::kFailed);
  CHECK(d.line == 5);
}

}  // namespace
}  // namespace synfin::harness::pd
