// The state checker, fed by hand: each test breaks one rule and expects its id,
// and a near miss that must stay silent.
#include <catch2/catch.hpp>

#include "harness/transition_catalog.h"
#include "tests/oracle_test_util.h"

using namespace synfin;
using namespace synfin::harness;
using namespace synfin::oracle_test;

namespace {

constexpr int kH = 0;
constexpr ConnId kConn = 1;
const FourTuple kTuple = tuple_of_host(0, 50000, 80);
constexpr Instant kT0 = Instant::from_millis(100);

struct Fixture {
  explicit Fixture(Config cfg = Config{}) : oracle(make_state_checker(context_for(&sink, Mode::kConnection, cfg))) {}
  void created(ConnId id = kConn, ConnId parent = kNoConn) {
    oracle->on_created(kH, id, parent, kTuple, kT0);
  }
  void transition(State from, State to, Cause cause, ConnId id = kConn) {
    oracle->on_transition(kH, id, from, to, cause, kT0);
  }
  void out(const Segment& s, const Tcb& tcb, ConnId id = kConn) {
    oracle->on_segment_out(kH, id, kTuple, s, tcb.snap(), kT0);
  }
  AllViolations sink;
  std::unique_ptr<Oracle> oracle;
};

Tcb tcb_in(State st, uint32_t iss = 1000, uint32_t una = 1001) {
  Tcb t;
  t.state = st;
  t.iss = iss;
  t.snd_una = una;
  t.snd_nxt = una;
  t.snd_max = una;
  return t;
}

}  // namespace

TEST_CASE("state.illegal-transition: an edge outside RFC 9293's diagram", "[oracle]") {
  Fixture f;
  f.created();
  f.transition(State::kClosed, State::kSynSent, Cause::kUserConnect);
  CHECK(f.sink.all().empty());
  // SYN-SENT straight to FIN-WAIT-2: no such edge.
  f.transition(State::kSynSent, State::kFinWait2, Cause::kRecvAck);
  CHECK(f.sink.count("state.illegal-transition") == 1);
  CHECK_FALSE(f.sink.has("state.transition-discontinuity"));
}

TEST_CASE("state.illegal-transition: a real edge with the wrong cause", "[oracle]") {
  Fixture f;
  f.created();
  f.transition(State::kClosed, State::kSynSent, Cause::kUserConnect);
  f.transition(State::kSynSent, State::kEstablished, Cause::kRecvSynAck);
  f.transition(State::kEstablished, State::kFinWait1, Cause::kUserClose);
  CHECK(f.sink.all().empty());
  // FIN-WAIT-1 -> TIME-WAIT needs the FIN with the ACK of ours (kRecvFinAck).
  f.transition(State::kFinWait1, State::kTimeWait, Cause::kRecvAck);
  CHECK(f.sink.count("state.illegal-transition") == 1);
}

TEST_CASE("state.illegal-transition: Config decides RST in TIME-WAIT, new incarnations, in-window SYN",
          "[oracle]") {
  auto to_time_wait = [](Fixture& f) {
    f.created();
    f.transition(State::kClosed, State::kSynSent, Cause::kUserConnect);
    f.transition(State::kSynSent, State::kEstablished, Cause::kRecvSynAck);
    f.transition(State::kEstablished, State::kFinWait1, Cause::kUserClose);
    f.transition(State::kFinWait1, State::kFinWait2, Cause::kRecvAck);
    f.transition(State::kFinWait2, State::kTimeWait, Cause::kRecvFin);
  };
  SECTION("RFC 1337 on: a RST may not end TIME-WAIT") {
    Fixture f;  // rfc1337 = true by default
    to_time_wait(f);
    f.transition(State::kTimeWait, State::kClosed, Cause::kRecvRst);
    CHECK(f.sink.count("state.illegal-transition") == 1);
  }
  SECTION("RFC 1337 off: it may") {
    Config c;
    c.rfc1337 = false;
    Fixture f(c);
    to_time_wait(f);
    f.transition(State::kTimeWait, State::kClosed, Cause::kRecvRst);
    CHECK(f.sink.all().empty());
  }
  SECTION("strict TIME-WAIT policy: no new incarnation") {
    Fixture f;
    to_time_wait(f);
    f.transition(State::kTimeWait, State::kClosed, Cause::kNewIncarnation);
    CHECK(f.sink.count("state.illegal-transition") == 1);
  }
  SECTION("reuse policy: new incarnation allowed") {
    Config c;
    c.time_wait_syn = TimeWaitSynPolicy::kReuseIfSeqGreater;
    Fixture f(c);
    to_time_wait(f);
    f.transition(State::kTimeWait, State::kClosed, Cause::kNewIncarnation);
    CHECK(f.sink.all().empty());
  }
  SECTION("RFC 5961 on: an in-window SYN never resets") {
    Fixture f;
    to_time_wait(f);
    f.transition(State::kTimeWait, State::kClosed, Cause::kRecvSynInWindow);
    CHECK(f.sink.count("state.illegal-transition") == 1);
  }
}

