// Tests for the scenario text format (harness/scenario_text.h): a real-looking
// packetdrill script parsed into exact ops, canonical printing, round trips over
// structured random scenarios of both modes, every probability value, exact error
// messages, input limits, mutated texts (the parser's fuzz contract), and the
// worked examples of harness/SCENARIOS.md. Randomness is a fixed-seed
// std::mt19937 used through raw draws, so every run sees the same inputs.
#include <catch2/catch.hpp>

#include <climits>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "harness/scenario_text.h"

namespace synfin::harness {
namespace {

Scenario parse_ok(std::string_view text) {
  absl::StatusOr<Scenario> r = parse_scenario_text(text, "t.pkt");
  INFO("text:\n" << text);
  INFO("status: " << r.status().ToString());
  REQUIRE(r.ok());
  return *std::move(r);
}

std::string parse_error(std::string_view text) {
  absl::StatusOr<Scenario> r = parse_scenario_text(text, "t.pkt");
  INFO("text:\n" << text);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(r.status().message());
}

// Op builders for the expected side of the tests.
Op op_of(OpKind k) {
  Op op;
  op.kind = k;
  return op;
}
Op wait_op(uint64_t us) {
  Op op = op_of(OpKind::kWait);
  op.amount = us;
  return op;
}
Op port_op(OpKind k, uint16_t port, uint8_t host = 0) {
  Op op = op_of(k);
  op.port = port;
  op.host = host;
  return op;
}
Op socket_op(OpKind k, uint8_t socket, uint64_t amount = 0, uint8_t host = 0) {
  Op op = op_of(k);
  op.socket = socket;
  op.amount = amount;
  op.host = host;
  return op;
}
Op inject_op(Flags f, int64_t seq, uint16_t len, std::optional<int64_t> ack, uint16_t win,
             TcpOptions o = {}) {
  Op op = op_of(OpKind::kInject);
  op.segment.flags = f;
  op.segment.seq = seq;
  op.segment.payload_len = len;
  if (ack) op.segment.ack = *ack;
  op.segment.window = win;
  op.segment.options = o;
  return op;
}
Op expect_op(Flags f, uint32_t seq, uint16_t len, std::optional<uint32_t> ack,
             std::optional<uint16_t> win = std::nullopt,
             std::optional<TcpOptions> o = std::nullopt) {
  Op op = op_of(OpKind::kExpect);
  ExpectedSegment& e = op.expected;
  e.flags = f;
  e.seq = seq;
  e.payload_len = len;
  if (ack) e.check_ack = true, e.ack = *ack;
  if (win) e.check_window = true, e.window = *win;
  if (o) e.check_options = true, e.options = *o;
  return op;
}

void require_ops(const Scenario& s, const std::vector<Op>& want) {
  Scenario w = s;
  w.ops = want;
  INFO("got:\n" << print_scenario_text(s) << "want:\n" << print_scenario_text(w));
  REQUIRE(s.ops.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("op " << i);
    REQUIRE(s.ops[i] == want[i]);
  }
}

// ---------------------------------------------------------------------------

const char* const kHandshakeScript = R"(// Passive open, one write, peer closes: a packetdrill script as people write it.
--ip_version=ipv4
--tolerance_usecs=50000

