// The TIME-WAIT checker, fed by hand: each test breaks one rule and expects its
// id, with a near miss that must stay silent.
#include <catch2/catch.hpp>

#include "harness/checked_run.h"
#include "tests/oracle_test_util.h"

using namespace synfin;
using namespace synfin::harness;
using namespace synfin::oracle_test;

namespace {

constexpr int kH = 1;
const FourTuple kTuple = tuple_of_host(1, 80, 50000);
constexpr uint32_t kIss = 7000, kIrs = 3000;

Config cfg_with_msl(int64_t msl_ms, TimeWaitSynPolicy p = TimeWaitSynPolicy::kStrict) {
  Config c;
  c.msl = Duration::millis(msl_ms);
  c.time_wait_syn = p;
  return c;
}

struct Fixture {
  explicit Fixture(Config cfg = cfg_with_msl(1000))
      : oracle(make_timewait_checker(context_for(&sink, Mode::kConnection, cfg))) {}
  static Instant at(int64_t ms) { return Instant::from_millis(ms); }
  void created(ConnId id, ConnId parent = 9, const FourTuple& t = kTuple, int64_t ms = 0) {
    oracle->on_created(kH, id, parent, t, at(ms));
  }
  void transition(ConnId id, State from, State to, Cause cause, int64_t ms) {
    oracle->on_transition(kH, id, from, to, cause, at(ms));
  }
  void in(ConnId id, const Segment& s, const Tcb& before, int64_t ms, const FourTuple& t = kTuple) {
    oracle->on_segment_in(kH, id, t, s, before.snap(), at(ms));
  }
  void out(ConnId id, const Segment& s, const Tcb& tcb, int64_t ms, const FourTuple& t = kTuple) {
    oracle->on_segment_out(kH, id, t, s, tcb.snap(), at(ms));
  }
  void timer_set(ConnId id, TimerKind k, int64_t deadline_ms, int64_t ms) {
    oracle->on_timer(kH, id, k, TimerAction::kSet, at(deadline_ms), at(ms));
  }
  void step_end(ConnId id, const Tcb& tcb, int64_t ms) { oracle->on_step_end(kH, id, tcb.snap(), at(ms)); }
  void released(ConnId id, int64_t ms) { oracle->on_released(kH, id, at(ms)); }
  void tick(int64_t ms) { oracle->on_run_end(at(ms)); }

  AllViolations sink;
  std::unique_ptr<Oracle> oracle;
};

Tcb tw_tcb(State st = State::kTimeWait) {
  Tcb t;
  t.state = st;
  t.iss = kIss;
  t.irs = kIrs;
  t.snd_una = t.snd_nxt = t.snd_max = kIss + 101;  // 100 bytes and our FIN, acknowledged
  t.rcv_nxt = kIrs + 51;                             // 50 bytes and the peer's FIN
  t.rcv_wnd = 65535;
  return t;
}

// An active close through FIN-WAIT-2 into TIME-WAIT at `ms`, with the segments a
// real one shows (so the checker knows the 4-tuple and the sequence numbers).
void active_close(Fixture& f, ConnId id, int64_t ms) {
  f.created(id);
  f.transition(id, State::kListen, State::kSynReceived, Cause::kRecvSyn, ms - 30);
  f.transition(id, State::kSynReceived, State::kEstablished, Cause::kRecvAck, ms - 20);
  f.transition(id, State::kEstablished, State::kFinWait1, Cause::kUserClose, ms - 10);
  f.out(id, make_segment(kFin | kAck, kIss + 100, kIrs + 50), tw_tcb(State::kFinWait1), ms - 10);
  f.transition(id, State::kFinWait1, State::kFinWait2, Cause::kRecvAck, ms - 5);
  f.in(id, make_segment(kFin | kAck, kIrs + 50, kIss + 101), tw_tcb(State::kFinWait2), ms);
  f.transition(id, State::kFinWait2, State::kTimeWait, Cause::kRecvFin, ms);
  f.timer_set(id, TimerKind::kTimeWait, ms + 2000, ms);
  f.out(id, make_segment(kAck, kIss + 101, kIrs + 51), tw_tcb(), ms);
  f.step_end(id, tw_tcb(), ms);
}

}  // namespace

