// RFC 9293 Figure 5 and the event processing of section 3.10, edge by edge.
//
// Each scenario below drives one host through real segments and user calls
// (never by setting fields), asserts the RFC trace on the way, and returns the
// (from, to, cause) edges its RecordingObserver saw. Each TEST_CASE checks one
// scenario; the last TEST_CASE runs them all and checks that together they cover
// every edge of the diagram, and that no edge outside it was taken.
#include <catch2/catch.hpp>

#include <functional>
#include <string>
#include <vector>

#include "tests/recording_observer.h"
#include "tests/rfc_endpoint.h"

using namespace synfin;
using namespace synfin::testing;

namespace {

// Every scenario ends here: the transitions must chain, and the edges are returned.
EdgeSet edges_of(const RfcEndpoint& t) {
  INFO("transitions:" << t.recorder.transcript());
  for (const std::string& e : t.recorder.continuity_errors()) FAIL_CHECK(e);
  return t.recorder.edges();
}

bool has(const EdgeSet& s, State from, State to, Cause cause) {
  return s.contains(Edge{from, to, cause});
}

// ---------------------------------------------------------------------------
// Opening.

// 3.10.1 OPEN, passive: CLOSED -> LISTEN. 3.10.4 CLOSE in LISTEN: "Any outstanding
// RECEIVEs are returned with 'error: closing' responses. Delete TCB, enter CLOSED
// state, and return."
EdgeSet listen_then_close() {
  RfcEndpoint t;
  t.reach(State::kListen);
  REQUIRE(t.host().close(t.now(), t.listener()).ok());
  t.expect_nothing();
  CHECK(names(t.recorder.path(t.listener())) ==
        names({State::kClosed, State::kListen, State::kClosed}));
  CHECK(t.host().connection_count() == 0);
  // The port has no TCB any more: a SYN is answered as in 3.10.7.1.
  t.deliver({.seq = kIrs, .flags = kSyn});
  t.expect_tx({{.seq = 0, .ack = kIrs + 1, .flags = kRst | kAck}});
  return edges_of(t);
}

// 3.10.7.2 LISTEN, SYN: "<SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> ... The connection
// state should be changed to SYN-RECEIVED." 3.10.7.4 fifth, SYN-RECEIVED: "If
// SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED state".
EdgeSet passive_open() {
  RfcEndpoint t;
  t.syn_received_passive();
  const ConnId child = t.sock();
  t.deliver({.seq = kIrs + 1, .ack = kIss + 1, .flags = kAck});
  t.expect_nothing();
  CHECK(t.state() == State::kEstablished);
  CHECK(names(t.recorder.path(child)) ==
        names({State::kListen, State::kSynReceived, State::kEstablished}));
  CHECK(t.recorder.events_of(child) == std::vector<UserEvent>{UserEvent::kConnected});
  // Established, it is queued for accept.
  auto accepted = t.host().accept(t.listener());
  REQUIRE(accepted.ok());
  CHECK(*accepted == std::optional<SocketId>(child));
  return edges_of(t);
}

// 3.10.1 OPEN, active: "A SYN segment of the form <SEQ=ISS><CTL=SYN> is sent ...
// Enter SYN-SENT state." 3.10.7.3: "If SND.UNA > ISS (our SYN has been ACKed),
// change the connection state to ESTABLISHED, form an ACK segment
// <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and send it."
EdgeSet active_open() {
  RfcEndpoint t;
  t.syn_sent();
  t.deliver({.seq = kIrs, .ack = kIss + 1, .flags = kSyn | kAck, .mss = 1460});
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck}});
  CHECK(t.state() == State::kEstablished);
  CHECK(names(t.recorder.path(t.sock())) ==
        names({State::kClosed, State::kSynSent, State::kEstablished}));
  CHECK(t.recorder.events_of(t.sock()) == std::vector<UserEvent>{UserEvent::kConnected});
  return edges_of(t);
}

// 3.10.2 SEND in LISTEN: "If the foreign socket is specified, then change the
// connection from passive to active, select an ISS. Send a SYN segment, set
// SND.UNA to ISS, SND.NXT to ISS+1. Enter SYN-SENT state."
EdgeSet send_on_listener() {
  RfcEndpoint t;
  t.reach(State::kListen);
  REQUIRE(t.host()
              .connect_from_listener(t.now(), t.listener(), EndpointFixture::peer_address(),
                                     kRemotePort)
              .ok());
  t.expect_tx({{.seq = kIss, .flags = kSyn, .mss = 1460}});
  CHECK(t.state() == State::kSynSent);
  CHECK(t.tcb().snd_una == SeqNum(kIss));
  CHECK(t.tcb().snd_nxt == SeqNum(kIss + 1));
  t.deliver({.seq = kIrs, .ack = kIss + 1, .flags = kSyn | kAck, .mss = 1460});
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck}});
  CHECK(t.state() == State::kEstablished);
  CHECK(names(t.recorder.path(t.listener())) ==
        names({State::kClosed, State::kListen, State::kSynSent, State::kEstablished}));
  return edges_of(t);
}