 0.000 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0     setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0     fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0
+0     bind(3, ..., ...) = 0
+0     listen(3, 1) = 0

+0     < S  0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>
+0     > S. 0:0(0) ack 1 <mss 1460>
+.1    <  . 1:1(0) ack 1 win 257
+0     accept(3, ..., ...) = 4

# Data and the peer's close.
+0     write(4, ..., 1000) = 1000
+0     > P. 1:1001(1000) ack 1 win 65535 ...
0.300  <  . 1:1(0) ack 1001 win 257
+0     < F. 1:1(0) ack 1001 win 257 <TS val 100 ecr 0,sack 1:2 5:9,eol>
+0     >  . 1001:1001(0) ack 2
+0.05  read(4, ..., 4096) = 0
+0     close(4) = 0
+0     > F. 1001:1001(0) ack 2 <>
)";

TEST_CASE("a packetdrill handshake script parses into exact ops", "[text]") {
  const Scenario s = parse_ok(kHandshakeScript);
  CHECK(s.header.mode == Mode::kEndpoint);  // inferred from the first op line
  CHECK(s.header.family == IpFamily::kV4);
  CHECK(s.header.peer_isn == 0);

  TcpOptions syn_opts;
  syn_opts.mss = 1000;
  syn_opts.sack_permitted = true;
  syn_opts.window_scale = 7;
  TcpOptions mss_only;
  mss_only.mss = 1460;
  TcpOptions fin_opts;
  fin_opts.timestamps = Timestamps{100, 0};
  fin_opts.sack = {SackBlock{SeqNum(1), SeqNum(2)}, SackBlock{SeqNum(5), SeqNum(9)}};

  const Flags ack = kAck;
  require_ops(s, {
                     port_op(OpKind::kListen, kDefaultScriptPort),
                     inject_op(kSyn, 0, 0, std::nullopt, 32792, syn_opts),
                     expect_op(kSyn | kAck, 0, 0, 1, std::nullopt, mss_only),
                     wait_op(100000),
                     inject_op(ack, 1, 0, 1, 257),
                     op_of(OpKind::kAccept),
                     socket_op(OpKind::kSend, 1, 1000),
                     expect_op(kPsh | kAck, 1, 1000, 1, 65535),
                     wait_op(200000),
                     inject_op(ack, 1, 0, 1001, 257),
                     inject_op(kFin | kAck, 1, 0, 1001, 257, fin_opts),
                     expect_op(ack, 1001, 0, 2),
                     wait_op(50000),
                     socket_op(OpKind::kRecv, 1, 4096),
                     socket_op(OpKind::kClose, 1),
                     expect_op(kFin | kAck, 1001, 0, 2, std::nullopt, TcpOptions{}),
                 });
}

TEST_CASE("the canonical print of a packetdrill script", "[text]") {
  const std::string want = R"(--mode=endpoint

+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 listen(3, 0) = 0
+0 < S 0:0(0) win 32792 <mss 1000,sackOK,wscale 7>
+0 > S. 0:0(0) ack 1 <mss 1460>
+0.100000 < . 1:1(0) ack 1 win 257
+0 accept(3, ..., ...) = 4
+0 write(4, ..., 1000) = 1000
+0 > P. 1:1001(1000) ack 1 win 65535
+0.200000 < . 1:1(0) ack 1001 win 257
+0 < F. 1:1(0) ack 1001 win 257 <TS val 100 ecr 0,sack 1:2 5:9>
+0 > . 1001:1001(0) ack 2
+0.050000 read(4, ..., 4096) = 4096
+0 close(4) = 0
+0 > F. 1001:1001(0) ack 2 <>
)";
  const std::string got = print_scenario_text(parse_ok(kHandshakeScript));
  CHECK(got == want);
  CHECK(print_scenario_text(parse_ok(got)) == got);
}

TEST_CASE("file descriptors map to socket indices in creation order", "[text]") {
  // fd 3 is reused after close, as a kernel would; the model's indices are not.
  const Scenario s = parse_ok(R"(--mode=endpoint
--port=80
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0 close(3) = 0
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 connect(3, ..., ...) = 0 port 9000
+0 send(3, ..., 10, 0) = 10
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 5
+0 listen(5, 16) = 0
+0 accept(5, ..., ...) = 7
+0 shutdown(7, SHUT_WR) = 0
+0 recv(3, ..., 99, 0) = 99
+0 abort(7)
+0 close(5) = 0
+0 write(10, ..., 1) = 1
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 11
+0 close(11) = 0
)");
  require_ops(s, {
                     port_op(OpKind::kConnect, 80),
                     socket_op(OpKind::kClose, 0),
                     port_op(OpKind::kConnect, 9000),
                     socket_op(OpKind::kSend, 1, 10),
                     port_op(OpKind::kListen, 80),
                     op_of(OpKind::kAccept),
                     socket_op(OpKind::kShutdown, 3),
                     socket_op(OpKind::kRecv, 1, 99),
                     socket_op(OpKind::kAbort, 3),
                     socket_op(OpKind::kClose, 2),
                     socket_op(OpKind::kSend, 7, 1),  // unbound fd 10: index 10 - 3
                 });
  const std::string text = print_scenario_text(s);
  CHECK(text.find("--port=80\n") != std::string::npos);
  CHECK(text.find("connect(4, ..., ...) = -1 EINPROGRESS (Operation now in progress) port 9000") !=
        std::string::npos);
  CHECK(parse_ok(text) == s);
}

