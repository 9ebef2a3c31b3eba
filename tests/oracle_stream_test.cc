// The stream checker: hand-fed event sequences for each id, and whole runs that
// must stay clean (including injected data that is, or is not, on the pattern).
#include <catch2/catch.hpp>

#include <memory>

#include "harness/checked_run.h"
#include "harness/oracles/checkers.h"
#include "harness/pattern.h"
#include "harness/simulation.h"
#include "tests/oracle_test_util.h"

using namespace synfin;
using namespace synfin::harness;
using synfin::oracle_test::AllViolations;
using synfin::oracle_test::make_segment;
using synfin::oracle_test::Tcb;

namespace {

// Host 0 conn 1 (the client) and host 1 conn 2 (the server's child), paired by
// mirrored 4-tuples.
struct Pair {
  explicit Pair(Mode mode = Mode::kConnection)
      : checker(make_stream_checker(oracle_test::context_for(&sink, mode))) {
    checker->on_created(0, 1, kNoConn, oracle_test::tuple_of_host(0, 49152, 80), at());
    checker->on_created(1, 2, 1, oracle_test::tuple_of_host(1, 80, 49152), at());
  }
  Instant at() { return Instant{} + Duration::millis(++ms); }

  void write(int h, ConnId id, size_t n, uint64_t offset) {
    std::vector<uint8_t> b(n);
    fill_stream(offset, b);
    checker->on_send_accepted(h, id, b, at());
  }
  void read(int h, ConnId id, size_t n, uint64_t offset) {
    std::vector<uint8_t> b(n);
    fill_stream(offset, b);
    checker->on_deliver(h, id, b, at());
  }
  // The server's connection saw the client's FIN with RCV.NXT = IRS + 2 + length.
  void eof(uint32_t length, uint32_t recv_queued = 0) {
    checker->on_user_event(1, 2, UserEvent::kEndOfStream, at());
    Tcb t;
    t.state = State::kCloseWait;
    t.irs = 7000;
    t.rcv_nxt = 7000 + 2 + length;
    t.recv_queued = recv_queued;
    checker->on_step_end(1, 2, t.snap(), at());
  }
  void step(uint32_t recv_queued) {
    Tcb t;
    t.state = State::kCloseWait;
    t.recv_queued = recv_queued;
    checker->on_step_end(1, 2, t.snap(), at());
  }

  AllViolations sink;
  std::unique_ptr<Oracle> checker;
  int64_t ms = 0;
};

Op op_of(OpKind kind, uint8_t host = 0, uint64_t amount = 0, uint8_t socket = 0) {
  Op op;
  op.kind = kind;
  op.host = host;
  op.amount = amount;
  op.socket = socket;
  return op;
}

}  // namespace

TEST_CASE("stream.corrupt-delivery: the first wrong byte is named", "[oracle]") {
  Pair p;
  p.write(0, 1, 100, 0);
  p.read(1, 2, 40, 0);
  REQUIRE(p.sink.all().empty());
  std::vector<uint8_t> b(20);
  fill_stream(40, b);
  b[7] ^= 0x01;
  p.checker->on_deliver(1, 2, b, p.at());
  REQUIRE(p.sink.count("stream.corrupt-delivery") == 1);
  CHECK_THAT(p.sink.all()[0].explanation, Catch::Contains("offset 47"));
  // Once per connection.
  p.checker->on_deliver(1, 2, b, p.at());
  CHECK(p.sink.count("stream.corrupt-delivery") == 1);
}

TEST_CASE("stream.corrupt-delivery: bytes delivered out of place", "[oracle]") {
  Pair p;
  p.write(0, 1, 100, 0);
  p.read(1, 2, 40, 0);
  p.read(1, 2, 20, 41);  // skipped offset 40
  CHECK(p.sink.has("stream.corrupt-delivery"));
}

TEST_CASE("stream.over-delivery: more read than the peer wrote", "[oracle]") {
  Pair p;
  p.write(0, 1, 50, 0);
  p.read(1, 2, 50, 0);
  REQUIRE(p.sink.all().empty());
  p.read(1, 2, 1, 50);
  CHECK(p.sink.has("stream.over-delivery"));
}