TEST_CASE("timewait.illegal-entry: TIME-WAIT only from FIN-WAIT-2, CLOSING or FIN-WAIT-1+FIN-ACK",
          "[oracle]") {
  Fixture f;
  // Distinct 4-tuples: five connections in TIME-WAIT at once.
  auto conn = [&f](ConnId id) { f.created(id, 9, tuple_of_host(1, 80, static_cast<uint16_t>(50000 + id))); };
  conn(1);
  f.transition(1, State::kFinWait2, State::kTimeWait, Cause::kRecvFin, 10);
  conn(2);
  f.transition(2, State::kClosing, State::kTimeWait, Cause::kRecvAck, 10);
  conn(3);
  f.transition(3, State::kFinWait1, State::kTimeWait, Cause::kRecvFinAck, 10);
  CHECK(f.sink.all().empty());
  conn(4);
  f.transition(4, State::kEstablished, State::kTimeWait, Cause::kRecvFin, 10);
  conn(5);
  f.transition(5, State::kFinWait1, State::kTimeWait, Cause::kRecvFin, 10);  // wrong cause
  CHECK(f.sink.count("timewait.illegal-entry") == 2);
}

TEST_CASE("timewait.passive-closer: a connection that was in CLOSE-WAIT never enters TIME-WAIT",
          "[oracle]") {
  Fixture f;
  f.created(1);
  f.transition(1, State::kEstablished, State::kCloseWait, Cause::kRecvFin, 5);
  // (A broken stack's path; the chain itself is the state checker's business.)
  f.transition(1, State::kFinWait2, State::kTimeWait, Cause::kRecvFin, 10);
  CHECK(f.sink.count("timewait.passive-closer") == 1);
  CHECK_FALSE(f.sink.has("timewait.illegal-entry"));

  Fixture g;  // near miss: the active closer
  active_close(g, 1, 100);
  CHECK(g.sink.all().empty());
}

TEST_CASE("timewait.wrong-duration: the 2*MSL timeout ends TIME-WAIT exactly 2*MSL after entry",
          "[oracle]") {
  SECTION("on time") {
    Fixture f;  // MSL 1 s
    active_close(f, 1, 100);
    f.transition(1, State::kTimeWait, State::kClosed, Cause::kTimeWaitExpired, 2100);
    f.released(1, 2100);
    f.oracle->finish(true, Instant::from_millis(2100));
    CHECK(f.sink.all().empty());
  }
  SECTION("a millisecond early") {
    Fixture f;
    active_close(f, 1, 100);
    f.transition(1, State::kTimeWait, State::kClosed, Cause::kTimeWaitExpired, 2099);
    CHECK(f.sink.count("timewait.wrong-duration") == 1);
  }
  SECTION("a retransmitted FIN moves the end; expiring at the old end is early") {
    Fixture f;
    active_close(f, 1, 100);
    f.in(1, make_segment(kFin | kAck, kIrs + 50, kIss + 101), tw_tcb(), 1500);
    f.timer_set(1, TimerKind::kTimeWait, 3500, 1500);
    f.out(1, make_segment(kAck, kIss + 101, kIrs + 51), tw_tcb(), 1500);
    f.step_end(1, tw_tcb(), 1500);
    CHECK(f.sink.all().empty());
    f.transition(1, State::kTimeWait, State::kClosed, Cause::kTimeWaitExpired, 2100);
    CHECK(f.sink.count("timewait.wrong-duration") == 1);
  }
}