TEST_CASE("connection-mode lines and faults", "[text]") {
  const Scenario s = parse_ok(R"(# Lost final ACK.
--link.c2s.delay=5ms
--link.s2c.drop=0.05
+0 s listen 80
+0 c connect 80
0.1 s accept
+0 fault c>s drop
+0 fault s>c delay 200ms
+0 fault c>s duplicate 1.5ms
+0 fault c>s reorder 2
+0 fault s>c corrupt 77
+0 fault c>s truncate 20
+0 partition both 2s
+0 partition s>c 1us
+0 c send 0 1000
+0 s recv 1 4096
+0 c shutdown 0
+0 s close 1
+0 c abort 0
+0 s inject R rcv.nxt+0:rcv.nxt+0(0) win 0 spoof src-addr
+1 wait
)");
  CHECK(s.header.mode == Mode::kConnection);
  CHECK(s.header.links[0].delay == Duration::millis(5));
  CHECK(s.header.links[1].mix.drop == 3277);  // round(0.05 * 65536)
  Op fault = op_of(OpKind::kFault);
  auto f = [&](uint8_t host, FaultKind k, uint64_t amount) {
    fault.host = host;
    fault.fault = k;
    fault.amount = amount;
    return fault;
  };
  Op part = op_of(OpKind::kPartition);
  auto p = [&](uint8_t mask, uint64_t us) {
    part.host = mask;
    part.amount = us;
    return part;
  };
  Op rst = inject_op(kRst, 0, 0, std::nullopt, 0);
  rst.host = 1;
  rst.segment.seq_base = SeqBase::kRcvNxt;
  rst.segment.spoof = Spoof::kOtherSrcAddr;
  Op accept = op_of(OpKind::kAccept);
  accept.host = 1;
  require_ops(s, {
                     port_op(OpKind::kListen, 80, 1),
                     port_op(OpKind::kConnect, 80, 0),
                     wait_op(100000),
                     accept,
                     f(0, FaultKind::kDrop, 0),
                     f(1, FaultKind::kDelay, 200000),
                     f(0, FaultKind::kDuplicate, 1500),
                     f(0, FaultKind::kReorder, 2),
                     f(1, FaultKind::kCorrupt, 77),
                     f(0, FaultKind::kTruncate, 20),
                     p(3, 2000000),
                     p(2, 1),
                     socket_op(OpKind::kSend, 0, 1000, 0),
                     socket_op(OpKind::kRecv, 1, 4096, 1),
                     socket_op(OpKind::kShutdown, 0, 0, 0),
                     socket_op(OpKind::kClose, 1, 0, 1),
                     socket_op(OpKind::kAbort, 0, 0, 0),
                     rst,
                     wait_op(1000000),
                 });
  CHECK(parse_ok(print_scenario_text(s)) == s);
}

TEST_CASE("relative-number extensions of injected segments", "[text]") {
  const Scenario s = parse_ok(R"(--mode=endpoint
+0 < . rcv.nxt+5:rcv.nxt+5(0) ack snd.nxt+1 win 10
+0 < . rcv.wnd-1:rcv.wnd+2(3) ack snd.una-3 win 10
+0 < R abs 123:123(0) ack abs 77 win 10 spoof src-port
+0 < S isn-2:isn-1(1) ack iss-7 win 10 spoof dst-port
+0 < . rcv.nxt:rcv.nxt(0) ack snd.max win 10
+0 < S abs -5:-4(1) ack 4294967296 win 10
)");
  REQUIRE(s.ops.size() == 6);
  auto seg = [&](size_t i) { return s.ops[i].segment; };
  CHECK(seg(0).seq_base == SeqBase::kRcvNxt);
  CHECK(seg(0).seq == 5);
  CHECK(seg(0).ack_base == AckBase::kSndNxt);
  CHECK(seg(0).ack == 1);
  CHECK(seg(1).seq_base == SeqBase::kRcvWndEdge);
  CHECK(seg(1).seq == -1);
  CHECK(seg(1).payload_len == 3);
  CHECK(seg(1).ack_base == AckBase::kSndUna);
  CHECK(seg(1).ack == -3);
  CHECK(seg(2).seq_base == SeqBase::kAbsolute);
  CHECK(seg(2).seq == 123);
  CHECK(seg(2).ack_base == AckBase::kAbsolute);
  CHECK(seg(2).ack == 77);
  CHECK(seg(2).spoof == Spoof::kOtherSrcPort);
  CHECK(seg(3).seq_base == SeqBase::kPeerIsn);
  CHECK(seg(3).seq == -2);
  CHECK(seg(3).ack_base == AckBase::kHostIss);
  CHECK(seg(3).ack == -7);
  CHECK(seg(3).spoof == Spoof::kOtherDstPort);
  CHECK(seg(4).seq_base == SeqBase::kRcvNxt);
  CHECK(seg(4).seq == 0);
  CHECK(seg(4).ack_base == AckBase::kSndMax);
  CHECK(seg(5).seq == -5);
  CHECK(seg(5).ack == 4294967296);
  // Relative bases always print with a sign; out-of-u32 packetdrill numbers too.
  const std::string text = print_scenario_text(s);
  CHECK(text.find("rcv.nxt+0:rcv.nxt+0(0) ack snd.max+0") != std::string::npos);
  CHECK(text.find("isn-2:isn-1(1) ack iss-7") != std::string::npos);
  CHECK(text.find("abs -5:-4(1) ack iss+4294967296") != std::string::npos);
  CHECK(parse_ok(text) == s);
}

