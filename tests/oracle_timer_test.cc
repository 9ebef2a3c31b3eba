// The timer checker, fed by hand: each test breaks one rule and expects its id,
// with a near miss that must stay silent.
#include <catch2/catch.hpp>

#include "tests/oracle_test_util.h"

using namespace synfin;
using namespace synfin::harness;
using namespace synfin::oracle_test;

namespace {

constexpr int kH = 0;
constexpr ConnId kC = 1;
const FourTuple kTuple = tuple_of_host(0, 50000, 80);
constexpr uint32_t kIss = 1000, kIrs = 9000;

Config timer_config() {
  Config c;
  c.rto_initial = Duration::seconds(1);
  c.rto_min = Duration::millis(200);
  c.rto_max = Duration::seconds(5);
  c.syn_retries = 2;
  c.data_retries = 3;
  return c;
}

struct Fixture {
  explicit Fixture(Config cfg = timer_config())
      : oracle(make_timer_checker(context_for(&sink, Mode::kConnection, cfg))) {
    oracle->on_created(kH, kC, kNoConn, kTuple, at(0));
  }
  static Instant at(int64_t ms) { return Instant::from_millis(ms); }
  void set(TimerKind k, int64_t deadline, int64_t ms) {
    oracle->on_timer(kH, kC, k, TimerAction::kSet, at(deadline), at(ms));
  }
  void cancel(TimerKind k, int64_t deadline, int64_t ms) {
    oracle->on_timer(kH, kC, k, TimerAction::kCancel, at(deadline), at(ms));
  }
  void fire(TimerKind k, int64_t deadline, int64_t ms) {
    oracle->on_timer(kH, kC, k, TimerAction::kFire, at(deadline), at(ms));
  }
  void out(const Segment& s, const Tcb& t, int64_t ms) {
    oracle->on_segment_out(kH, kC, kTuple, s, t.snap(), at(ms));
  }
  void in(const Segment& s, const Tcb& before, int64_t ms) {
    oracle->on_segment_in(kH, kC, kTuple, s, before.snap(), at(ms));
  }
  void step_end(const Tcb& t, int64_t ms) { oracle->on_step_end(kH, kC, t.snap(), at(ms)); }
  void event(UserEvent e, int64_t ms) { oracle->on_user_event(kH, kC, e, at(ms)); }
  void transition(State from, State to, Cause c, int64_t ms) {
    oracle->on_transition(kH, kC, from, to, c, at(ms));
  }

  // Opening: SYN at t=0, timer for 1 s.
  void send_syn() {
    transition(State::kClosed, State::kSynSent, Cause::kUserConnect, 0);
    out(make_segment(kSyn, kIss), syn_sent(), 0);
    set(TimerKind::kRetransmit, 1000, 0);
    step_end(syn_sent(), 0);
  }
  // A retransmission timeout at `ms` that resends the SYN and rearms for `next`.
  void syn_timeout(int64_t deadline, int64_t ms, int64_t next) {
    fire(TimerKind::kRetransmit, deadline, ms);
    out(make_segment(kSyn, kIss), syn_sent(), ms);
    set(TimerKind::kRetransmit, next, ms);
    step_end(syn_sent(), ms);
  }
  // Established with 100 bytes at ISS+1 sent at `ms`, timer for `deadline`.
  void establish_and_send(int64_t ms, int64_t deadline) {
    in(make_segment(kSyn | kAck, kIrs, kIss + 1), syn_sent(), ms);
    transition(State::kSynSent, State::kEstablished, Cause::kRecvSynAck, ms);
    out(make_segment(kAck, kIss + 1, kIrs + 1, 65535, 100), est(kIss + 1), ms);
    set(TimerKind::kRetransmit, deadline, ms);
    step_end(est(kIss + 1), ms);
  }
  void data_timeout(int64_t deadline, int64_t ms, int64_t next) {
    fire(TimerKind::kRetransmit, deadline, ms);
    out(make_segment(kAck, kIss + 1, kIrs + 1, 65535, 100), est(kIss + 1), ms);
    set(TimerKind::kRetransmit, next, ms);
    step_end(est(kIss + 1), ms);
  }