TEST_CASE("state.illegal-transition: SYN-RECEIVED returns to LISTEN only for a passive OPEN",
          "[oracle]") {
  SECTION("passive, RST -> LISTEN: legal") {
    Fixture f;
    f.created(kConn, /*parent=*/7);
    f.transition(State::kListen, State::kSynReceived, Cause::kRecvSyn);
    f.transition(State::kSynReceived, State::kListen, Cause::kRecvRst);
    CHECK(f.sink.all().empty());
  }
  SECTION("passive, RST -> CLOSED: illegal") {
    Fixture f;
    f.created(kConn, 7);
    f.transition(State::kListen, State::kSynReceived, Cause::kRecvSyn);
    f.transition(State::kSynReceived, State::kClosed, Cause::kRecvRst);
    CHECK(f.sink.count("state.illegal-transition") == 1);
  }
  SECTION("active (simultaneous open), RST -> LISTEN: illegal") {
    Fixture f;
    f.created();
    f.transition(State::kClosed, State::kSynSent, Cause::kUserConnect);
    f.transition(State::kSynSent, State::kSynReceived, Cause::kRecvSyn);
    f.transition(State::kSynReceived, State::kListen, Cause::kRecvRst);
    CHECK(f.sink.count("state.illegal-transition") == 1);
  }
  SECTION("active, RST -> CLOSED: legal") {
    Fixture f;
    f.created();
    f.transition(State::kClosed, State::kSynSent, Cause::kUserConnect);
    f.transition(State::kSynSent, State::kSynReceived, Cause::kRecvSyn);
    f.transition(State::kSynReceived, State::kClosed, Cause::kRecvRst);
    CHECK(f.sink.all().empty());
  }
}

TEST_CASE("state checker: every edge of the transition catalogue is legal under permissive Config",
          "[oracle]") {
  Config c;
  c.rfc1337 = false;
  c.rfc5961_syn = false;
  c.time_wait_syn = TimeWaitSynPolicy::kReuseIfSeqGreater;
  ConnId id = 1;
  for (const TransitionKey& e : rfc_transitions()) {
    Fixture f(c);
    // Reach `from` along legal edges: a passive child for SYN-RECEIVED -> LISTEN,
    // an active open otherwise.
    const bool passive = e.from == State::kSynReceived && e.to == State::kListen;
    f.created(id, passive ? 9 : kNoConn);
    State at = passive ? State::kListen : State::kClosed;
    auto go = [&](State to, Cause cause) {
      f.transition(at, to, cause, id);
      at = to;
    };
    switch (e.from) {
      case State::kClosed: break;
      case State::kListen: go(State::kListen, Cause::kUserListen); break;
      case State::kSynSent: go(State::kSynSent, Cause::kUserConnect); break;
      case State::kSynReceived:
        if (passive) {
          go(State::kSynReceived, Cause::kRecvSyn);
        } else {
          go(State::kSynSent, Cause::kUserConnect);
          go(State::kSynReceived, Cause::kRecvSyn);
        }
        break;
      case State::kEstablished:
      case State::kFinWait1:
      case State::kFinWait2:
      case State::kCloseWait:
      case State::kClosing:
      case State::kLastAck:
      case State::kTimeWait:
        go(State::kSynSent, Cause::kUserConnect);
        go(State::kEstablished, Cause::kRecvSynAck);
        if (e.from == State::kEstablished) break;
        if (e.from == State::kCloseWait || e.from == State::kLastAck) {
          go(State::kCloseWait, Cause::kRecvFin);
          if (e.from == State::kLastAck) go(State::kLastAck, Cause::kUserClose);
          break;
        }
        go(State::kFinWait1, Cause::kUserClose);
        if (e.from == State::kFinWait2) go(State::kFinWait2, Cause::kRecvAck);
        if (e.from == State::kClosing) go(State::kClosing, Cause::kRecvFin);
        if (e.from == State::kTimeWait) go(State::kTimeWait, Cause::kRecvFinAck);
        break;
    }
    REQUIRE(at == e.from);
    go(e.to, e.cause);
    INFO(to_string(e.from) << " -> " << to_string(e.to) << " (" << to_string(e.cause) << ")\n"
                           << f.sink.summary());
    CHECK(f.sink.all().empty());
  }
}

TEST_CASE("state.transition-discontinuity: from is not where the last transition left it",
          "[oracle]") {
  Fixture f;
  f.created();
  f.transition(State::kClosed, State::kSynSent, Cause::kUserConnect);
  // The connection is in SYN-SENT; a transition claiming to leave LISTEN is wrong.
  f.transition(State::kListen, State::kSynSent, Cause::kUserSend);
  CHECK(f.sink.count("state.transition-discontinuity") == 1);
}

TEST_CASE("state.transition-discontinuity: a listener's child starts in LISTEN, others in CLOSED",
          "[oracle]") {
  SECTION("child in LISTEN: fine") {
    Fixture f;
    f.created(kConn, 3);
    f.transition(State::kListen, State::kSynReceived, Cause::kRecvSyn);
    CHECK(f.sink.all().empty());
  }
  SECTION("an app connection does not start in LISTEN") {
    Fixture f;
    f.created(kConn, kNoConn);
    f.transition(State::kListen, State::kSynReceived, Cause::kRecvSyn);
    CHECK(f.sink.count("state.transition-discontinuity") == 1);
  }
  SECTION("a transition for a connection never created") {
    Fixture f;
    f.transition(State::kClosed, State::kSynSent, Cause::kUserConnect, 42);
    CHECK(f.sink.count("state.transition-discontinuity") == 1);
  }
}