// 3.10.7.3 SYN-SENT, fourth: "Otherwise, enter SYN-RECEIVED, form a SYN,ACK
// segment <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> and send it." (Figure 8,
// simultaneous open), then the peer's acknowledgment of our SYN: ESTABLISHED.
EdgeSet simultaneous_open() {
  RfcEndpoint t;
  t.syn_received_active();  // asserts <SEQ=ISS><ACK=IRS+1><CTL=SYN,ACK>
  CHECK(t.tcb().snd_nxt == SeqNum(kIss + 1));
  CHECK(t.tcb().rcv_nxt == SeqNum(kIrs + 1));
  // Figure 8 line 6: the peer's own SYN,ACK. Its SYN lies left of RCV.NXT, so by
  // the acceptability test of 3.10.7.4 the segment may only earn an ACK; taking it
  // as the ACK of our SYN (as the figure draws it) is as good. Either way nothing
  // but <SEQ=ISS+1><ACK=IRS+1><CTL=ACK> may go out.
  t.deliver({.seq = kIrs, .ack = kIss + 1, .flags = kSyn | kAck, .mss = 1460});
  for (const Segment& s : t.take_tx()) {
    INFO(describe(s));
    CHECK(matches(s, {.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck}));
  }
  CHECK((t.state() == State::kSynReceived || t.state() == State::kEstablished));
  // The peer's plain ACK of our SYN settles it.
  t.deliver({.seq = kIrs + 1, .ack = kIss + 1, .flags = kAck});
  t.expect_nothing();
  CHECK(t.state() == State::kEstablished);
  CHECK(names(t.recorder.path(t.sock())) ==
        names({State::kClosed, State::kSynSent, State::kSynReceived, State::kEstablished}));
  return edges_of(t);
}

// ---------------------------------------------------------------------------
// SYN-SENT -> CLOSED, three ways.

// 3.10.4 CLOSE, SYN-SENT: "Delete the TCB and return 'error: closing' responses
// to any queued SENDs, or RECEIVEs." Nothing is sent.
EdgeSet close_in_syn_sent() {
  RfcEndpoint t;
  t.syn_sent();
  REQUIRE(t.host().shutdown(t.now(), t.sock()).ok());
  t.expect_nothing();
  CHECK(t.tcb_freed());
  CHECK(t.host().armed_timer_count() == 0);
  // The SYN,ACK that was on its way now meets no TCB (3.10.7.1, ACK on).
  t.deliver({.seq = kIrs, .ack = kIss + 1, .flags = kSyn | kAck});
  t.expect_tx({{.seq = kIss + 1, .flags = kRst}});
  return edges_of(t);
}

// 3.10.7.3 SYN-SENT, second: "If the ACK was acceptable, then signal to the user
// 'error: connection reset', drop the segment, enter CLOSED state, delete TCB".
EdgeSet reset_in_syn_sent() {
  RfcEndpoint t;
  t.syn_sent();
  t.deliver({.seq = 0, .ack = kIss + 1, .flags = kRst | kAck});
  t.expect_nothing();
  CHECK(t.tcb_freed());
  CHECK(t.final_reason() == CloseReason::kRefused);
  CHECK(t.recorder.events_of(t.sock()) == std::vector<UserEvent>{UserEvent::kRefused});
  return edges_of(t);
}

// RFC 1122 4.2.3.5 / RFC 9293 3.8.3: after R2 retransmissions of the SYN the
// connection is closed and the user told.
EdgeSet syn_sent_gives_up() {
  Config cfg;
  cfg.syn_retries = 2;
  RfcEndpoint t(cfg);
  t.syn_sent();  // t = 0
  CHECK(t.advance_to_next_deadline() == Instant::from_millis(1000));
  t.expect_tx({{.seq = kIss, .flags = kSyn}});
  CHECK(t.advance_to_next_deadline() == Instant::from_millis(3000));
  t.expect_tx({{.seq = kIss, .flags = kSyn}});
  CHECK(t.advance_to_next_deadline() == Instant::from_millis(7000));
  t.expect_nothing();
  CHECK(t.tcb_freed());
  CHECK(t.final_reason() == CloseReason::kTimedOut);
  CHECK(t.recorder.events_of(t.sock()) == std::vector<UserEvent>{UserEvent::kTimedOut});
  return edges_of(t);
}

// ---------------------------------------------------------------------------
// SYN-RECEIVED.