  static Tcb syn_sent() {
    Tcb t;
    t.state = State::kSynSent;
    t.iss = kIss;
    t.snd_una = kIss;
    t.snd_nxt = t.snd_max = kIss + 1;
    return t;
  }
  static Tcb est(uint32_t una) {
    Tcb t;
    t.state = State::kEstablished;
    t.iss = kIss;
    t.irs = kIrs;
    t.snd_una = una;
    t.snd_nxt = t.snd_max = kIss + 101;
    t.rcv_nxt = kIrs + 1;
    return t;
  }

  AllViolations sink;
  std::unique_ptr<Oracle> oracle;
};

}  // namespace

TEST_CASE("timer.fired-off-deadline: a timer fires exactly at the deadline it was last set to",
          "[oracle]") {
  SECTION("clean") {
    Fixture f;
    f.set(TimerKind::kPersist, 500, 0);
    f.set(TimerKind::kPersist, 700, 100);  // restarted
    f.fire(TimerKind::kPersist, 700, 700);
    CHECK(f.sink.all().empty());
  }
  SECTION("fires at the superseded deadline") {
    Fixture f;
    f.set(TimerKind::kPersist, 500, 0);
    f.set(TimerKind::kPersist, 700, 100);
    f.fire(TimerKind::kPersist, 500, 500);
    CHECK(f.sink.count("timer.fired-off-deadline") == 1);
  }
  SECTION("fires late") {
    Fixture f;
    f.set(TimerKind::kTimeWait, 500, 0);
    f.fire(TimerKind::kTimeWait, 500, 501);
    CHECK(f.sink.count("timer.fired-off-deadline") == 1);
  }
  SECTION("fires after being cancelled") {
    Fixture f;
    f.set(TimerKind::kRetransmit, 500, 0);
    f.cancel(TimerKind::kRetransmit, 500, 100);
    f.fire(TimerKind::kRetransmit, 500, 500);
    CHECK(f.sink.count("timer.fired-off-deadline") == 1);
  }
}

TEST_CASE("timer.rexmit-too-early: a timeout retransmission comes at least rto_min after the last send",
          "[oracle]") {
  SECTION("clean back-off") {
    Fixture f;
    f.send_syn();
    f.syn_timeout(1000, 1000, 3000);
    f.syn_timeout(3000, 3000, 7000);
    CHECK(f.sink.all().empty());
  }
  SECTION("a timer armed only 100 ms after the SYN (rto_min is 200 ms)") {
    Fixture f;
    f.transition(State::kClosed, State::kSynSent, Cause::kUserConnect, 0);
    f.out(make_segment(kSyn, kIss), Fixture::syn_sent(), 0);
    f.set(TimerKind::kRetransmit, 100, 0);
    f.step_end(Fixture::syn_sent(), 0);
    f.syn_timeout(100, 100, 300);
    CHECK(f.sink.count("timer.rexmit-too-early") == 1);
  }
  SECTION("data retransmitted 150 ms after the previous timeout") {
    Fixture f;
    f.send_syn();
    f.establish_and_send(10, 1010);
    f.data_timeout(1010, 1010, 1160);
    f.data_timeout(1160, 1160, 3000);
    CHECK(f.sink.count("timer.rexmit-too-early") == 1);
  }
}

TEST_CASE("timer.rto-not-doubled: consecutive timeouts back off by exactly 2x up to rto_max",
          "[oracle]") {
  SECTION("1 s, 2 s, 4 s, 5 s (capped), 5 s: clean") {
    Config c = timer_config();
    c.syn_retries = 10;
    Fixture f(c);
    f.send_syn();
    f.syn_timeout(1000, 1000, 3000);
    f.syn_timeout(3000, 3000, 7000);
    f.syn_timeout(7000, 7000, 12000);
    f.syn_timeout(12000, 12000, 17000);
    f.syn_timeout(17000, 17000, 22000);
    CHECK(f.sink.all().empty());
  }
  SECTION("2 s then 3 s") {
    Fixture f;
    f.send_syn();
    f.syn_timeout(1000, 1000, 3000);
    f.syn_timeout(3000, 3000, 6000);
    f.syn_timeout(6000, 6000, 12000);
    CHECK(f.sink.count("timer.rto-not-doubled") == 1);
  }
  SECTION("a segment received in between breaks the chain") {
    Config c = timer_config();
    c.syn_retries = 10;
    Fixture f(c);
    f.send_syn();
    f.syn_timeout(1000, 1000, 3000);
    f.syn_timeout(3000, 3000, 6000);
    f.in(make_segment(kAck, kIrs, kIss), Fixture::syn_sent(), 4000);  // unacceptable, changes nothing
    f.step_end(Fixture::syn_sent(), 4000);
    f.syn_timeout(6000, 6000, 12000);
    CHECK(f.sink.all().empty());
  }
}