TEST_CASE("timewait.not-restarted / fin-not-reacked: a retransmitted FIN is ACKed and restarts 2*MSL",
          "[oracle]") {
  const Segment fin = make_segment(kFin | kAck, kIrs + 50, kIss + 101);
  SECTION("both done: silent") {
    Fixture f;
    active_close(f, 1, 100);
    f.in(1, fin, tw_tcb(), 700);
    f.timer_set(1, TimerKind::kTimeWait, 2700, 700);
    f.out(1, make_segment(kAck, kIss + 101, kIrs + 51), tw_tcb(), 700);
    f.step_end(1, tw_tcb(), 700);
    CHECK(f.sink.all().empty());
  }
  SECTION("neither") {
    Fixture f;
    active_close(f, 1, 100);
    f.in(1, fin, tw_tcb(), 700);
    f.step_end(1, tw_tcb(), 700);
    CHECK(f.sink.count("timewait.not-restarted") == 1);
    CHECK(f.sink.count("timewait.fin-not-reacked") == 1);
  }
  SECTION("ACKed, but the timer set to the wrong deadline") {
    Fixture f;
    active_close(f, 1, 100);
    f.in(1, fin, tw_tcb(), 700);
    f.timer_set(1, TimerKind::kTimeWait, 2100, 700);
    f.out(1, make_segment(kAck, kIss + 101, kIrs + 51), tw_tcb(), 700);
    f.step_end(1, tw_tcb(), 700);
    CHECK(f.sink.count("timewait.not-restarted") == 1);
    CHECK_FALSE(f.sink.has("timewait.fin-not-reacked"));
  }
  SECTION("restarted, but the ACK acknowledges the wrong number") {
    Fixture f;
    active_close(f, 1, 100);
    f.in(1, fin, tw_tcb(), 700);
    f.timer_set(1, TimerKind::kTimeWait, 2700, 700);
    f.out(1, make_segment(kAck, kIss + 101, kIrs + 50), tw_tcb(), 700);
    f.step_end(1, tw_tcb(), 700);
    CHECK(f.sink.count("timewait.fin-not-reacked") == 1);
    CHECK_FALSE(f.sink.has("timewait.not-restarted"));
  }
  SECTION("a FIN that is not a retransmission (not ending at RCV.NXT) needs neither") {
    Fixture f;
    active_close(f, 1, 100);
    f.in(1, make_segment(kFin | kAck, kIrs + 60, kIss + 101), tw_tcb(), 700);
    f.out(1, make_segment(kAck, kIss + 101, kIrs + 51), tw_tcb(), 700);
    f.step_end(1, tw_tcb(), 700);
    CHECK(f.sink.all().empty());
  }
}

TEST_CASE("timewait.data-sent: no payload in TIME-WAIT", "[oracle]") {
  Fixture f;
  active_close(f, 1, 100);
  f.out(1, make_segment(kAck, kIss + 101, kIrs + 51, 65535, 5), tw_tcb(), 200);
  CHECK(f.sink.count("timewait.data-sent") == 1);
}