// 3.10.4 CLOSE, SYN-RECEIVED: "enter FIN-WAIT-1 state". The connection is an
// active open that met the peer's SYN (a passive child cannot be closed before it
// is accepted). The FIN follows our SYN in sequence space: <SEQ=ISS+1>.
EdgeSet close_in_syn_received() {
  RfcEndpoint t;
  t.syn_received_active();
  REQUIRE(t.host().shutdown(t.now(), t.sock()).ok());
  CHECK(t.state() == State::kFinWait1);
  std::vector<Segment> sent = t.take_tx();
  // The peer acknowledges our SYN: the FIN goes out now if it had not already.
  t.deliver({.seq = kIrs + 1, .ack = kIss + 1, .flags = kAck});
  for (Segment& s : t.take_tx()) sent.push_back(std::move(s));
  REQUIRE(sent.size() == 1);
  CHECK(matches(sent[0], {.seq = kIss + 1, .ack = kIrs + 1, .flags = kFin | kAck}));
  CHECK(t.state() == State::kFinWait1);
  t.deliver({.seq = kIrs + 1, .ack = kIss + 2, .flags = kAck});
  t.expect_nothing();
  CHECK(t.state() == State::kFinWait2);
  CHECK(names(t.recorder.path(t.sock())) ==
        names({State::kClosed, State::kSynSent, State::kSynReceived, State::kFinWait1,
               State::kFinWait2}));
  return edges_of(t);
}

// 3.10.7.4 second, SYN-RECEIVED: "If this connection was initiated with a
// passive OPEN (i.e., came from the LISTEN state), then return this connection to
// LISTEN state and return. The user need not be informed."
EdgeSet reset_in_passive_syn_received() {
  RfcEndpoint t;
  t.syn_received_passive();
  const ConnId child = t.sock();
  t.deliver({.seq = kIrs + 1, .flags = kRst});
  t.expect_nothing();
  CHECK(names(t.recorder.path(child)) ==
        names({State::kListen, State::kSynReceived, State::kListen}));
  CHECK(t.recorder.events_of(child).empty());
  CHECK(t.recorder.was_released(child));
  CHECK(t.host().connection_count() == 1);  // the listener alone
  auto none = t.host().accept(t.listener());
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
  // The listener still listens: a new SYN is answered.
  t.deliver({.seq = kIrs + 7, .flags = kSyn});
  t.expect_tx({{.seq = kIss, .ack = kIrs + 8, .flags = kSyn | kAck}});
  return edges_of(t);
}

// 3.10.7.4 fourth, SYN-RECEIVED: "If the connection was initiated with a passive
// OPEN, then return this connection to the LISTEN state and return."
EdgeSet syn_in_passive_syn_received() {
  RfcEndpoint t;
  t.syn_received_passive();
  const ConnId child = t.sock();
  t.deliver({.seq = kIrs + 100, .flags = kSyn});  // in the window, not the SYN we answered
  t.expect_nothing();
  CHECK(names(t.recorder.path(child)) ==
        names({State::kListen, State::kSynReceived, State::kListen}));
  CHECK(t.recorder.was_released(child));
  CHECK(t.host().connection_count() == 1);
  return edges_of(t);
}

// 3.10.7.4 second, SYN-RECEIVED: "If this connection was initiated with an active
// OPEN (i.e., came from SYN-SENT state), then the connection was refused; signal
// the user 'connection refused'. ... enter the CLOSED state and delete the TCB".
EdgeSet reset_in_active_syn_received() {
  RfcEndpoint t;
  t.syn_received_active();
  t.deliver({.seq = kIrs + 1, .flags = kRst});
  t.expect_nothing();
  CHECK(t.tcb_freed());
  CHECK(t.final_reason() == CloseReason::kRefused);
  CHECK(t.recorder.events_of(t.sock()) == std::vector<UserEvent>{UserEvent::kRefused});
  return edges_of(t);
}

// ---------------------------------------------------------------------------
// Closing.

// Active close: ESTABLISHED -CLOSE/snd FIN-> FIN-WAIT-1 -rcv ACK of FIN-> FIN-WAIT-2
// -rcv FIN/snd ACK-> TIME-WAIT -Timeout=2MSL-> CLOSED.
EdgeSet active_close() {
  RfcEndpoint t;
  t.time_wait();
  const Instant entered = t.now();
  CHECK(t.advance_to_next_deadline() == entered + t.config().msl * 2);
  t.expect_nothing();
  CHECK(t.tcb_freed());
  CHECK(t.final_reason() == CloseReason::kNormal);
  CHECK(names(t.recorder.path(t.sock())) ==
        names({State::kClosed, State::kSynSent, State::kEstablished, State::kFinWait1,
               State::kFinWait2, State::kTimeWait, State::kClosed}));
  return edges_of(t);
}

