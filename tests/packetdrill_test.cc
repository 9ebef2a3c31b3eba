// synfin pd: the packetdrill script parser, runner, profiles and reports.
#include <string>

#include <catch2/catch.hpp>

#include "harness/packetdrill_parse.h"
#include "harness/packetdrill_report.h"
#include "harness/packetdrill_runner.h"

namespace synfin::harness::pd {
namespace {

RunOptions options(const char* profile = "rfc") {
  RunOptions o;
  o.profile = *profile_named(profile);
  return o;
}

ScriptResult run_text(const std::string& text, const RunOptions& o) {
  absl::StatusOr<Script> s = parse_script(text, "t.pkt", o.profile.defines);
  REQUIRE(s.ok());
  return run_script(*s, o);
}

const char kPassiveOpen[] = R"(
--ip_version=ipv4
0.000 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 65535 <mss 1000>
+0 > S. 0:0(0) ack 1 win 65535 <mss 1460>
+.1 < . 1:1(0) ack 1 win 65535
+0 accept(3, ..., ...) = 4
+0 %{ assert tcpi_state == TCPI_ESTABLISHED }%
+0 < P. 1:11(10) ack 1 win 65535
+0~+.2 > . 1:1(0) ack 11
+0 read(4, ..., 100) = 10
+0 getsockopt(4, SOL_SOCKET, SO_ERROR, [0], [4]) = 0
)";

TEST_CASE("pd: #ifdef keeps the profile's branch and blanks the rest") {
  const std::string text = "a\n#ifdef FreeBSD\nb\n#else\nc\n#endif\nd\n";
  auto out = preprocess(text, "f", {"FreeBSD"});
  REQUIRE(out.ok());
  CHECK(*out == "a\n\nb\n\n\n\nd\n");
  auto other = preprocess(text, "f", {"STANDARD"});
  REQUIRE(other.ok());
  CHECK(*other == "a\n\n\n\nc\n\nd\n");
  auto open = preprocess("#ifdef X\nb\n", "f", {});
  REQUIRE(!open.ok());
  CHECK(open.status().message() == "f:1:1: expected #endif for this block, found 'end of file'");
  CHECK(!preprocess("#if X\n#endif\n", "f", {}).ok());
}

TEST_CASE("pd: a packet line parses into every field") {
  auto s = parse_script(
      "--tolerance_usecs=50000\n"
      "+0.25 < [ect0] SEW 5:15(10) ack 7 win 32767 urg 3 <mss 1460,nop,wscale 6,sackOK,sack 1:2 3:4,TS val 9 ecr 8,eol>\n"
      "0.3~0.4 > S. ...(0) ack 1 <...>\n",
      "p.pkt", {});
  REQUIRE(s.ok());
  REQUIRE(s->options.size() == 1);
  CHECK(s->options[0].name == "tolerance_usecs");
  REQUIRE(s->events.size() == 2);
  const Event& e = s->events[0];
  CHECK(e.time.kind == EventTime::Kind::kRelative);
  CHECK(e.time.us == 250000);
  const auto& p = std::get<PacketSpec>(e.body);
  CHECK(p.inbound);
  CHECK(p.ip_annotation == "[ect0]");
  CHECK(p.flags == (Flags::kSyn | Flags::kEce | Flags::kCwr));
  CHECK(p.seq == 5);
  CHECK(p.len == 10);
  CHECK(p.ack == 7u);
  CHECK(p.win == 32767u);
  CHECK(p.urg == 3u);
  REQUIRE(p.options.size() == 7);
  CHECK(p.options[4].blocks.size() == 2);
  CHECK(p.options[5].a == 9);
  CHECK(p.options[5].b == 8);
  const Event& r = s->events[1];
  CHECK(r.time.kind == EventTime::Kind::kAbsolute);
  CHECK(r.time.end_us == 400000);
  const auto& q = std::get<PacketSpec>(r.body);
  CHECK(q.seq_any);
  CHECK(q.options_mode == PacketSpec::Options::kAny);
}

TEST_CASE("pd: syscalls, commands and code blocks parse") {
  auto s = parse_script(
      "0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0\n"
      "+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n"
      "+0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0\n"
      "+0 `sysctl -w net.inet.tcp.insecure_rst=1`\n"
      "+0 %{\nassert tcpi_state == TCPI_LISTEN\n}%\n"
      "0...0.5 read(4, ..., 10) = 10\n",
      "s.pkt", {});
  REQUIRE(s.ok());
  REQUIRE(s->events.size() == 6);
  const auto& f = std::get<SyscallSpec>(s->events[0].body);
  CHECK(f.args[2].kind == Expr::Kind::kOr);
  const auto& c = std::get<SyscallSpec>(s->events[1].body);
  CHECK(c.result.value == -1);
  CHECK(c.errno_name == "EINPROGRESS");
  CHECK(c.note == "Operation now in progress");
  const auto& l = std::get<SyscallSpec>(s->events[2].body);
  CHECK(l.args[3].fields == std::vector<std::string>{"onoff", "linger"});
  CHECK(std::get<CommandSpec>(s->events[3].body).text == "sysctl -w net.inet.tcp.insecure_rst=1");
  CHECK(std::holds_alternative<CodeSpec>(s->events[4].body));
  CHECK(s->events[5].time.blocking);
  CHECK(s->events[5].time.end_us == 500000);
}

TEST_CASE("pd: parse errors name file, line and column") {
  auto bad_flag = parse_script("0 < X 0:0(0) win 1\n", "b.pkt", {});
  REQUIRE(!bad_flag.ok());
  CHECK(bad_flag.status().message() == "b.pkt:1:5: expected TCP flags (S F R P . U E W), found 'X'");
  auto bad_len = parse_script("\n0 < S 0:5(4) win 1\n", "b.pkt", {});
  REQUIRE(!bad_len.ok());
  CHECK(bad_len.status().message() == "b.pkt:2:9: expected end = start + len (4), found '5'");
  auto no_time = parse_script("< S 0:0(0)\n", "b.pkt", {});
  REQUIRE(!no_time.ok());
  CHECK(no_time.status().message() == "b.pkt:1:1: expected a time (or an --option line), found '<'");
}

TEST_CASE("pd: the freebsd and linux profiles delay ACKs and run Nagle unless TCP_NODELAY is set") {
  const std::string open =
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "+0 listen(3, 1) = 0\n"
      "+0 < S 0:0(0) win 65535 <mss 1460>\n"
      "+0 > S. 0:0(0) ack 1 <mss 1460>\n"
      "+.1 < . 1:1(0) ack 1 win 65535\n"
      "+0 accept(3, ..., ...) = 4\n";
  // FreeBSD's delacktime: a lone segment's ACK 100 ms later.
  const ScriptResult delayed = run_text(open +
      "+0 < P. 1:11(10) ack 1 win 65535\n"
      "+.1 > . 1:1(0) ack 11\n", options("freebsd"));
  INFO(result_line(delayed));
  CHECK(delayed.verdict == Verdict::kPassed);
  CHECK(run_text(open + "+0 < P. 1:11(10) ack 1 win 65535\n+0 > . 1:1(0) ack 11\n", options("rfc")).verdict ==
        Verdict::kPassed);
  // Nagle: the second small write waits for the ACK of the first.
  const std::string writes =
      "+0 write(4, ..., 10) = 10\n"
      "+0 > P. 1:11(10) ack 1\n"
      "+0 write(4, ..., 10) = 10\n"
      "+.1 < . 1:1(0) ack 11 win 65535\n"
      "+0 > P. 11:21(10) ack 1\n";
  const ScriptResult nagle = run_text(open + writes, options("freebsd"));
  INFO(result_line(nagle));
  CHECK(nagle.verdict == Verdict::kPassed);
  // TCP_NODELAY: the second write goes at once, before the ACK line 10 expects it after.
  const ScriptResult nodelay =
      run_text(open + "+0 setsockopt(4, IPPROTO_TCP, TCP_NODELAY, [1], 4) = 0\n" + writes, options("freebsd"));
  CHECK(nodelay.verdict == Verdict::kFailed);
  CHECK(nodelay.line == 11);
}

TEST_CASE("pd: a passive open with data runs clean under every profile") {
  for (const char* p : {"rfc", "freebsd", "linux"}) {
    INFO(p);
    const ScriptResult r = run_text(kPassiveOpen, options(p));
    INFO(result_line(r));
    CHECK(r.verdict == Verdict::kPassed);
    CHECK(r.packets == 5);
  }
}

TEST_CASE("pd: the first mismatch fails with its line, expected and actual") {
  std::string text = kPassiveOpen;
  text.replace(text.find("> . 1:1(0) ack 11"), 17, "> . 1:1(0) ack 11 win 100");
  const ScriptResult r = run_text(text, options());
  CHECK(r.verdict == Verdict::kFailed);
  CHECK(r.line == 13);
  CHECK(r.message == "window differs: expected . 1:1(0) ack 11 win 100, actual . 1:1(0) ack 11 win 65525");
  text.replace(text.find("ack 11 win 100"), 14, "ack 12");
  const ScriptResult a = run_text(text, options());
  CHECK(a.line == 13);
  CHECK(a.message == "acknowledgment number differs: expected . 1:1(0) ack 12, actual . 1:1(0) ack 11 win 65525");
}

TEST_CASE("pd: return values and errno are checked") {
  const char* script =
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "+0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0\n"
      "+0 connect(3, ..., ...) = -1 EAGAIN\n";
  const ScriptResult r = run_text(script, options());
  CHECK(r.verdict == Verdict::kFailed);
  CHECK(r.line == 3);
  CHECK(r.message == "connect() returned -1 EINPROGRESS, expected -1 EAGAIN");
  const ScriptResult bad_fd = run_text("0 close(7) = 0\n", options());
  CHECK(bad_fd.message == "close() returned -1 EBADF, expected 0");
}

TEST_CASE("pd: a blocking call returns when the handshake completes") {
  const char* script =
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "0...0.1 connect(3, ..., ...) = 0\n"
      "0 > S 0:0(0) win 65535 <mss 1460,sackOK,TS val 0 ecr 0,nop,wscale 0>\n"
      "0.1 < S. 0:0(0) ack 1 win 1000 <mss 1460>\n"
      "0.1 > . 1:1(0) ack 1 win 65535\n"
      "0.1 write(3, ..., 100) = 100\n"
      "0.1 > P. 1:101(100) ack 1 win 65535\n";
  const ScriptResult r = run_text(script, options());
  INFO(result_line(r));
  CHECK(r.verdict == Verdict::kPassed);
  // Without the range the call must return at once, so the same script fails.
  std::string text = script;
  text.replace(text.find("0...0.1 connect"), 15, "0 connect");
  const ScriptResult late = run_text(text, options());
  CHECK(late.verdict == Verdict::kFailed);
  CHECK(late.line == 2);
  CHECK(late.message == "connect() returned at 0.100000s, expected at 0.000000s");
}

TEST_CASE("pd: knobs set Config; what synfin cannot model skips, or fails under --strict") {
  // insecure_rst=1 is RFC 793: an in-window RST that is not exact still resets.
  const char* rst =
      "0 `sysctl -w net.inet.tcp.insecure_rst=1`\n"
      "+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "+0 listen(3, 1) = 0\n"
      "+0 < S 0:0(0) win 65535\n"
      "+0 > S. 0:0(0) ack 1 win 65535 <mss 1460>\n"
      "+0 < . 1:1(0) ack 1 win 65535\n"
      "+0 accept(3, ..., ...) = 4\n"
      "+0 < R 10:10(0) win 0\n"
      "+0 getsockopt(4, SOL_SOCKET, SO_ERROR, [ECONNRESET], [4]) = 0\n";
  CHECK(run_text(rst, options()).verdict == Verdict::kPassed);
  std::string secure = rst;
  secure.replace(secure.find("insecure_rst=1"), 14, "insecure_rst=0");
  const ScriptResult challenged = run_text(secure, options());
  CHECK(challenged.verdict == Verdict::kFailed);  // RFC 5961: a challenge ACK instead
  CHECK(challenged.line == 9);

  const char* shell = "0 `ifconfig lo0 mtu 1500`\n";
  const ScriptResult skipped = run_text(shell, options());
  CHECK(skipped.verdict == Verdict::kSkipped);
  CHECK(skipped.line == 1);
  RunOptions strict = options();
  strict.strict = true;
  CHECK(run_text(shell, strict).verdict == Verdict::kFailed);
}

TEST_CASE("pd: features the stack lacks skip, or run without them under --lax") {
  const char* script =
      "0 `sysctl -w net.inet.tcp.ecn.enable=1`\n"
      "+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "+0 listen(3, 1) = 0\n"
      "+0 < S 0:0(0) win 65535 <mss 1460,sackOK>\n"
      "+0 > S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK>\n";
  const ScriptResult r = run_text(script, options());
  CHECK(r.verdict == Verdict::kSkipped);
  CHECK(r.message == "needs ECN (RFC 3168, net.inet.tcp.ecn.enable=1), which the stack lacks");
  RunOptions lax = options();
  lax.lax = true;
  const ScriptResult l = run_text(script, lax);
  CHECK(l.verdict == Verdict::kPassed);
  REQUIRE(l.lax_notes.size() == 1);
  CHECK(l.lax_notes[0] == "ECN (RFC 3168, net.inet.tcp.ecn.enable=1)");
}

TEST_CASE("pd: ecn.enable=2 only matters when the peer's SYN asks for ECN") {
  const std::string head =
      "0 `sysctl -w net.inet.tcp.ecn.enable=2`\n"
      "+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "+0 listen(3, 1) = 0\n";
  // A plain SYN: FreeBSD answers without ECN, as synfin does.
  const ScriptResult plain = run_text(head +
      "+0 < S 0:0(0) win 65535 <mss 1460,sackOK>\n"
      "+0 > S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK>\n", options());
  INFO(result_line(plain));
  CHECK(plain.verdict == Verdict::kPassed);
  // An ECN-setup SYN (RFC 3168 6.1.1): FreeBSD would answer SE.; synfin cannot.
  const ScriptResult setup = run_text(head +
      "+0 < SEW 0:0(0) win 65535 <mss 1460,sackOK>\n"
      "+0 > SE. 0:0(0) ack 1 win 65535 <mss 1460,sackOK>\n", options());
  CHECK(setup.verdict == Verdict::kSkipped);
  CHECK(setup.line == 4);
  CHECK(setup.message.find("ECN (RFC 3168): the peer's SYN asks for it") != std::string::npos);
}

TEST_CASE("pd: an option the script switched off is a mismatch, not a missing feature") {
  const char* script =
      "0 `sysctl -w net.inet.tcp.sack.enable=0`\n"
      "+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "+0 listen(3, 1) = 0\n"
      "+0 < S 0:0(0) win 65535 <mss 1460,sackOK>\n"
      "+0 > S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK>\n";
  RunOptions lax = options();
  lax.lax = true;
  const ScriptResult l = run_text(script, lax);
  CHECK(l.verdict == Verdict::kFailed);
  CHECK(l.line == 5);
  CHECK(l.lax_notes.empty());
}

TEST_CASE("pd: profiles differ where the RFCs leave the choice open") {
  // TIME-WAIT lasts 2*MSL: 60 s on FreeBSD and Linux, 240 s by the RFC's 2-minute MSL.
  CHECK(profile_named("rfc")->config.msl == Duration::seconds(120));
  CHECK(profile_named("freebsd")->config.msl == Duration::seconds(30));
  CHECK(profile_named("linux")->o_nonblock == 0x800);
  CHECK(profile_named("freebsd")->o_nonblock == 0x4);
  CHECK(errno_number(*profile_named("freebsd"), "ECONNRESET") == 54);
  CHECK(errno_number(*profile_named("linux"), "ECONNRESET") == 104);
  CHECK(!profile_named("solaris").ok());
}

TEST_CASE("pd: report lines, summary and JUnit XML") {
  std::vector<ScriptResult> rs(3);
  rs[0].file = "a.pkt";
  rs[1].file = "b.pkt";
  rs[1].verdict = Verdict::kFailed;
  rs[1].line = 4;
  rs[1].message = "flags differ: <x>";
  rs[2].file = "c.pkt";
  rs[2].verdict = Verdict::kSkipped;
  rs[2].message = "needs SACK";
  CHECK(summary_line(tally(rs)) == "1 passed, 1 failed, 1 skipped");
  CHECK(result_line(rs[1]) == "b.pkt:4: failed: flags differ: <x>");
  const std::string xml = junit_xml("s", rs);
  CHECK(xml.find("tests=\"3\" failures=\"1\" skipped=\"1\"") != std::string::npos);
  CHECK(xml.find("<failure message=\"b.pkt:4: flags differ: &lt;x&gt;\">") != std::string::npos);
  CHECK(xml.find("<skipped message=\"c.pkt: needs SACK\"/>") != std::string::npos);
}

}  // namespace
}  // namespace synfin::harness::pd