TEST_CASE("timewait.tuple-reused: the 4-tuple stays reserved during TIME-WAIT", "[oracle]") {
  const Segment new_syn = make_segment(kSyn, kIrs + 51 + 10000);
  auto new_tcb = [](State st, uint32_t iss) {
    Tcb t;
    t.state = st;
    t.iss = iss;
    t.snd_una = iss;
    t.snd_nxt = t.snd_max = iss + 1;
    t.rcv_nxt = kIrs + 51 + 10001;
    return t;
  };
  SECTION("strict policy: no connection may take the tuple") {
    Fixture f;
    active_close(f, 1, 100);
    f.created(2, 9, kTuple, 500);
    CHECK(f.sink.count("timewait.tuple-reused") == 1);
  }
  SECTION("a connection whose tuple turns out to be the TIME-WAIT one") {
    Fixture f(cfg_with_msl(1000, TimeWaitSynPolicy::kReuseIfSeqGreater));
    active_close(f, 1, 100);
    const FourTuple listener{kTuple.local_addr, IpAddr{}, 80, 0};
    f.created(2, kNoConn, listener, 500);
    CHECK(f.sink.all().empty());
    f.out(2, make_segment(kSyn, 1), new_tcb(State::kSynSent, 1), 500);  // now on kTuple
    CHECK(f.sink.count("timewait.tuple-reused") == 1);
  }
  SECTION("reuse policy: a new incarnation from a SYN beyond RCV.NXT, old one ends when it is up") {
    Fixture f(cfg_with_msl(1000, TimeWaitSynPolicy::kReuseIfSeqGreater));
    active_close(f, 1, 100);
    f.created(2, 9, kTuple, 500);
    f.in(2, new_syn, Tcb{State::kListen}, 500);
    f.transition(2, State::kListen, State::kSynReceived, Cause::kRecvSyn, 500);
    f.out(2, make_segment(kSyn | kAck, kIss + 200000, kIrs + 10052), new_tcb(State::kSynReceived, kIss + 200000), 500);
    f.step_end(2, new_tcb(State::kSynReceived, kIss + 200000), 500);
    f.transition(2, State::kSynReceived, State::kEstablished, Cause::kRecvAck, 520);
    f.transition(1, State::kTimeWait, State::kClosed, Cause::kNewIncarnation, 520);
    f.released(1, 520);
    f.tick(600);
    CHECK(f.sink.all().empty());
  }
  SECTION("reuse policy: the SYN does not lie beyond the old RCV.NXT") {
    Fixture f(cfg_with_msl(1000, TimeWaitSynPolicy::kReuseIfSeqGreater));
    active_close(f, 1, 100);
    f.created(2, 9, kTuple, 500);
    f.in(2, make_segment(kSyn, kIrs + 51), Tcb{State::kListen}, 500);
    CHECK(f.sink.count("timewait.tuple-reused") == 1);
  }
  SECTION("reuse policy: the new ISS does not lie beyond the old SND.MAX") {
    Fixture f(cfg_with_msl(1000, TimeWaitSynPolicy::kReuseIfSeqGreater));
    active_close(f, 1, 100);
    f.created(2, 9, kTuple, 500);
    f.in(2, new_syn, Tcb{State::kListen}, 500);
    f.out(2, make_segment(kSyn | kAck, kIss + 50, kIrs + 10052), new_tcb(State::kSynReceived, kIss + 50), 500);
    CHECK(f.sink.count("timewait.tuple-reused") == 1);
  }
  SECTION("reuse policy: the old incarnation outlives the new one's establishment") {
    Fixture f(cfg_with_msl(1000, TimeWaitSynPolicy::kReuseIfSeqGreater));
    active_close(f, 1, 100);
    f.created(2, 9, kTuple, 500);
    f.in(2, new_syn, Tcb{State::kListen}, 500);
    f.transition(2, State::kListen, State::kSynReceived, Cause::kRecvSyn, 500);
    f.transition(2, State::kSynReceived, State::kEstablished, Cause::kRecvAck, 520);
    CHECK(f.sink.all().empty());
    f.tick(530);
    CHECK(f.sink.count("timewait.tuple-reused") == 1);
  }
  SECTION("TIME-WAIT ended for a new incarnation that was never established") {
    Fixture f(cfg_with_msl(1000, TimeWaitSynPolicy::kReuseIfSeqGreater));
    active_close(f, 1, 100);
    f.transition(1, State::kTimeWait, State::kClosed, Cause::kNewIncarnation, 520);
    CHECK(f.sink.count("timewait.tuple-reused") == 1);
  }
}

TEST_CASE("timewait.freed-early: a TCB released while in TIME-WAIT", "[oracle]") {
  Fixture f;
  active_close(f, 1, 100);
  f.released(1, 900);
  CHECK(f.sink.count("timewait.freed-early") == 1);
}