// Passive close: ESTABLISHED -rcv FIN/snd ACK-> CLOSE-WAIT -CLOSE/snd FIN-> LAST-ACK
// -rcv ACK of FIN-> CLOSED.
EdgeSet passive_close() {
  RfcEndpoint t;
  t.last_ack(Open::kPassive);
  t.deliver({.seq = kIrs + 2, .ack = kIss + 2, .flags = kAck});
  t.expect_nothing();
  CHECK(t.tcb_freed());
  CHECK(t.final_reason() == CloseReason::kNormal);
  CHECK(names(t.recorder.path(t.sock())) ==
        names({State::kListen, State::kSynReceived, State::kEstablished, State::kCloseWait,
               State::kLastAck, State::kClosed}));
  return edges_of(t);
}

// Simultaneous close (Figure 13): FIN-WAIT-1 -rcv FIN/snd ACK-> CLOSING -rcv ACK
// of FIN-> TIME-WAIT.
EdgeSet simultaneous_close() {
  RfcEndpoint t;
  t.closing();
  t.deliver({.seq = kIrs + 2, .ack = kIss + 2, .flags = kAck});
  t.expect_nothing();
  CHECK(t.state() == State::kTimeWait);
  CHECK(t.conn().timer(TimerKind::kTimeWait) == t.now() + t.config().msl * 2);
  CHECK(names(t.recorder.path(t.sock())) ==
        names({State::kClosed, State::kSynSent, State::kEstablished, State::kFinWait1,
               State::kClosing, State::kTimeWait}));
  return edges_of(t);
}

// 3.10.7.4 eighth, FIN-WAIT-1: "If our FIN has been ACKed (perhaps in this
// segment), then enter TIME-WAIT, start the time-wait timer, turn off the other
// timers; otherwise, enter the CLOSING state." One segment, FIN and the ACK of
// our FIN: straight to TIME-WAIT, never through FIN-WAIT-2.
EdgeSet fin_and_ack_together() {
  RfcEndpoint t;
  t.fin_wait_1();
  t.deliver({.seq = kIrs + 1, .ack = kIss + 2, .flags = kFin | kAck});
  t.expect_tx({{.seq = kIss + 2, .ack = kIrs + 2, .flags = kAck}});
  CHECK(t.state() == State::kTimeWait);
  CHECK(names(t.recorder.path(t.sock())) ==
        names({State::kClosed, State::kSynSent, State::kEstablished, State::kFinWait1,
               State::kTimeWait}));
  CHECK_FALSE(t.recorder.saw(State::kFinWait1, State::kFinWait2, Cause::kRecvAck));
  CHECK_FALSE(t.conn().timer(TimerKind::kRetransmit).has_value());
  CHECK(t.conn().timer(TimerKind::kTimeWait) == t.now() + t.config().msl * 2);
  return edges_of(t);
}

// ---------------------------------------------------------------------------
// ABORT (3.10.5) from every state, and RST (3.10.7.4 second) from every
// synchronized state.

struct AbortRow {
  State state;
  size_t send_first;  // bytes the app sends before aborting
  bool sends_rst;
  uint32_t rst_seq;  // SND.NXT
};

// 3.10.5: SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT: "Send a
// reset segment: <SEQ=SND.NXT><CTL=RST>". LISTEN, SYN-SENT, CLOSING, LAST-ACK,
// TIME-WAIT: no reset; "delete the TCB, enter CLOSED state, and return".
// In SYN-RECEIVED the app's data waits for ESTABLISHED, so SND.NXT is ISS+1.
const std::vector<AbortRow> kAbortTable = {
    {State::kListen, 0, false, 0},
    {State::kSynSent, 0, false, 0},
    {State::kSynReceived, 100, true, kIss + 1},
    {State::kEstablished, 100, true, kIss + 1 + 100},
    {State::kFinWait1, 0, true, kIss + 2},
    {State::kFinWait2, 0, true, kIss + 2},
    {State::kCloseWait, 100, true, kIss + 1 + 100},
    {State::kClosing, 0, false, 0},
    {State::kLastAck, 0, false, 0},
    {State::kTimeWait, 0, false, 0},
};

EdgeSet abort_from(const AbortRow& row) {
  INFO("ABORT in " << to_string(row.state));
  RfcEndpoint t;
  t.reach(row.state);
  const ConnId id = t.sock();
  if (row.send_first > 0) {
    auto n = t.host().send(t.now(), id, pattern(0, row.send_first));
    REQUIRE(n.ok());
    REQUIRE(*n == row.send_first);
    (void)t.take_tx();
  }
  REQUIRE(t.host().abort(t.now(), id).ok());
  if (row.sends_rst) {
    t.expect_tx({{.seq = row.rst_seq, .flags = kRst}});
  } else {
    t.expect_nothing();
  }
  CHECK(t.host().connection(id) == nullptr);
  CHECK(t.host().connection_count() == 0);
  CHECK(t.host().armed_timer_count() == 0);
  CHECK(t.recorder.path(id).back() == State::kClosed);
  return edges_of(t);
}