TEST_CASE("state.syn-from-state: SYN only in SYN-SENT, SYN-RECEIVED, or FIN-WAIT-1 with SYN unacked",
          "[oracle]") {
  const Segment syn = make_segment(kSyn, 1000);
  const Segment synack = make_segment(kSyn | kAck, 1000, 5001);
  Fixture f;
  f.created();
  f.out(syn, tcb_in(State::kSynSent, 1000, 1000));
  f.out(synack, tcb_in(State::kSynReceived, 1000, 1000));
  // Closed in SYN-RECEIVED: the SYN-ACK goes out again while SND.UNA = ISS.
  f.out(synack, tcb_in(State::kFinWait1, 1000, 1000));
  CHECK(f.sink.all().empty());
  // Once our SYN is acknowledged, FIN-WAIT-1 sends no SYN.
  f.out(synack, tcb_in(State::kFinWait1, 1000, 1001));
  CHECK(f.sink.count("state.syn-from-state") == 1);

  Fixture g;
  g.created();
  g.out(synack, tcb_in(State::kEstablished));
  CHECK(g.sink.count("state.syn-from-state") == 1);
}

TEST_CASE("state.data-from-state: payload only in the states that may send data", "[oracle]") {
  const Segment data = make_segment(kAck, 1001, 5001, 65535, 10);
  Fixture f;
  f.created();
  for (State s : {State::kEstablished, State::kFinWait1, State::kCloseWait, State::kClosing,
                  State::kLastAck}) {
    f.out(data, tcb_in(s));
  }
  CHECK(f.sink.all().empty());
  f.out(data, tcb_in(State::kSynReceived));
  CHECK(f.sink.count("state.data-from-state") == 1);

  Fixture g;
  g.created();
  g.out(data, tcb_in(State::kFinWait2));
  CHECK(g.sink.count("state.data-from-state") == 1);
}

TEST_CASE("state.timewait-sent-non-ack: TIME-WAIT sends only pure ACKs and RSTs", "[oracle]") {
  Fixture f;
  f.created();
  f.out(make_segment(kAck, 2000, 5001), tcb_in(State::kTimeWait));
  f.out(make_segment(kRst, 2000), tcb_in(State::kTimeWait));
  CHECK(f.sink.all().empty());
  f.out(make_segment(kFin | kAck, 1999, 5001), tcb_in(State::kTimeWait));
  CHECK(f.sink.count("state.timewait-sent-non-ack") == 1);
}

TEST_CASE("state.fin-without-closing-state: a FIN only from FIN-WAIT-1, CLOSING, LAST-ACK",
          "[oracle]") {
  Fixture f;
  f.created();
  f.out(make_segment(kFin | kAck, 1001, 5001), tcb_in(State::kFinWait1));
  f.out(make_segment(kFin | kAck, 1001, 5001), tcb_in(State::kClosing));
  f.out(make_segment(kFin | kAck, 1001, 5001), tcb_in(State::kLastAck));
  CHECK(f.sink.all().empty());
  f.out(make_segment(kFin | kAck, 1001, 5001), tcb_in(State::kEstablished));
  CHECK(f.sink.count("state.fin-without-closing-state") == 1);
}

TEST_CASE("state.data-after-fin: no data beyond our FIN, and the FIN never moves", "[oracle]") {
  SECTION("data past the FIN") {
    Fixture f;
    f.created();
    f.out(make_segment(kAck, 1001, 5001, 65535, 100), tcb_in(State::kEstablished));
    f.out(make_segment(kFin | kAck, 1101, 5001), tcb_in(State::kFinWait1));
    // A retransmission of the data and the FIN: fine.
    f.out(make_segment(kFin | kAck, 1001, 5001, 65535, 100), tcb_in(State::kFinWait1));
    CHECK(f.sink.all().empty());
    f.out(make_segment(kAck, 1101, 5001, 65535, 5), tcb_in(State::kFinWait1));
    CHECK(f.sink.count("state.data-after-fin") == 1);
  }
  SECTION("the FIN moves") {
    Fixture f;
    f.created();
    f.out(make_segment(kFin | kAck, 1101, 5001), tcb_in(State::kFinWait1));
    f.out(make_segment(kFin | kAck, 1102, 5001), tcb_in(State::kFinWait1));
    CHECK(f.sink.count("state.data-after-fin") == 1);
  }
  SECTION("a FIN placed before data already sent") {
    Fixture f;
    f.created();
    f.out(make_segment(kAck, 1001, 5001, 65535, 100), tcb_in(State::kEstablished));
    f.out(make_segment(kFin | kAck, 1050, 5001), tcb_in(State::kFinWait1));
    CHECK(f.sink.count("state.data-after-fin") == 1);
  }
}