TEST_CASE("timewait.freed-late: TIME-WAIT overstays, or the TCB outlives its end", "[oracle]") {
  SECTION("still in TIME-WAIT at an event after the expiry") {
    Fixture f;
    active_close(f, 1, 100);
    f.tick(2100);  // exactly at the expiry: fine
    CHECK(f.sink.all().empty());
    f.tick(2101);
    CHECK(f.sink.count("timewait.freed-late") == 1);
  }
  SECTION("still in TIME-WAIT when the run ends after the expiry") {
    Fixture f;
    active_close(f, 1, 100);
    f.oracle->finish(false, Instant::from_millis(5000));
    CHECK(f.sink.count("timewait.freed-late") == 1);
  }
  SECTION("CLOSED on time, released later") {
    Fixture f;
    active_close(f, 1, 100);
    f.transition(1, State::kTimeWait, State::kClosed, Cause::kTimeWaitExpired, 2100);
    f.released(1, 2200);
    CHECK(f.sink.count("timewait.freed-late") == 1);
    CHECK_FALSE(f.sink.has("timewait.wrong-duration"));
  }
  SECTION("CLOSED on time, never released") {
    Fixture f;
    active_close(f, 1, 100);
    f.transition(1, State::kTimeWait, State::kClosed, Cause::kTimeWaitExpired, 2100);
    f.oracle->finish(true, Instant::from_millis(2100));
    CHECK(f.sink.count("timewait.freed-late") == 1);
  }
}

TEST_CASE("timewait checker: silent on a real active close with a retransmitted FIN", "[oracle]") {
  // Endpoint mode: host 0 accepts, closes first, the scripted peer ACKs and sends
  // its FIN, then sends the FIN again half-way through TIME-WAIT.
  Scenario s;
  s.header.mode = Mode::kEndpoint;
  s.header.config.msl = Duration::millis(500);
  auto op = [](OpKind k, uint64_t amount = 0, uint8_t socket = 0) {
    Op o;
    o.kind = k;
    o.amount = amount;
    o.socket = socket;
    return o;
  };
  auto inject = [](Flags f, int64_t seq, AckBase ab, int64_t ack) {
    Op o;
    o.kind = OpKind::kInject;
    o.segment.flags = f;
    o.segment.seq_base = SeqBase::kPeerIsn;
    o.segment.seq = seq;
    o.segment.ack_base = ab;
    o.segment.ack = ack;
    return o;
  };
  s.ops = {op(OpKind::kListen),
           inject(kSyn, 0, AckBase::kAbsolute, 0),
           inject(kAck, 1, AckBase::kHostIss, 1),
           op(OpKind::kAccept),
           op(OpKind::kShutdown, 0, 1),
           inject(kAck, 1, AckBase::kHostIss, 2),
           inject(kFin | kAck, 1, AckBase::kHostIss, 2),
           op(OpKind::kWait, 400000),
           inject(kFin | kAck, 1, AckBase::kHostIss, 2),
           op(OpKind::kWait, 3000000)};
  AllViolations sink;
  RunResult r = run_with_oracles(s, &sink);
  CHECK(r.quiet);
  INFO(sink.summary());
  CHECK(sink.with_prefix("timewait.").empty());
  CHECK(sink.with_prefix("state.").empty());
  CHECK(sink.with_prefix("timer.").empty());
  CHECK(sink.with_prefix("liveness.").empty());
}