struct RstRow {
  State state;
  uint32_t rcv_nxt;
  bool user_told_reset;  // "Users should also receive ... 'connection reset'"
};

// RST with SEG.SEQ = RCV.NXT (acceptable under RFC 5961 too). RFC 1337 is off so
// that TIME-WAIT takes it.
const std::vector<RstRow> kRstTable = {
    {State::kEstablished, kIrs + 1, true}, {State::kFinWait1, kIrs + 1, true},
    {State::kFinWait2, kIrs + 1, true},    {State::kCloseWait, kIrs + 2, true},
    {State::kClosing, kIrs + 2, false},    {State::kLastAck, kIrs + 2, false},
    {State::kTimeWait, kIrs + 2, false},
};

EdgeSet reset_from(const RstRow& row) {
  INFO("RST in " << to_string(row.state));
  Config cfg;
  cfg.rfc1337 = false;
  RfcEndpoint t(cfg);
  t.reach(row.state);
  REQUIRE(t.tcb().rcv_nxt == SeqNum(row.rcv_nxt));
  t.deliver({.seq = row.rcv_nxt, .flags = kRst});
  t.expect_nothing();  // a RST is never answered
  CHECK(t.tcb_freed());
  CHECK(t.host().armed_timer_count() == 0);
  if (row.user_told_reset) {
    CHECK(t.final_reason() == CloseReason::kReset);
    const auto ev = t.recorder.events_of(t.sock());
    REQUIRE_FALSE(ev.empty());
    CHECK(ev.back() == UserEvent::kReset);
  }
  return edges_of(t);
}

// ---------------------------------------------------------------------------
// Edges beyond Figure 5 that the stack takes, each for a documented reason.

// RFC 1122 4.2.2.13 (Config::time_wait_syn = kReuseIfSeqGreater): a SYN above
// RCV.NXT reopens the 4-tuple from TIME-WAIT; once the new incarnation is
// established the old TCB is gone.
EdgeSet time_wait_new_incarnation() {
  Config cfg;
  cfg.time_wait_syn = TimeWaitSynPolicy::kReuseIfSeqGreater;
  RfcEndpoint t(cfg);
  t.time_wait(Open::kPassive);
  const ConnId old = t.sock();
  t.deliver({.seq = kIrs + 100000, .flags = kSyn});
  std::vector<Segment> out = t.take_tx();
  REQUIRE(out.size() == 1);
  CHECK(matches(out[0], {.ack = kIrs + 100001, .flags = kSyn | kAck}));
  const Connection* fresh = t.by_tuple();
  REQUIRE(fresh != nullptr);
  const ConnId fresh_id = fresh->id();
  CHECK(fresh_id != old);
  CHECK(fresh->state() == State::kSynReceived);
  t.deliver({.seq = kIrs + 100001, .ack = out[0].seq.raw + 1, .flags = kAck});
  t.expect_nothing();
  CHECK(t.host().connection(old) == nullptr);
  CHECK(t.recorder.path(old).back() == State::kClosed);
  CHECK(t.recorder.was_released(old));
  auto acc = t.host().accept(t.listener());
  REQUIRE(acc.ok());
  CHECK(*acc == std::optional<SocketId>(fresh_id));
  CHECK(t.host().connection(fresh_id)->state() == State::kEstablished);
  return edges_of(t);
}

// RFC 793 behaviour (Config::rfc5961_syn = false): "If the SYN is in the window it
// is an error, send a reset ... enter the CLOSED state, delete the TCB".
EdgeSet syn_in_window_resets() {
  Config cfg;
  cfg.rfc5961_syn = false;
  RfcEndpoint t(cfg);
  t.established(Open::kActive);
  t.deliver({.seq = kIrs + 10, .flags = kSyn});
  t.expect_tx({{.seq = 0, .ack = kIrs + 11, .flags = kRst | kAck}});
  CHECK(t.tcb_freed());
  CHECK(t.final_reason() == CloseReason::kReset);
  return edges_of(t);
}

// RFC 1122 4.2.3.5: data retransmitted R2 times without an ACK ends the connection.
EdgeSet data_retransmission_gives_up() {
  Config cfg;
  cfg.data_retries = 1;
  RfcEndpoint t(cfg);
  t.established(Open::kActive);
  REQUIRE(t.host().send(t.now(), t.sock(), pattern(0, 10)).ok());
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck | kPsh, .len = 10}});
  t.advance_to_next_deadline();
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck | kPsh, .len = 10}});
  t.advance_to_next_deadline();
  CHECK(t.tcb_freed());
  CHECK(t.final_reason() == CloseReason::kTimedOut);
  return edges_of(t);
}

}  // namespace