namespace {

// Host 1's listener (conn 3, no foreign socket) takes 80 <-> 80 by RFC 9293
// 3.10.2's SEND in LISTEN -- no on_created says so, only its first segment --
// and its app writes 100 bytes; host 0's connection 7 on the mirror tuple reads
// them. With `old_child`, a child of host 1 had that tuple before and died.
struct ListenerTurnedActive {
  explicit ListenerTurnedActive(bool old_child)
      : checker(make_stream_checker(oracle_test::context_for(&sink, Mode::kConnection))) {
    const FourTuple active = oracle_test::tuple_of_host(1, 80, 80);
    if (old_child) checker->on_created(1, 2, 1, active, at());
    checker->on_created(1, 3, kNoConn, oracle_test::tuple_of_host(1, 80, 0), at());
    Tcb t;
    t.state = State::kSynSent;
    checker->on_segment_out(1, 3, active, make_segment(kSyn, 5000), t.snap(), at());
    checker->on_send_accepted(1, 3, stream(0, 100), at());
    checker->on_created(0, 7, 1, oracle_test::tuple_of_host(0, 80, 80), at());
    checker->on_deliver(0, 7, stream(0, 100), at());
  }
  Instant at() { return Instant{} + Duration::millis(++ms); }
  static std::vector<uint8_t> stream(uint64_t offset, size_t n) {
    std::vector<uint8_t> b(n);
    fill_stream(offset, b);
    return b;
  }

  AllViolations sink;
  std::unique_ptr<Oracle> checker;
  int64_t ms = 0;
};

}  // namespace

TEST_CASE("stream: a listener turned active by SEND pairs by the tuple its first segment shows",
          "[oracle]") {
  ListenerTurnedActive t(/*old_child=*/false);
  CHECK(t.sink.all().empty());
  // One byte more than was written is over-delivery: the pairing is live.
  t.checker->on_deliver(0, 7, ListenerTurnedActive::stream(100, 1), t.at());
  CHECK(t.sink.has("stream.over-delivery"));
}

TEST_CASE("stream: a tuple an earlier connection also had pairs with neither", "[oracle]") {
  // The found case: paired with the dead child (which wrote nothing), host 0's
  // read of the listener's 100 bytes looked like over-delivery.
  ListenerTurnedActive t(/*old_child=*/true);
  CHECK(t.sink.all().empty());
}

TEST_CASE("stream.over-delivery: not judged in endpoint mode or after injected data", "[oracle]") {
  SECTION("endpoint mode") {
    Pair p(Mode::kEndpoint);
    p.read(1, 2, 10, 0);
    CHECK(p.sink.all().empty());
  }
  SECTION("injected data") {
    Pair p;
    IpPacket pkt;
    pkt.tcp = make_segment(kAck, 7001, 0, 65535, 10, 0);
    p.checker->on_inject(1, pkt, p.at());
    Tcb before;
    before.state = State::kEstablished;
    before.irs = 7000;
    before.rcv_nxt = 7001;
    p.checker->on_segment_in(1, 2, oracle_test::tuple_of_host(1, 80, 49152), pkt.tcp, before.snap(),
                             p.at());
    p.read(1, 2, 10, 0);
    CHECK(p.sink.all().empty());
  }
}

TEST_CASE("stream.length-at-fin: the FIN comes right after what the peer wrote", "[oracle]") {
  SECTION("a FIN 5 bytes early fires") {
    Pair p;
    p.write(0, 1, 100, 0);
    p.eof(95);
    CHECK(p.sink.has("stream.length-at-fin"));
  }
  SECTION("the FIN at 100 is right") {
    Pair p;
    p.write(0, 1, 100, 0);
    p.eof(100);
    CHECK(p.sink.all().empty());
  }
}