TEST_CASE("waits: folding into relative times and explicit wait lines", "[text]") {
  Scenario s;
  s.header.mode = Mode::kConnection;
  const Op listen = port_op(OpKind::kListen, 80);
  s.ops = {wait_op(0), wait_op(5), listen, wait_op(7), wait_op(0), listen,
           wait_op(0), listen,     wait_op(1000000)};
  const std::string text = print_scenario_text(s);
  CHECK(text ==
        "+0 wait\n"
        "+0.000005 c listen 80\n"
        "+0.000007 wait\n"
        "+0 wait\n"
        "+0 c listen 80\n"
        "+0 wait\n"
        "+0 c listen 80\n"
        "+1.000000 wait\n");
  CHECK(parse_ok(text) == s);
  // Absolute times measure from the start; no-op lines still advance the clock.
  const Scenario a = parse_ok("--mode=endpoint\n1.5 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                              "2 listen(3, 1) = 0\n2.000001 wait\n+0 wait\n");
  require_ops(a, {wait_op(1500000), wait_op(500000), port_op(OpKind::kListen, 8080),
                  wait_op(1), wait_op(0)});
}

TEST_CASE("every header field round-trips, and defaults print nothing", "[text]") {
  CHECK(print_scenario_text(Scenario{}).empty());
  Scenario s;
  s.header.mode = Mode::kEndpoint;
  s.header.family = IpFamily::kV6;
  s.header.seed = UINT64_MAX;
  s.header.draw_mix_from_seed = true;
  s.header.peer_isn = 4000000000u;
  Config& c = s.header.config;
  c.msl = Duration::millis(1500);
  c.rto_initial = Duration::micros(-7);
  c.rto_min = Duration{INT64_MIN};
  c.rto_max = Duration{INT64_MAX};
  c.syn_retries = INT_MIN;
  c.data_retries = INT_MAX;
  c.recv_buffer = UINT32_MAX;
  c.send_buffer = 0;
  c.mss = 536;
  c.default_peer_mss_v4 = 0;
  c.default_peer_mss_v6 = UINT16_MAX;
  c.rfc5961_rst = c.rfc5961_syn = c.rfc5961_ack = c.rfc1337 = c.drop_syn_fin = false;
  c.time_wait_syn = TimeWaitSynPolicy::kReuseIfSeqGreater;
  c.default_backlog = -1;
  for (LinkSettings& l : s.header.links) {
    l.delay = Duration::seconds(2);
    l.jitter = Duration::micros(1);
    l.mtu = 1280;
    l.bandwidth_kbps = 10000;
    l.queue_packets = 3;
    l.mix = FaultMix{1, 2, 65535, 32768, 3277};
  }
  const std::string text = print_scenario_text(s);
  INFO(text);
  CHECK(text.find("--msl=1500ms\n") != std::string::npos);
  CHECK(text.find("--link.s2c.truncate=0.05\n") != std::string::npos);
  CHECK(text.find("--link.c2s.reorder=1\n") != std::string::npos);
  CHECK(text.find("--link.c2s.corrupt=0.5\n") != std::string::npos);
  CHECK(text.find("--time_wait_syn=reuse\n") != std::string::npos);
  CHECK(parse_ok(text) == s);
}

TEST_CASE("every probability value round-trips exactly", "[text]") {
  Scenario s;
  size_t longest = 0;
  for (uint32_t n = 0; n <= 65535; ++n) {
    s.header.links[1].mix.corrupt = static_cast<uint16_t>(n);
    const std::string text = print_scenario_text(s);
    const absl::StatusOr<Scenario> back = parse_scenario_text(text);
    if (!back.ok() || back->header.links[1].mix.corrupt != n) {
      FAIL("probability " << n << " printed as " << text);
    }
    longest = std::max(longest, text.size());
  }
  // "--link.s2c.corrupt=" + at most "0.dddddd" + "\n".
  CHECK(longest <= std::string("--link.s2c.corrupt=0.123456\n").size());
  // Inputs round to the nearest 1/65536 and 1 clamps to the largest value.
  CHECK(parse_ok("--link.c2s.drop=1\n").header.links[0].mix.drop == 65535);
  CHECK(parse_ok("--link.c2s.drop=0.00000762939\n").header.links[0].mix.drop == 0);
  CHECK(parse_ok("--link.c2s.drop=0.0000076294\n").header.links[0].mix.drop == 1);
  CHECK(parse_ok("--link.c2s.drop=0.999999999999\n").header.links[0].mix.drop == 65535);
}

// ---------------------------------------------------------------------------
// Random scenarios. Fields a kind does not use keep their defaults, as
// check_text_representable() requires.

class Gen {
 public:
  explicit Gen(uint32_t seed) : rng_(seed) {}

  uint32_t u32() { return static_cast<uint32_t>(rng_()); }
  uint64_t u64() { return uint64_t{u32()} << 32 | u32(); }
  uint32_t below(uint32_t n) { return u32() % n; }
  bool coin(uint32_t percent = 50) { return below(100) < percent; }

  int64_t i64() {
    switch (below(9)) {
      case 0: return 0;
      case 1: return -1;
      case 2: return INT64_MIN;
      case 3: return INT64_MAX;
      case 4: return int64_t{u32()};
      case 5: return int64_t{below(2001)} - 1000;
      case 6: return int64_t{UINT32_MAX};
      case 7: return int64_t{UINT32_MAX} + 1;
      default: return static_cast<int64_t>(u64());
    }
  }
  uint64_t amount() {
    switch (below(7)) {
      case 0: return 0;
      case 1: return UINT64_MAX;
      case 2: return below(1000);
      case 3: return uint64_t{below(1000)} * 1000;
      case 4: return uint64_t{below(1000)} * 1000000;
      case 5: return u32();
      default: return u64();
    }
  }
  Duration duration() {
    switch (below(6)) {
      case 0: return Duration::seconds(below(100));
      case 1: return Duration::millis(below(100000));
      case 2: return Duration::micros(u32());
      case 3: return Duration{-static_cast<int64_t>(below(5000000))};
      case 4: return Duration{INT64_MIN + below(2)};
      default: return Duration{static_cast<int64_t>(u64())};
    }
  }

  TcpOptions options() {
    TcpOptions o;
    if (coin(40)) o.mss = static_cast<uint16_t>(u32()), ++cover_.mss;
    if (coin(40)) o.window_scale = static_cast<uint8_t>(u32()), ++cover_.wscale;
    if (coin(40)) o.sack_permitted = true, ++cover_.sack_ok;
    if (coin(40)) o.timestamps = Timestamps{u32(), u32()}, ++cover_.ts;
    if (coin(30)) {
      ++cover_.sack;
      const uint32_t n = 1 + below(5);
      for (uint32_t i = 0; i < n; ++i) o.sack.push_back({SeqNum(u32()), SeqNum(u32())});
    }
    if (coin(30)) {
      ++cover_.raw;
      const uint32_t n = 1 + below(3);
      for (uint32_t i = 0; i < n; ++i) {
        RawOption r;
        r.kind = static_cast<uint8_t>(u32());
        const uint32_t len = below(8);
        for (uint32_t j = 0; j < len; ++j) r.data.push_back(static_cast<uint8_t>(u32()));
        o.unknown.push_back(r);
      }
    }
    return o;
  }

  InjectedSegment injected() {
    InjectedSegment g;
    g.flags = Flags(coin(80) ? static_cast<uint16_t>(u32() & 0xFF) : static_cast<uint16_t>(u32()));
    g.seq_base = static_cast<SeqBase>(below(kNumSeqBases));
    g.seq = coin(30) ? int64_t{below(100000)} : i64();
    g.ack_base = static_cast<AckBase>(below(kNumAckBases));
    g.ack = coin(30) ? int64_t{below(100000)} : i64();
    if (coin(20)) g.ack_base = AckBase::kHostIss, g.ack = 0;
    g.window = coin(30) ? 65535 : static_cast<uint16_t>(u32());
    g.urgent_pointer = coin(70) ? 0 : static_cast<uint16_t>(u32());
    g.payload_len = coin(30) ? 0 : static_cast<uint16_t>(u32());
    if (coin(60)) g.options = options();
    g.spoof = static_cast<Spoof>(below(kNumSpoofs));
    ++cover_.seq_base[static_cast<int>(g.seq_base)];
    ++cover_.ack_base[static_cast<int>(g.ack_base)];
    ++cover_.spoof[static_cast<int>(g.spoof)];
    return g;
  }

  ExpectedSegment expected() {
    ExpectedSegment e;
    e.flags = Flags(static_cast<uint16_t>(coin(80) ? u32() & 0xFF : u32()));
    e.seq = coin(50) ? below(100000) : u32();
    e.payload_len = static_cast<uint16_t>(coin(50) ? 0 : u32());
    if (coin()) e.check_ack = true, e.ack = u32();
    if (coin()) e.check_window = true, e.window = static_cast<uint16_t>(u32());
    if (coin()) e.check_options = true, e.options = coin(80) ? options() : TcpOptions{};
    return e;
  }

  ScenarioHeader header(Mode mode) {
    ScenarioHeader h;
    h.mode = mode;
    if (coin()) h.family = IpFamily::kV6;
    if (coin()) h.seed = u64();
    if (coin()) h.draw_mix_from_seed = true;
    if (coin()) h.peer_isn = u32();
    Config& c = h.config;
    if (coin(30)) c.msl = duration();
    if (coin(30)) c.rto_initial = duration();
    if (coin(30)) c.rto_min = duration();
    if (coin(30)) c.rto_max = duration();
    if (coin(30)) c.syn_retries = static_cast<int>(u32());
    if (coin(30)) c.data_retries = static_cast<int>(u32());
    if (coin(30)) c.recv_buffer = u32();
    if (coin(30)) c.send_buffer = u32();
    if (coin(30)) c.mss = static_cast<uint16_t>(u32());
    if (coin(30)) c.default_peer_mss_v4 = static_cast<uint16_t>(u32());
    if (coin(30)) c.default_peer_mss_v6 = static_cast<uint16_t>(u32());
    if (coin(30)) c.rfc5961_rst = coin();
    if (coin(30)) c.rfc5961_syn = coin();
    if (coin(30)) c.rfc5961_ack = coin();
    if (coin(30)) c.rfc1337 = coin();
    if (coin(30)) c.drop_syn_fin = coin();
    if (coin(30)) c.time_wait_syn = TimeWaitSynPolicy::kReuseIfSeqGreater;
    if (coin(30)) c.default_backlog = static_cast<int>(u32());
    for (LinkSettings& l : h.links) {
      if (coin(30)) l.delay = duration();
      if (coin(30)) l.jitter = duration();
      if (coin(30)) l.mtu = u32();
      if (coin(30)) l.bandwidth_kbps = u32();
      if (coin(30)) l.queue_packets = u32();
      if (coin(30)) l.mix.drop = static_cast<uint16_t>(u32());
      if (coin(30)) l.mix.duplicate = static_cast<uint16_t>(u32());
      if (coin(30)) l.mix.reorder = static_cast<uint16_t>(u32());
      if (coin(30)) l.mix.corrupt = static_cast<uint16_t>(u32());
      if (coin(30)) l.mix.truncate = static_cast<uint16_t>(u32());
    }
    return h;
  }

  Op op(Mode mode) {
    const bool endpoint = mode == Mode::kEndpoint;
    OpKind kind;
    do {
      kind = coin(30) ? OpKind::kWait : static_cast<OpKind>(below(kNumOpKinds));
    } while (endpoint ? kind == OpKind::kFault || kind == OpKind::kPartition
                      : kind == OpKind::kExpect);
    ++cover_.kind[static_cast<int>(kind)];
    Op op;
    op.kind = kind;
    const uint8_t host = endpoint ? 0 : static_cast<uint8_t>(below(2));
    switch (kind) {
      case OpKind::kWait: op.amount = coin(20) ? 0 : amount(); break;
      case OpKind::kListen:
      case OpKind::kConnect:
        op.host = host;
        op.port = coin(40) ? 8080 : static_cast<uint16_t>(u32());
        break;
      case OpKind::kAccept: op.host = host; break;
      case OpKind::kSend:
      case OpKind::kRecv:
        op.host = host;
        op.socket = static_cast<uint8_t>(coin(70) ? below(4) : u32());
        op.amount = amount();
        break;
      case OpKind::kShutdown:
      case OpKind::kClose:
      case OpKind::kAbort:
        op.host = host;
        op.socket = static_cast<uint8_t>(coin(70) ? below(4) : u32());
        break;
      case OpKind::kInject:
        op.host = host;
        op.segment = injected();
        break;
      case OpKind::kExpect: op.expected = expected(); break;
      case OpKind::kFault:
        op.host = host;
        op.fault = static_cast<FaultKind>(below(kNumFaultKinds));
        op.amount = coin(30) ? 0 : amount();
        ++cover_.fault[static_cast<int>(op.fault)];
        break;
      case OpKind::kPartition:
        op.host = static_cast<uint8_t>(1 + below(3));
        op.amount = amount();
        break;
      case OpKind::kAwait:
        op.host = host;
        op.state = static_cast<State>(below(kNumStates));
        op.amount = amount();
        break;
    }
    return op;
  }

  Scenario scenario(Mode mode) {
    Scenario s;
    s.header = header(mode);
    const uint32_t n = below(40);
    for (uint32_t i = 0; i < n; ++i) s.ops.push_back(op(mode));
    return s;
  }

  struct Coverage {
    int kind[kNumOpKinds] = {};
    int seq_base[kNumSeqBases] = {};
    int ack_base[kNumAckBases] = {};
    int spoof[kNumSpoofs] = {};
    int fault[kNumFaultKinds] = {};
    int mss = 0, wscale = 0, sack_ok = 0, ts = 0, sack = 0, raw = 0;
  };
  const Coverage& coverage() const { return cover_; }

 private:
  std::mt19937 rng_;
  Coverage cover_;
};

void require_round_trip(const Scenario& s) {
  const absl::Status rep = check_text_representable(s);
  INFO("representable: " << rep.ToString());
  REQUIRE(rep.ok());
  const std::string text = print_scenario_text(s);
  INFO("text:\n" << text);
  const absl::StatusOr<Scenario> back = parse_scenario_text(text);
  INFO("status: " << back.status().ToString());
  REQUIRE(back.ok());
  if (!(*back == s)) {
    INFO("reprinted:\n" << print_scenario_text(*back));
    REQUIRE(*back == s);
  }
  REQUIRE(print_scenario_text(*back) == text);
}

TEST_CASE("random scenarios of both modes round-trip exactly", "[text]") {
  Gen gen(20240601);
  for (int i = 0; i < 2000; ++i) {
    INFO("scenario " << i);
    require_round_trip(gen.scenario(i % 2 ? Mode::kEndpoint : Mode::kConnection));
  }
  const Gen::Coverage& c = gen.coverage();
  for (int k = 0; k < kNumOpKinds; ++k) CHECK(c.kind[k] > 0);
  for (int k = 0; k < kNumSeqBases; ++k) CHECK(c.seq_base[k] > 0);
  for (int k = 0; k < kNumAckBases; ++k) CHECK(c.ack_base[k] > 0);
  for (int k = 0; k < kNumSpoofs; ++k) CHECK(c.spoof[k] > 0);
  for (int k = 0; k < kNumFaultKinds; ++k) CHECK(c.fault[k] > 0);
  CHECK((c.mss && c.wscale && c.sack_ok && c.ts && c.sack && c.raw));
}

TEST_CASE("check_text_representable names what the text cannot carry", "[text]") {
  Scenario s;
  s.header.mode = Mode::kEndpoint;
  s.ops = {op_of(OpKind::kFault)};
  CHECK_FALSE(check_text_representable(s).ok());
  s.ops = {socket_op(OpKind::kSend, 0, 1, /*host=*/1)};
  CHECK_FALSE(check_text_representable(s).ok());
  s.ops = {port_op(OpKind::kClose, 81)};  // close has no port
  CHECK_FALSE(check_text_representable(s).ok());
  Op e = expect_op(kAck, 1, 0, std::nullopt);
  e.expected.window = 5;  // unchecked but set
  s.ops = {e};
  CHECK_FALSE(check_text_representable(s).ok());
  s.header.mode = Mode::kConnection;
  s.ops = {expect_op(kAck, 1, 0, 1)};
  CHECK_FALSE(check_text_representable(s).ok());
  Op part = op_of(OpKind::kPartition);
  s.ops = {part};  // mask 0
  CHECK_FALSE(check_text_representable(s).ok());
  part.host = 3;
  s.ops = {part};
  CHECK(check_text_representable(s).ok());
}

// ---------------------------------------------------------------------------
// Errors.

TEST_CASE("malformed lines give exact file:line:col messages", "[text]") {
  CHECK(parse_error("--mode=endpoint\n+0 < SX 0:0(0) win 100\n") ==
        "t.pkt:2:6: expected TCP flags (letters S F R P U E W, '.' for ACK, or none), found 'SX'");
  CHECK(parse_error("--mode=endpoint\n+0 < S. 1:5(3) ack 1 win 100\n") ==
        "t.pkt:2:11: expected end 4 (start + length 3), found '5'");
  CHECK(parse_error("--mode=endpoint\n+0 < . rcv.nxt+1:rcv.nxt+1(2)\n") ==
        "t.pkt:2:18: expected end rcv.nxt+3 (start + length 2), found 'rcv.nxt+1'");
  CHECK(parse_error("--mode=endpoint\n+0 > . 1:2(0)\n") ==
        "t.pkt:2:10: expected end 1 (start + length 0), found '2'");
  CHECK(parse_error("--mode=endpoint\n+0 frobnicate(3) = 0\n") ==
        "t.pkt:2:4: expected a system call (socket, bind, listen, accept, connect, write, send, "
        "read, recv, shutdown, close, abort, setsockopt, getsockopt or fcntl), found "
        "'frobnicate'");
  CHECK(parse_error("--msl=30m\n") ==
        "t.pkt:1:7: expected a duration with a unit (us, ms or s), found '30m'");
  CHECK(parse_error("--mode=endpoint\n+0 fault c>s drop\n") ==
        "t.pkt:2:4: expected an endpoint operation (fault and partition lines need "
        "--mode=connection), found 'fault'");
  CHECK(parse_error("--mode=endpoint\n+0 < S 0:0(0) win 100 <mss 1460,sackOK\n") ==
        "t.pkt:2:39: expected ',' or '>', found end of line");
  CHECK(parse_error("+0 c listen 80\n+0 < S 0:0(0)\n") ==
        "t.pkt:2:4: expected a connection-mode operation (inject segments with 'c inject' or "
        "'s inject'), found '<'");
  CHECK(parse_error("+0.5 wait\n0.2 wait\n") ==
        "t.pkt:2:1: expected a time at or after the previous line's 0.500000, found '0.2'");
  CHECK(parse_error("--mss=70000\n") == "t.pkt:1:7: expected a number (at most 65535), found '70000'");
  CHECK(parse_error("--frob=1\n") ==
        "t.pkt:1:1: expected a header line (see harness/SCENARIOS.md), found '--frob'");
  CHECK(parse_error("+0 wait\n--mss=1\n") ==
        "t.pkt:2:1: expected an operation (header lines come first), found '--mss'");
  CHECK(parse_error("--mss=1\n--mss=2\n") ==
        "t.pkt:2:1: expected each header line once, found '--mss'");
  CHECK(parse_error("+0.1234567 wait\n") ==
        "t.pkt:1:1: expected a time with at most 6 decimals, found '+0.1234567'");
  CHECK(parse_error("wait\n") ==
        "t.pkt:1:1: expected a time in seconds (+T after the previous line, or T since the "
        "start), found 'wait'");
  CHECK(parse_error("+0 c send 0\n") == "t.pkt:1:12: expected a byte count, found end of line");
  CHECK(parse_error("+0 fault c>s explode\n") ==
        "t.pkt:1:14: expected a fault (drop, duplicate, delay, reorder, corrupt or truncate), "
        "found 'explode'");
  CHECK(parse_error("+0 partition x 1s\n") ==
        "t.pkt:1:14: expected a direction (c>s, s>c or both), found 'x'");
  CHECK(parse_error("--mode=endpoint\n+0 < S 0:0(0) win 1 <mss 1,mss 2>\n") ==
        "t.pkt:2:28: expected each option at most once, found 'mss'");
  CHECK(parse_error("--mode=endpoint\n+0 shutdown(3, SHUT_RD) = 0\n") ==
        "t.pkt:2:16: expected SHUT_WR (the model shuts down the sending side only), found "
        "'SHUT_RD'");
  CHECK(parse_error("--mode=endpoint\n+0 write(3, ...) = 0\n") ==
        "t.pkt:2:16: expected 3 arguments (fd, buffer, count), found ')'");
  CHECK(parse_error("--mode=endpoint\n+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                    "+0 write(3, ..., 1) = 1\n") ==
        "t.pkt:3:10: expected a listening or connected socket, found '3'");
  CHECK(parse_error("+0 `sysctl -w net.inet.tcp.insecure_rst=0`\n") ==
        "t.pkt:1:4: expected an operation (shell commands are not supported), found "
        "'`sysctl'");
  CHECK(parse_error("#ifdef FreeBSD\n") ==
        "t.pkt:1:1: expected a comment (#if blocks are not supported: keep one branch), found "
        "'#ifdef'");
  CHECK(parse_error("--mode=endpoint\n+0 <[noecn] . 1:1(0)\n") ==
        "t.pkt:2:5: expected a space after the direction (packetdrill's [...] annotations are "
        "not supported), found '['");
}

TEST_CASE("absurd inputs are rejected", "[text]") {
  const std::string big(kMaxScenarioTextBytes + 1, '#');
  CHECK(parse_error(big) == "t.pkt:1:1: expected at most 1048576 bytes of text, found 1048577 bytes");
  std::string many;
  for (size_t i = 0; i < kMaxScenarioOps / 2 + 1; ++i) many += "+1 c accept\n";
  CHECK(parse_error(many) == "t.pkt:50001:1: expected at most 100000 operations, found '+1'");
  CHECK(parse_error("--seed=18446744073709551616\n") ==
        "t.pkt:1:8: expected a number (at most 18446744073709551615), found '18446744073709551616'");
  CHECK(parse_error("+18446744073710 wait\n") ==
        "t.pkt:1:1: expected a time below 2^64 microseconds, found '+18446744073710'");
}

// The fuzz contract, on a budget: texts derived from valid ones by random edits
// either fail with a well-formed message or parse to a scenario that is
// representable and whose canonical print is a fixed point.
TEST_CASE("mutated texts either fail cleanly or print to a fixed point", "[text]") {
  Gen gen(777);
  std::mt19937 rng(4242);
  const std::string alphabet = " \n+-.:()<>,=[]0123456789abcdefSFRPUEW.#/rcvsnxtwdiuakmpl_";
  const std::regex error_shape(R"(^t\.pkt:\d+:\d+: expected .+, found ('.*'|end of line|\d+ bytes)$)");
  int parsed = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string text = print_scenario_text(gen.scenario(i % 2 ? Mode::kEndpoint : Mode::kConnection));
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      const size_t at = rng() % text.size();
      switch (rng() % 4) {
        case 0: text[at] = alphabet[rng() % alphabet.size()]; break;
        case 1: text.erase(at, 1 + rng() % 8); break;
        case 2: text.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
        default: {  // duplicate a line
          const size_t b = text.rfind('\n', at);
          const size_t start = b == std::string::npos ? 0 : b + 1;
          const size_t end = text.find('\n', at);
          text.insert(start, text.substr(start, end == std::string::npos ? std::string::npos
                                                                          : end - start + 1));
        }
      }
    }
    INFO("text:\n" << text);
    const absl::StatusOr<Scenario> r = parse_scenario_text(text, "t.pkt");
    if (!r.ok()) {
      const std::string msg(r.status().message());
      INFO("message: " << msg);
      REQUIRE(std::regex_match(msg, error_shape));
      continue;
    }
    ++parsed;
    REQUIRE(check_text_representable(*r).ok());
    const std::string canon = print_scenario_text(*r);
    const absl::StatusOr<Scenario> again = parse_scenario_text(canon);
    REQUIRE(again.ok());
    REQUIRE(*again == *r);
    REQUIRE(print_scenario_text(*again) == canon);
  }
  CHECK(parsed > 100);  // the edits leave many texts valid
}

// The worked examples of harness/SCENARIOS.md (```scenario blocks) must parse,
// and their canonical prints must be fixed points.
TEST_CASE("the examples in SCENARIOS.md parse", "[text]") {
  const std::filesystem::path doc =
      std::filesystem::path(__FILE__).parent_path().parent_path() / "harness" / "SCENARIOS.md";
  std::ifstream in(doc);
  if (!in) {
    WARN("cannot open " << doc << "; skipping");
    return;
  }
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string md = buf.str();
  int examples = 0;
  for (size_t at = md.find("```scenario\n"); at != std::string::npos;
       at = md.find("```scenario\n", at)) {
    const size_t begin = at + 12;
    const size_t end = md.find("```", begin);
    REQUIRE(end != std::string::npos);
    const std::string text = md.substr(begin, end - begin);
    const Scenario s = parse_ok(text);
    const std::string canon = print_scenario_text(s);
    CHECK(parse_ok(canon) == s);
    ++examples;
    at = end + 3;
  }
  CHECK(examples >= 3);
}

}  // namespace
}  // namespace synfin::harness