// ---------------------------------------------------------------------------

TEST_CASE("3.10.1/3.10.4: OPEN passive enters LISTEN; CLOSE in LISTEN deletes the TCB",
          "[rfc9293][state-diagram][listen]") {
  const EdgeSet e = listen_then_close();
  CHECK(has(e, State::kClosed, State::kListen, Cause::kUserListen));
  CHECK(has(e, State::kListen, State::kClosed, Cause::kUserClose));
}

TEST_CASE("3.10.7.2: LISTEN, rcv SYN, snd SYN,ACK -> SYN-RECEIVED; rcv ACK of SYN -> ESTABLISHED",
          "[rfc9293][state-diagram][handshake]") {
  const EdgeSet e = passive_open();
  CHECK(has(e, State::kListen, State::kSynReceived, Cause::kRecvSyn));
  CHECK(has(e, State::kSynReceived, State::kEstablished, Cause::kRecvAck));
}

TEST_CASE("3.10.1/3.10.7.3: OPEN active, snd SYN -> SYN-SENT; rcv SYN,ACK, snd ACK -> ESTABLISHED",
          "[rfc9293][state-diagram][handshake]") {
  const EdgeSet e = active_open();
  CHECK(has(e, State::kClosed, State::kSynSent, Cause::kUserConnect));
  CHECK(has(e, State::kSynSent, State::kEstablished, Cause::kRecvSynAck));
}

TEST_CASE("3.10.2: SEND on a LISTEN TCB with the foreign socket given -> SYN-SENT",
          "[rfc9293][state-diagram][handshake]") {
  const EdgeSet e = send_on_listener();
  CHECK(has(e, State::kListen, State::kSynSent, Cause::kUserSend));
}

TEST_CASE(
    "3.10.7.3: simultaneous open, SYN-SENT rcv SYN -> SYN-RECEIVED with <SEQ=ISS><ACK=RCV.NXT>",
    "[rfc9293][state-diagram][handshake]") {
  const EdgeSet e = simultaneous_open();
  CHECK(has(e, State::kSynSent, State::kSynReceived, Cause::kRecvSyn));
  CHECK(has(e, State::kSynReceived, State::kEstablished, Cause::kRecvAck));
}

TEST_CASE("3.10.4: CLOSE in SYN-SENT deletes the TCB and sends nothing",
          "[rfc9293][state-diagram][close]") {
  CHECK(has(close_in_syn_sent(), State::kSynSent, State::kClosed, Cause::kUserClose));
}

TEST_CASE("3.10.7.3: RST with an acceptable ACK in SYN-SENT -> CLOSED, 'connection refused'",
          "[rfc9293][state-diagram][rst]") {
  CHECK(has(reset_in_syn_sent(), State::kSynSent, State::kClosed, Cause::kRecvRst));
}

TEST_CASE("RFC 1122 4.2.3.5: SYN retransmitted syn_retries times, then CLOSED and 'timed out'",
          "[rfc9293][state-diagram][timers]") {
  CHECK(has(syn_sent_gives_up(), State::kSynSent, State::kClosed, Cause::kRetransmitGiveUp));
}

TEST_CASE("3.10.4: CLOSE in SYN-RECEIVED -> FIN-WAIT-1; the FIN follows our SYN at ISS+1",
          "[rfc9293][state-diagram][close]") {
  const EdgeSet e = close_in_syn_received();
  CHECK(has(e, State::kSynReceived, State::kFinWait1, Cause::kUserClose));
  CHECK(has(e, State::kFinWait1, State::kFinWait2, Cause::kRecvAck));
}

TEST_CASE("3.10.4: CLOSE in SYN-RECEIVED with nothing queued forms a FIN and sends it",
          "[rfc9293][close][bug-fixed]") {
  // "SYN-RECEIVED STATE: If no SENDs have been issued and there is no pending data
  // to send, then form a FIN segment and send it, and enter FIN-WAIT-1 state;
  // otherwise, queue for processing after entering ESTABLISHED state."
  RfcEndpoint t;
  t.syn_received_active();
  REQUIRE(t.host().shutdown(t.now(), t.sock()).ok());
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kFin | kAck}});
  CHECK(t.state() == State::kFinWait1);
}

TEST_CASE("3.10.7.4: RST in SYN-RECEIVED from a passive OPEN returns it to LISTEN",
          "[rfc9293][state-diagram][rst]") {
  CHECK(has(reset_in_passive_syn_received(), State::kSynReceived, State::kListen, Cause::kRecvRst));
}

TEST_CASE("3.10.7.4: in-window SYN in SYN-RECEIVED from a passive OPEN returns it to LISTEN",
          "[rfc9293][state-diagram][syn]") {
  CHECK(has(syn_in_passive_syn_received(), State::kSynReceived, State::kListen,
            Cause::kRecvSynInWindow));
}