TEST_CASE("stream.missing-bytes: an orderly end must have delivered everything", "[oracle]") {
  SECTION("EOF, empty queue, 10 bytes short fires at finish") {
    Pair p;
    p.write(0, 1, 100, 0);
    p.read(1, 2, 90, 0);
    p.eof(100, 0);
    p.checker->finish(true, p.at());
    CHECK(p.sink.has("stream.missing-bytes"));
  }
  SECTION("bytes still queued for the app are not missing") {
    Pair p;
    p.write(0, 1, 100, 0);
    p.read(1, 2, 90, 0);
    p.eof(100, 10);
    p.checker->finish(true, p.at());
    CHECK(p.sink.all().empty());
  }
  SECTION("a reset connection is not judged") {
    Pair p;
    p.write(0, 1, 100, 0);
    p.read(1, 2, 90, 0);
    p.eof(100, 0);
    p.checker->on_user_event(1, 2, UserEvent::kReset, p.at());
    p.checker->finish(true, p.at());
    CHECK(p.sink.all().empty());
  }
}

TEST_CASE("stream: a full transfer with both closes is clean", "[oracle]") {
  Scenario s;
  s.ops = {op_of(OpKind::kListen, 1),      op_of(OpKind::kConnect, 0),
           op_of(OpKind::kWait, 0, 100000), op_of(OpKind::kAccept, 1),
           op_of(OpKind::kSend, 0, 30000),  op_of(OpKind::kSend, 1, 7000, 1),
           op_of(OpKind::kWait, 0, 500000), op_of(OpKind::kRecv, 1, 1 << 20, 1),
           op_of(OpKind::kRecv, 0, 1 << 20), op_of(OpKind::kShutdown, 0),
           op_of(OpKind::kShutdown, 1, 0, 1), op_of(OpKind::kWait, 0, 100000),
           op_of(OpKind::kRecv, 1, 1 << 20, 1), op_of(OpKind::kRecv, 0, 1 << 20)};
  AllViolations sink;
  oracle_test::run_with_oracles(s, &sink);
  CHECK(sink.with_prefix("stream.").empty());
  CHECK(sink.with_prefix("seqack.").empty());
  INFO(sink.summary());
}

TEST_CASE("stream: injected data off the pattern does not make the stack look corrupt",
          "[oracle]") {
  // Endpoint mode, active open: the scripted SYN-ACK sits 5 past the script's ISN
  // and carries 10 bytes, which the injector fills from the script's ISN; the
  // host takes them at stream offset 0, where they do not match the pattern.
  Scenario s;
  s.header.mode = Mode::kEndpoint;
  s.header.peer_isn = 100000;
  s.ops.push_back(op_of(OpKind::kConnect, 0));
  Op sa = op_of(OpKind::kInject, 0);
  sa.segment.flags = kSyn | kAck;
  sa.segment.seq = 5;
  sa.segment.ack = 1;
  sa.segment.payload_len = 10;
  s.ops.push_back(sa);
  s.ops.push_back(op_of(OpKind::kRecv, 0, 100));
  struct Check : RunObserver {
    int64_t mismatch = -1;
    size_t read = 0;
    void on_deliver(int, ConnId, std::span<const uint8_t> b, Instant) override {
      read += b.size();
      mismatch = first_stream_mismatch(0, b);
    }
  } check;
  AllViolations sink;
  CheckedRunOptions opt;
  opt.observers.push_back(&check);
  run_checked(s, opt, &sink);
  INFO(sink.summary());
  CHECK(check.read == 10);
  CHECK(check.mismatch == 0);  // the bytes really are off the pattern
  CHECK_FALSE(sink.has("stream.corrupt-delivery"));
}

TEST_CASE("stream.corrupt-delivery: judged in endpoint mode too", "[oracle]") {
  Pair p(Mode::kEndpoint);
  std::vector<uint8_t> b(10);
  fill_stream(3, b);
  p.checker->on_deliver(1, 2, b, p.at());
  CHECK(p.sink.has("stream.corrupt-delivery"));
}