TEST_CASE("timer.retries-exceeded: at most syn_retries / data_retries consecutive retransmissions",
          "[oracle]") {
  SECTION("SYN: a third retransmission with syn_retries = 2") {
    Fixture f;
    f.send_syn();
    f.syn_timeout(1000, 1000, 3000);
    f.syn_timeout(3000, 3000, 7000);
    CHECK(f.sink.all().empty());
    f.syn_timeout(7000, 7000, 12000);
    CHECK(f.sink.count("timer.retries-exceeded") == 1);
  }
  SECTION("data: the count restarts when new data is acknowledged") {
    Fixture f;  // data_retries = 3
    f.send_syn();
    f.syn_timeout(1000, 1000, 3000);
    f.syn_timeout(3000, 3000, 7000);  // two SYN retries, then the SYN is acknowledged
    f.establish_and_send(3100, 4100);
    f.data_timeout(4100, 4100, 6100);
    f.data_timeout(6100, 6100, 10100);
    f.data_timeout(10100, 10100, 15100);
    CHECK(f.sink.all().empty());
    f.data_timeout(15100, 15100, 20100);
    CHECK(f.sink.count("timer.retries-exceeded") == 1);
  }
}

TEST_CASE("timer.giveup-silent / giveup-early: give up after exactly the retries, telling the user",
          "[oracle]") {
  auto give_up = [](Fixture& f, int64_t at, bool tell) {
    f.fire(TimerKind::kRetransmit, at, at);
    if (tell) f.event(UserEvent::kTimedOut, at);
    f.transition(State::kSynSent, State::kClosed, Cause::kRetransmitGiveUp, at);
    f.step_end(Tcb{State::kClosed}, at);
  };
  SECTION("clean: two retries, then 'timed out' and CLOSED") {
    Fixture f;
    f.send_syn();
    f.syn_timeout(1000, 1000, 3000);
    f.syn_timeout(3000, 3000, 7000);
    give_up(f, 7000, true);
    CHECK(f.sink.all().empty());
  }
  SECTION("silent") {
    Fixture f;
    f.send_syn();
    f.syn_timeout(1000, 1000, 3000);
    f.syn_timeout(3000, 3000, 7000);
    give_up(f, 7000, false);
    CHECK(f.sink.count("timer.giveup-silent") == 1);
    CHECK_FALSE(f.sink.has("timer.giveup-early"));
  }
  SECTION("early: after one retry of two") {
    Fixture f;
    f.send_syn();
    f.syn_timeout(1000, 1000, 3000);
    give_up(f, 3000, true);
    CHECK(f.sink.count("timer.giveup-early") == 1);
    CHECK_FALSE(f.sink.has("timer.giveup-silent"));
  }
  SECTION("a 'timed out' from an earlier step does not count") {
    Fixture f;
    f.send_syn();
    f.syn_timeout(1000, 1000, 3000);
    f.event(UserEvent::kTimedOut, 2000);
    f.step_end(Fixture::syn_sent(), 2000);
    f.syn_timeout(3000, 3000, 7000);
    give_up(f, 7000, false);
    CHECK(f.sink.count("timer.giveup-silent") == 1);
  }
}