TEST_CASE("3.10.7.4: RST in SYN-RECEIVED from an active OPEN -> CLOSED, 'connection refused'",
          "[rfc9293][state-diagram][rst]") {
  CHECK(has(reset_in_active_syn_received(), State::kSynReceived, State::kClosed, Cause::kRecvRst));
}

TEST_CASE("active close: FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT, then CLOSED after 2 MSL",
          "[rfc9293][state-diagram][close]") {
  const EdgeSet e = active_close();
  CHECK(has(e, State::kEstablished, State::kFinWait1, Cause::kUserClose));
  CHECK(has(e, State::kFinWait1, State::kFinWait2, Cause::kRecvAck));
  CHECK(has(e, State::kFinWait2, State::kTimeWait, Cause::kRecvFin));
  CHECK(has(e, State::kTimeWait, State::kClosed, Cause::kTimeWaitExpired));
}

TEST_CASE("passive close: CLOSE-WAIT, LAST-ACK, then CLOSED on the ACK of our FIN",
          "[rfc9293][state-diagram][close]") {
  const EdgeSet e = passive_close();
  CHECK(has(e, State::kEstablished, State::kCloseWait, Cause::kRecvFin));
  CHECK(has(e, State::kCloseWait, State::kLastAck, Cause::kUserClose));
  CHECK(has(e, State::kLastAck, State::kClosed, Cause::kRecvAck));
}

TEST_CASE("simultaneous close: FIN-WAIT-1 rcv FIN -> CLOSING; rcv ACK of FIN -> TIME-WAIT",
          "[rfc9293][state-diagram][close]") {
  const EdgeSet e = simultaneous_close();
  CHECK(has(e, State::kFinWait1, State::kClosing, Cause::kRecvFin));
  CHECK(has(e, State::kClosing, State::kTimeWait, Cause::kRecvAck));
}

TEST_CASE("3.10.7.4: FIN-WAIT-1 rcv FIN with the ACK of our FIN -> TIME-WAIT, no FIN-WAIT-2",
          "[rfc9293][state-diagram][close]") {
  const EdgeSet e = fin_and_ack_together();
  CHECK(has(e, State::kFinWait1, State::kTimeWait, Cause::kRecvFinAck));
  CHECK_FALSE(has(e, State::kFinWait1, State::kFinWait2, Cause::kRecvAck));
}

TEST_CASE(
    "3.10.5: ABORT -> CLOSED; <SEQ=SND.NXT><CTL=RST> only from SYN-RECEIVED through CLOSE-WAIT",
    "[rfc9293][state-diagram][abort]") {
  const AbortRow row = GENERATE(from_range(kAbortTable));
  CHECK(has(abort_from(row), row.state, State::kClosed, Cause::kUserAbort));
}

TEST_CASE("3.10.7.4: RST with SEG.SEQ = RCV.NXT -> CLOSED from every synchronized state",
          "[rfc9293][state-diagram][rst]") {
  const RstRow row = GENERATE(from_range(kRstTable));
  CHECK(has(reset_from(row), row.state, State::kClosed, Cause::kRecvRst));
}

TEST_CASE("3.10.7.4: RST in CLOSING, LAST-ACK or TIME-WAIT just deletes the TCB, no 'reset' signal",
          "[rfc9293][rst][bug-fixed]") {
  // "CLOSING STATE, LAST-ACK STATE, TIME-WAIT: If the RST bit is set, then enter
  // the CLOSED state, delete the TCB, and return." Unlike ESTABLISHED .. CLOSE-WAIT,
  // there is no "connection reset" signal: both FINs have been exchanged, every
  // byte of the peer's stream has arrived, and the close stays the normal one.
  const State s = GENERATE(State::kClosing, State::kLastAck, State::kTimeWait);
  INFO(to_string(s));
  Config cfg;
  cfg.rfc1337 = false;
  RfcEndpoint t(cfg);
  t.reach(s);
  t.deliver({.seq = kIrs + 2, .flags = kRst});
  t.expect_nothing();
  REQUIRE(t.tcb_freed());
  for (UserEvent e : t.recorder.events_of(t.sock())) CHECK(e != UserEvent::kReset);
  if (s == State::kTimeWait) CHECK(t.final_reason() == CloseReason::kNormal);
}

TEST_CASE("RFC 1122 4.2.2.13: SYN above RCV.NXT ends TIME-WAIT for a new incarnation",
          "[rfc9293][state-diagram][time-wait]") {
  CHECK(has(time_wait_new_incarnation(), State::kTimeWait, State::kClosed, Cause::kNewIncarnation));
}