TEST_CASE("stream: injected in-order data adds bytes without an over-delivery report",
          "[oracle]") {
  // Connection mode; the injector places 50 bytes at the server's RCV.NXT,
  // filled from the client's stream offset, so the server reads 150 bytes of a
  // clean stream of which the client wrote 100.
  Scenario s;
  s.ops = {op_of(OpKind::kListen, 1), op_of(OpKind::kConnect, 0), op_of(OpKind::kWait, 0, 100000),
           op_of(OpKind::kAccept, 1), op_of(OpKind::kSend, 0, 100), op_of(OpKind::kWait, 0, 100000)};
  Op inj = op_of(OpKind::kInject, 1);
  inj.segment.flags = kAck;
  inj.segment.seq_base = SeqBase::kRcvNxt;
  inj.segment.ack_base = AckBase::kSndNxt;
  inj.segment.payload_len = 50;
  s.ops.push_back(inj);
  s.ops.push_back(op_of(OpKind::kRecv, 1, 1000, 1));
  struct Count : RunObserver {
    uint64_t read = 0;
    void on_deliver(int h, ConnId, std::span<const uint8_t> b, Instant) override {
      if (h == 1) read += b.size();
    }
  } count;
  AllViolations sink;
  CheckedRunOptions opt;
  opt.observers.push_back(&count);
  run_checked(s, opt, &sink);
  INFO(sink.summary());
  CHECK(count.read == 150);
  CHECK(sink.with_prefix("stream.").empty());
}

namespace {

// Host 1's connection 2 (endpoint mode, IRS 7000) meets an injected ACK whose
// payload starts `before_stream` octets before the stream's first octet (IRS+1),
// or `-before_stream` octets into it. Each payload octet is the pattern's octet for
// its place, except the ones `off_pattern` picks.
void inject_into_stream(Pair& p, int64_t before_stream, size_t n,
                        bool (*off_pattern)(int64_t stream_offset)) {
  Segment seg = make_segment(kAck, static_cast<uint32_t>(7001 - before_stream), 1);
  seg.payload.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t offset = static_cast<int64_t>(i) - before_stream;
    const uint8_t right = offset >= 0 ? stream_byte(static_cast<uint64_t>(offset)) : 0x5a;
    seg.payload[i] = off_pattern(offset) ? static_cast<uint8_t>(right ^ 0xff) : right;
  }
  IpPacket packet;
  packet.tcp = seg;
  p.checker->on_inject(1, packet, p.at());
  Tcb t;
  t.state = State::kEstablished;
  t.irs = 7000;
  t.rcv_nxt = 7001;
  p.checker->on_segment_in(1, 2, oracle_test::tuple_of_host(1, 80, 49152), seg, t.snap(), p.at());
}

// A corrupt delivery after the injection: reported only if the checker still
// trusts the stream (injected bytes off the pattern excuse it).
bool corrupt_delivery_reported(Pair& p) {
  std::vector<uint8_t> b(10);
  fill_stream(3, b);
  p.checker->on_deliver(1, 2, b, p.at());
  return p.sink.has("stream.corrupt-delivery");
}

}  // namespace

TEST_CASE("stream: injected octets are judged at their place in the stream", "[oracle]") {
  SECTION("off the pattern inside the stream: later corruption is excused") {
    Pair p(Mode::kEndpoint);
    inject_into_stream(p, 0, 300, [](int64_t o) { return o == 299; });
    CHECK_FALSE(corrupt_delivery_reported(p));
  }
  SECTION("all on the pattern: the stream stays trusted") {
    Pair p(Mode::kEndpoint);
    inject_into_stream(p, 0, 300, [](int64_t) { return false; });
    CHECK(corrupt_delivery_reported(p));
  }
  SECTION("octets before the stream never count, whatever they hold") {
    Pair p(Mode::kEndpoint);
    inject_into_stream(p, 5, 15, [](int64_t o) { return o < 0; });
    CHECK(corrupt_delivery_reported(p));
  }
  SECTION("straddling the stream's start: the part inside is judged") {
    Pair p(Mode::kEndpoint);
    inject_into_stream(p, 5, 15, [](int64_t o) { return o == 9; });
    CHECK_FALSE(corrupt_delivery_reported(p));
  }
  SECTION("wholly before the stream: nothing to judge") {
    Pair p(Mode::kEndpoint);
    inject_into_stream(p, 40, 20, [](int64_t) { return true; });
    CHECK(corrupt_delivery_reported(p));
  }
}