TEST_CASE("timer.spurious-segment: time-wait timeouts send nothing, persist timeouts one probe",
          "[oracle]") {
  Tcb zero = Fixture::est(kIss + 101);
  zero.snd_wnd = 0;
  SECTION("a bare-ACK probe at SND.UNA-1: clean") {
    Fixture f;
    f.set(TimerKind::kPersist, 500, 0);
    f.fire(TimerKind::kPersist, 500, 500);
    f.out(make_segment(kAck, kIss + 100, kIrs + 1), zero, 500);
    f.set(TimerKind::kPersist, 1500, 500);
    f.step_end(zero, 500);
    CHECK(f.sink.all().empty());
  }
  SECTION("the window opened: new data from a persist timeout is fine") {
    Fixture f;
    f.set(TimerKind::kPersist, 500, 0);
    f.fire(TimerKind::kPersist, 500, 500);
    f.out(make_segment(kAck, kIss + 1, kIrs + 1, 65535, 100), Fixture::est(kIss + 1), 500);
    f.out(make_segment(kAck | kFin, kIss + 101, kIrs + 1, 65535, 100), Fixture::est(kIss + 1), 500);
    f.step_end(Fixture::est(kIss + 1), 500);
    CHECK(f.sink.all().empty());
  }
  SECTION("two probes in one persist timeout") {
    Fixture f;
    f.set(TimerKind::kPersist, 500, 0);
    f.fire(TimerKind::kPersist, 500, 500);
    f.out(make_segment(kAck, kIss + 100, kIrs + 1), zero, 500);
    f.out(make_segment(kAck, kIss + 100, kIrs + 1), zero, 500);
    CHECK(f.sink.count("timer.spurious-segment") == 1);
  }
  SECTION("a persist timeout that sends a plain ACK at SND.NXT") {
    Fixture f;
    f.set(TimerKind::kPersist, 500, 0);
    f.fire(TimerKind::kPersist, 500, 500);
    f.out(make_segment(kAck, kIss + 101, kIrs + 1), zero, 500);
    CHECK(f.sink.count("timer.spurious-segment") == 1);
  }
  SECTION("a time-wait timeout that sends anything") {
    Fixture f;
    f.set(TimerKind::kTimeWait, 500, 0);
    f.fire(TimerKind::kTimeWait, 500, 500);
    f.out(make_segment(kAck, kIss + 101, kIrs + 1), zero, 500);
    CHECK(f.sink.count("timer.spurious-segment") == 1);
  }
}

TEST_CASE("timer.ack-delay-too-long: a held ACK goes within 500 ms (RFC 1122 4.2.3.2)", "[oracle]") {
  const Tcb t = Fixture::est(kIss + 101);
  SECTION("499 ms: clean") {
    Fixture f;
    f.set(TimerKind::kDelayedAck, 499, 0);
    f.fire(TimerKind::kDelayedAck, 499, 499);
    f.out(make_segment(kAck, kIss + 101, kIrs + 1), t, 499);
    f.step_end(t, 499);
    CHECK(f.sink.all().empty());
  }
  SECTION("500 ms: the MUST is broken") {
    Fixture f;
    f.set(TimerKind::kDelayedAck, 500, 0);
    f.fire(TimerKind::kDelayedAck, 500, 500);
    CHECK(f.sink.count("timer.ack-delay-too-long") == 1);
  }
  SECTION("re-arming an armed timer does not restart the delay") {
    Fixture f;
    f.set(TimerKind::kDelayedAck, 300, 0);
    f.set(TimerKind::kDelayedAck, 600, 300);
    f.fire(TimerKind::kDelayedAck, 600, 600);
    CHECK(f.sink.count("timer.ack-delay-too-long") == 1);
  }
  SECTION("a delayed-ACK timeout that sends data") {
    Fixture f;
    f.set(TimerKind::kDelayedAck, 200, 0);
    f.fire(TimerKind::kDelayedAck, 200, 200);
    f.out(make_segment(kAck, kIss + 101, kIrs + 1, 65535, 10), t, 200);
    CHECK(f.sink.count("timer.spurious-segment") == 1);
  }
}