namespace {

// Counts transitions by cause.
struct Causes : RunObserver {
  int count[16] = {};
  void on_transition(int, ConnId, State, State, Cause c, Instant) override {
    ++count[static_cast<int>(c)];
  }
};

Op inject_op(Flags f, SeqBase sb, int64_t seq, AckBase ab, int64_t ack) {
  Op o;
  o.kind = OpKind::kInject;
  o.segment.flags = f;
  o.segment.seq_base = sb;
  o.segment.seq = seq;
  o.segment.ack_base = ab;
  o.segment.ack = ack;
  return o;
}
Op app_op(OpKind k, uint8_t socket = 0, uint64_t amount = 0) {
  Op o;
  o.kind = k;
  o.socket = socket;
  o.amount = amount;
  return o;
}

// Endpoint host 0 in TIME-WAIT after an active close, then a SYN above the old
// RCV.NXT under the reuse policy.
Scenario reuse_scenario(bool establish, bool stop_listening = false) {
  Scenario s;
  s.header.mode = Mode::kEndpoint;
  s.header.config.msl = Duration::millis(300);
  s.header.config.time_wait_syn = TimeWaitSynPolicy::kReuseIfSeqGreater;
  s.ops = {app_op(OpKind::kListen),
           inject_op(kSyn, SeqBase::kPeerIsn, 0, AckBase::kAbsolute, 0),
           inject_op(kAck, SeqBase::kPeerIsn, 1, AckBase::kHostIss, 1),
           app_op(OpKind::kAccept),
           app_op(OpKind::kShutdown, 1),
           inject_op(kFin | kAck, SeqBase::kPeerIsn, 1, AckBase::kHostIss, 2),
           // The new SYN, 1000 above the old RCV.NXT.
           inject_op(kSyn, SeqBase::kRcvNxt, 1000, AckBase::kAbsolute, 0)};
  if (stop_listening) s.ops.push_back(app_op(OpKind::kShutdown, 0));  // CLOSE the listener
  if (establish) {
    // Injections aim at the 4-tuple's current TCB, the new incarnation.
    s.ops.push_back(inject_op(kAck, SeqBase::kRcvNxt, 0, AckBase::kSndMax, 0));
    s.ops.push_back(app_op(OpKind::kAccept));
  } else {
    // The SYN was an old duplicate: the peer resets the new incarnation.
    s.ops.push_back(inject_op(kRst, SeqBase::kRcvNxt, 0, AckBase::kAbsolute, 0));
  }
  s.ops.push_back(app_op(OpKind::kWait, 0, 2000000));
  return s;
}

}  // namespace

TEST_CASE("timewait checker: silent on RFC 1122 4.2.2.13 reuse, established or an old duplicate",
          "[oracle]") {
  for (bool establish : {true, false}) {
    AllViolations sink;
    Causes causes;
    CheckedRunOptions opt;
    opt.observers.push_back(&causes);
    CheckedRunResult r = run_checked(reuse_scenario(establish), opt, &sink);
    INFO((establish ? "established" : "old duplicate") << "\n" << sink.summary());
    CHECK(r.run.quiet);
    CHECK(causes.count[static_cast<int>(Cause::kNewIncarnation)] == (establish ? 1 : 0));
    // Without the new incarnation, the old TIME-WAIT runs its full course.
    CHECK(causes.count[static_cast<int>(Cause::kTimeWaitExpired)] == (establish ? 0 : 1));
    CHECK(sink.with_prefix("timewait.").empty());
    CHECK(sink.with_prefix("state.").empty());
    CHECK(sink.with_prefix("timer.").empty());
    CHECK(sink.with_prefix("liveness.").empty());
  }
}

// Found by the sweep (timewait.tuple-reused): a listener closed by shutdown()
// used to orphan its SYN-RECEIVED children, and a child that then became
// ESTABLISHED left the parked TIME-WAIT TCB of its 4-tuple alive beside it. A
// listener reaching CLOSED by any call now resets its unaccepted children, and the
// parked TCB is retired whenever a new incarnation is established.
TEST_CASE("closing the listener while a new incarnation opens leaves one TCB per 4-tuple",
          "[oracle]") {
  AllViolations sink;
  Causes causes;
  CheckedRunOptions opt;
  opt.observers.push_back(&causes);
  run_checked(reuse_scenario(/*establish=*/true, /*stop_listening=*/true), opt, &sink);
  INFO(sink.summary());
  // The listener's close resets the half-open new incarnation, so the old one
  // keeps its TIME-WAIT to the end.
  CHECK(causes.count[static_cast<int>(Cause::kNewIncarnation)] == 0);
  CHECK(causes.count[static_cast<int>(Cause::kTimeWaitExpired)] == 1);
  CHECK_FALSE(sink.has("timewait.tuple-reused"));
}