TEST_CASE("RFC 793 (RFC 5961 off): in-window SYN in ESTABLISHED -> RST and CLOSED",
          "[rfc9293][state-diagram][syn]") {
  CHECK(has(syn_in_window_resets(), State::kEstablished, State::kClosed, Cause::kRecvSynInWindow));
}

TEST_CASE("RFC 1122 4.2.3.5: data unacknowledged after data_retries -> CLOSED, 'timed out'",
          "[rfc9293][state-diagram][timers]") {
  CHECK(has(data_retransmission_gives_up(), State::kEstablished, State::kClosed,
            Cause::kRetransmitGiveUp));
}

// ---------------------------------------------------------------------------

TEST_CASE("the scenarios above together take every edge of Figure 5 and section 3.10, and no other",
          "[rfc9293][state-diagram][coverage]") {
  // The diagram as a list: Figure 5's arcs, the edges of the 3.10 text it leaves
  // out, ABORT from every state and RST from every synchronized one.
  std::vector<Edge> diagram = {
      {State::kClosed, State::kListen, Cause::kUserListen},
      {State::kClosed, State::kSynSent, Cause::kUserConnect},
      {State::kListen, State::kSynReceived, Cause::kRecvSyn},
      {State::kListen, State::kSynSent, Cause::kUserSend},
      {State::kListen, State::kClosed, Cause::kUserClose},
      {State::kSynSent, State::kSynReceived, Cause::kRecvSyn},
      {State::kSynSent, State::kEstablished, Cause::kRecvSynAck},
      {State::kSynSent, State::kClosed, Cause::kUserClose},
      {State::kSynSent, State::kClosed, Cause::kRecvRst},
      {State::kSynSent, State::kClosed, Cause::kRetransmitGiveUp},
      {State::kSynReceived, State::kEstablished, Cause::kRecvAck},
      {State::kSynReceived, State::kFinWait1, Cause::kUserClose},
      {State::kSynReceived, State::kListen, Cause::kRecvRst},
      {State::kSynReceived, State::kListen, Cause::kRecvSynInWindow},
      {State::kSynReceived, State::kClosed, Cause::kRecvRst},
      {State::kEstablished, State::kFinWait1, Cause::kUserClose},
      {State::kEstablished, State::kCloseWait, Cause::kRecvFin},
      {State::kFinWait1, State::kFinWait2, Cause::kRecvAck},
      {State::kFinWait1, State::kClosing, Cause::kRecvFin},
      {State::kFinWait1, State::kTimeWait, Cause::kRecvFinAck},
      {State::kFinWait2, State::kTimeWait, Cause::kRecvFin},
      {State::kCloseWait, State::kLastAck, Cause::kUserClose},
      {State::kClosing, State::kTimeWait, Cause::kRecvAck},
      {State::kLastAck, State::kClosed, Cause::kRecvAck},
      {State::kTimeWait, State::kClosed, Cause::kTimeWaitExpired},
  };
  for (const AbortRow& r : kAbortTable)
    diagram.push_back({r.state, State::kClosed, Cause::kUserAbort});
  for (const RstRow& r : kRstTable) diagram.push_back({r.state, State::kClosed, Cause::kRecvRst});
  // Beyond Figure 5, each for a documented reason.
  diagram.push_back({State::kTimeWait, State::kClosed, Cause::kNewIncarnation});
  diagram.push_back({State::kEstablished, State::kClosed, Cause::kRecvSynInWindow});
  diagram.push_back({State::kEstablished, State::kClosed, Cause::kRetransmitGiveUp});
  REQUIRE(diagram.size() == 25 + 10 + 7 + 3);

  const std::vector<std::function<EdgeSet()>> scenarios = {
      listen_then_close,
      passive_open,
      active_open,
      send_on_listener,
      simultaneous_open,
      close_in_syn_sent,
      reset_in_syn_sent,
      syn_sent_gives_up,
      close_in_syn_received,
      reset_in_passive_syn_received,
      syn_in_passive_syn_received,
      reset_in_active_syn_received,
      active_close,
      passive_close,
      simultaneous_close,
      fin_and_ack_together,
      time_wait_new_incarnation,
      syn_in_window_resets,
      data_retransmission_gives_up,
  };
  EdgeSet seen;
  for (const auto& run : scenarios) seen.merge(run());
  for (const AbortRow& r : kAbortTable) seen.merge(abort_from(r));
  for (const RstRow& r : kRstTable) seen.merge(reset_from(r));

  const EdgeSet expected(diagram.begin(), diagram.end());
  REQUIRE(expected.size() == diagram.size());  // no edge listed twice
  for (const Edge& e : expected) {
    INFO("edge never taken: " << describe(e));
    CHECK(seen.contains(e));
  }
  for (const Edge& e : seen) {
    INFO("edge outside the diagram: " << describe(e));
    CHECK(expected.contains(e));
  }
}