TEST_CASE("timer.keepalive-*: probes after keepalive_idle, then every keepalive_interval, give-up "
          "after keepalive_probes (RFC 1122 4.2.3.6)",
          "[oracle]") {
  Config cfg = timer_config();
  cfg.keepalive = true;
  cfg.keepalive_idle = Duration::seconds(10);
  cfg.keepalive_interval = Duration::seconds(2);
  cfg.keepalive_probes = 2;
  const Tcb t = Fixture::est(kIss + 101);
  const Segment probe = make_segment(kAck, kIss + 100, kIrs + 1);
  auto keepalive_step = [&](Fixture& f, int64_t ms) {
    f.fire(TimerKind::kKeepalive, ms, ms);
    f.out(probe, t, ms);
    f.set(TimerKind::kKeepalive, ms + 2000, ms);
    f.step_end(t, ms);
  };
  auto heard = [&](Fixture& f, int64_t ms) {
    f.in(make_segment(kAck, kIrs + 1, kIss + 101), t, ms);
    f.set(TimerKind::kKeepalive, ms + 10000, ms);
    f.step_end(t, ms);
  };
  SECTION("idle 10 s, probes 2 s apart, give-up after two: clean") {
    Fixture f(cfg);
    heard(f, 0);
    keepalive_step(f, 10000);
    keepalive_step(f, 12000);
    f.fire(TimerKind::kKeepalive, 14000, 14000);
    f.event(UserEvent::kTimedOut, 14000);
    f.transition(State::kEstablished, State::kClosed, Cause::kKeepaliveTimeout, 14000);
    CHECK(f.sink.all().empty());
  }
  SECTION("a first probe 9.999 s after the peer was heard from") {
    Fixture f(cfg);
    heard(f, 5000);
    f.set(TimerKind::kKeepalive, 14999, 5000);
    keepalive_step(f, 14999);
    CHECK(f.sink.count("timer.keepalive-early") == 1);
  }
  SECTION("a second probe 1 s after the first") {
    Fixture f(cfg);
    heard(f, 0);
    keepalive_step(f, 10000);
    f.set(TimerKind::kKeepalive, 11000, 10000);
    keepalive_step(f, 11000);
    CHECK(f.sink.count("timer.keepalive-early") == 1);
  }
  SECTION("a probe at SND.NXT rather than SND.NXT-1") {
    Fixture f(cfg);
    heard(f, 0);
    f.fire(TimerKind::kKeepalive, 10000, 10000);
    f.out(make_segment(kAck, kIss + 101, kIrs + 1), t, 10000);
    CHECK(f.sink.count("timer.spurious-segment") == 1);
  }
  SECTION("giving up after one probe of two") {
    Fixture f(cfg);
    heard(f, 0);
    keepalive_step(f, 10000);
    f.fire(TimerKind::kKeepalive, 12000, 12000);
    f.event(UserEvent::kTimedOut, 12000);
    f.transition(State::kEstablished, State::kClosed, Cause::kKeepaliveTimeout, 12000);
    CHECK(f.sink.count("timer.keepalive-giveup-early") == 1);
  }
}

TEST_CASE("timer checker: silent on real retransmission runs to give-up, both kinds", "[oracle]") {
  // Endpoint mode, a peer that never answers: SYN retries, then give-up.
  Scenario s;
  s.header.mode = Mode::kEndpoint;
  s.header.config = timer_config();
  Op connect;
  connect.kind = OpKind::kConnect;
  s.ops = {connect};
  AllViolations sink;
  RunResult r = run_with_oracles(s, &sink);
  CHECK(r.quiet);
  INFO(sink.summary());
  CHECK(sink.all().empty());

  // Established, data sent, never acknowledged: data retries, then give-up.
  Scenario d;
  d.header.mode = Mode::kEndpoint;
  d.header.config = timer_config();
  Op sa;
  sa.kind = OpKind::kInject;
  sa.segment.flags = kSyn | kAck;
  sa.segment.ack_base = AckBase::kHostIss;
  sa.segment.ack = 1;
  Op send;
  send.kind = OpKind::kSend;
  send.amount = 5000;
  d.ops = {connect, sa, send};
  AllViolations sink2;
  r = run_with_oracles(d, &sink2);
  CHECK(r.quiet);
  INFO(sink2.summary());
  CHECK(sink2.with_prefix("timer.").empty());
  CHECK(sink2.with_prefix("state.").empty());
  CHECK(sink2.with_prefix("liveness.").empty());
}
