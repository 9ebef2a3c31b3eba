// TIME-WAIT: its length (RFC 9293 3.4.2, 3.10.8), what it does with a RST (RFC
// 1337) and with a new SYN (RFC 9293 3.10.7.4 + RFC 5961 4; RFC 1122 4.2.2.13).
#include <catch2/catch.hpp>

#include "tests/recording_observer.h"
#include "tests/rfc_endpoint.h"

using namespace synfin;
using namespace synfin::testing;

namespace {

Config with_msl(Duration msl) {
  Config c;
  c.msl = msl;
  return c;
}

}  // namespace

TEST_CASE("3.10.8: the time-wait timeout is exactly 2*MSL (MSL = 5 s)", "[time-wait][timers]") {
  // "If the time-wait timeout expires on a connection, delete the TCB, enter the
  // CLOSED state, and return."
  RfcEndpoint t(with_msl(Duration::seconds(5)));
  t.time_wait();
  const Instant entered = t.now();
  CHECK(t.conn().timer(TimerKind::kTimeWait) == entered + Duration::seconds(10));
  CHECK_FALSE(t.conn().timer(TimerKind::kRetransmit).has_value());  // "turn off the other timers"
  t.advance(Duration::seconds(10) - Duration::micros(1));
  CHECK(t.state() == State::kTimeWait);
  t.advance(Duration::micros(1));
  CHECK(t.now() == entered + Duration::seconds(10));
  CHECK(t.tcb_freed());
  CHECK(t.final_reason() == CloseReason::kNormal);
  CHECK(t.recorder.saw(State::kTimeWait, State::kClosed, Cause::kTimeWaitExpired));
  CHECK(t.host().armed_timer_count() == 0);
}

TEST_CASE(
    "3.10.7.4: a retransmitted FIN in TIME-WAIT is acknowledged and restarts the 2 MSL timeout",
    "[time-wait][timers]") {
  // "The only thing that can arrive in this state is a retransmission of the
  // remote FIN. Acknowledge it, and restart the 2 MSL timeout."
  RfcEndpoint t(with_msl(Duration::seconds(5)));
  t.time_wait();
  t.advance(Duration::seconds(4));
  t.deliver({.seq = kIrs + 1, .ack = kIss + 2, .flags = kFin | kAck});
  t.expect_tx({{.seq = kIss + 2, .ack = kIrs + 2, .flags = kAck}});
  const Instant restarted = t.now();
  CHECK(t.conn().timer(TimerKind::kTimeWait) == restarted + Duration::seconds(10));
  t.advance(Duration::seconds(10) - Duration::micros(1));
  CHECK(t.state() == State::kTimeWait);
  t.advance(Duration::micros(1));
  CHECK(t.tcb_freed());
}

// ---------------------------------------------------------------------------
// RFC 1337.

TEST_CASE("RFC 1337: with rfc1337 on, a RST in TIME-WAIT is ignored and the timer runs on",
          "[time-wait][rfc1337][rst]") {
  // RFC 1337 4: "Fix 1: Ignore RST segments in TIME-WAIT state. If the 2 minute MSL
  // is enforced, this fix avoids all three hazards."
  const uint32_t offset = GENERATE(0u, 1u, 100u, 70000u);  // RCV.NXT, in window, beyond
  INFO("SEG.SEQ = RCV.NXT + " << offset);
  RfcEndpoint t;  // rfc1337 defaults to on
  REQUIRE(t.config().rfc1337);
  t.time_wait();
  const auto deadline = t.conn().timer(TimerKind::kTimeWait);
  REQUIRE(deadline.has_value());
  t.advance(Duration::seconds(1));
  t.deliver({.seq = kIrs + 2 + offset, .flags = kRst});
  t.expect_nothing();
  CHECK(t.state() == State::kTimeWait);
  CHECK(t.conn().timer(TimerKind::kTimeWait) == deadline);
  // It ends when 2*MSL is up, not before.
  CHECK(t.advance_to_next_deadline() == *deadline);
  CHECK(t.tcb_freed());
}

TEST_CASE("RFC 1337 off: a RST with SEG.SEQ = RCV.NXT closes TIME-WAIT at once",
          "[time-wait][rfc1337][rst]") {
  Config cfg;
  cfg.rfc1337 = false;
  RfcEndpoint t(cfg);
  t.time_wait();
  t.deliver({.seq = kIrs + 2, .flags = kRst});
  t.expect_nothing();
  CHECK(t.tcb_freed());
  CHECK(t.host().armed_timer_count() == 0);
  CHECK(t.recorder.saw(State::kTimeWait, State::kClosed, Cause::kRecvRst));
}

TEST_CASE(
    "RFC 1337 off, RFC 5961 on: an in-window RST != RCV.NXT in TIME-WAIT gets a challenge ACK",
    "[time-wait][rfc1337][rfc5961][rst]") {
  Config cfg;
  cfg.rfc1337 = false;
  RfcEndpoint t(cfg);
  t.time_wait();
  t.deliver({.seq = kIrs + 2 + 100, .flags = kRst});
  t.expect_tx({{.seq = kIss + 2, .ack = kIrs + 2, .flags = kAck}});
  CHECK(t.state() == State::kTimeWait);
}

// ---------------------------------------------------------------------------
// A new SYN for the 4-tuple.

TEST_CASE(
    "TimeWaitSynPolicy::kStrict: a SYN in TIME-WAIT earns an ACK and the tuple stays in TIME-WAIT",
    "[time-wait][syn]") {
  // RFC 9293 3.10.7.4 fourth (RFC 5961 4.2): "If the SYN bit is set, irrespective
  // of the sequence number, TCP endpoints MUST send a 'challenge ACK'". The host
  // listens on the port, yet the SYN does not reach the listener.
  const uint32_t offset = GENERATE(1u, 100u, 1000000u);  // all above RCV.NXT
  INFO("SEG.SEQ = RCV.NXT + " << offset);
  RfcEndpoint t;
  REQUIRE(t.config().time_wait_syn == TimeWaitSynPolicy::kStrict);
  t.time_wait(Open::kPassive);
  const ConnId tw = t.sock();
  const auto deadline = t.conn().timer(TimerKind::kTimeWait);
  t.advance(Duration::seconds(1));
  t.deliver({.seq = kIrs + 2 + offset, .flags = kSyn, .mss = 1460});
  t.expect_tx({{.seq = kIss + 2, .ack = kIrs + 2, .flags = kAck}});
  REQUIRE(t.by_tuple() != nullptr);
  CHECK(t.by_tuple()->id() == tw);  // no new TCB took the 4-tuple
  CHECK(t.state() == State::kTimeWait);
  CHECK(t.conn().timer(TimerKind::kTimeWait) == deadline);
  CHECK(t.host().stats().new_incarnations == 0);
  CHECK(t.host().connection_count() == 2);  // the listener and the TIME-WAIT TCB
}

TEST_CASE("TimeWaitSynPolicy::kReuseIfSeqGreater: a SYN above RCV.NXT opens a new incarnation",
          "[time-wait][syn]") {
  // RFC 1122 4.2.2.13: "When a connection is closed actively, it MUST linger in
  // TIME-WAIT state ... However, it MAY accept a new SYN from the remote TCP to
  // reopen the connection directly from TIME-WAIT state, if it: (1) assigns its
  // initial sequence number for the new connection to be larger than the largest
  // sequence number it used on the previous connection incarnation, and (2) returns
  // to TIME-WAIT state if the SYN turns out to be an old duplicate".
  Config cfg;
  cfg.time_wait_syn = TimeWaitSynPolicy::kReuseIfSeqGreater;
  RfcEndpoint t(cfg);
  t.time_wait(Open::kPassive);
  const ConnId old = t.sock();
  REQUIRE(t.tcb().rcv_nxt == SeqNum(kIrs + 2));
  constexpr uint32_t kNewIrs = kIrs + 2 + 50000;
  t.deliver({.seq = kNewIrs, .flags = kSyn, .mss = 1460});
  std::vector<Segment> out = t.take_tx();
  REQUIRE(out.size() == 1);
  CHECK(matches(out[0], {.ack = kNewIrs + 1, .flags = kSyn | kAck}));
  CHECK(t.host().stats().new_incarnations == 1);
  // A new TCB answers for the 4-tuple.
  const Connection* fresh = t.by_tuple();
  REQUIRE(fresh != nullptr);
  const ConnId fresh_id = fresh->id();
  CHECK(fresh_id != old);
  CHECK(fresh->state() == State::kSynReceived);
  // The new connection completes; the old TCB is then freed with
  // Cause::kNewIncarnation, and the new one is accepted.
  t.deliver({.seq = kNewIrs + 1, .ack = out[0].seq.raw + 1, .flags = kAck});
  t.expect_nothing();
  CHECK(t.host().connection(fresh_id)->state() == State::kEstablished);
  CHECK(t.recorder.saw(State::kTimeWait, State::kClosed, Cause::kNewIncarnation));
  CHECK(t.recorder.was_released(old));
  CHECK(t.host().connection(old) == nullptr);
  auto acc = t.host().accept(t.listener());
  REQUIRE(acc.ok());
  CHECK(*acc == std::optional<SocketId>(fresh_id));
  CHECK(t.host().connection_count() == 2);  // the listener and the new connection
}

TEST_CASE("TimeWaitSynPolicy::kReuseIfSeqGreater: a SYN at or below RCV.NXT does not end TIME-WAIT",
          "[time-wait][syn]") {
  const uint32_t back = GENERATE(0u, 1u, 1000u);
  INFO("SEG.SEQ = RCV.NXT - " << back);
  Config cfg;
  cfg.time_wait_syn = TimeWaitSynPolicy::kReuseIfSeqGreater;
  RfcEndpoint t(cfg);
  t.time_wait(Open::kPassive);
  const ConnId tw = t.sock();
  const auto deadline = t.conn().timer(TimerKind::kTimeWait);
  t.deliver({.seq = kIrs + 2 - back, .flags = kSyn});
  t.expect_tx({{.seq = kIss + 2, .ack = kIrs + 2, .flags = kAck}});
  REQUIRE(t.by_tuple() != nullptr);
  CHECK(t.by_tuple()->id() == tw);  // no new TCB took the 4-tuple
  CHECK(t.state() == State::kTimeWait);
  CHECK(t.conn().timer(TimerKind::kTimeWait) == deadline);
  CHECK(t.host().stats().new_incarnations == 0);
}

TEST_CASE(
    "TimeWaitSynPolicy::kReuseIfSeqGreater: without a listener the SYN cannot reopen anything",
    "[time-wait][syn]") {
  Config cfg;
  cfg.time_wait_syn = TimeWaitSynPolicy::kReuseIfSeqGreater;
  RfcEndpoint t(cfg);
  t.time_wait(Open::kActive);  // nothing listens on the port
  t.deliver({.seq = kIrs + 100000, .flags = kSyn});
  t.expect_tx({{.seq = kIss + 2, .ack = kIrs + 2, .flags = kAck}});
  CHECK(t.state() == State::kTimeWait);
  CHECK(t.host().stats().new_incarnations == 0);
}

TEST_CASE(
    "RFC 1122 4.2.2.13 (1): a new incarnation from TIME-WAIT gets an ISS above the old sequence "
    "space",
    "[time-wait][syn][bug-fixed]") {
  // A host MAY reopen from TIME-WAIT "if it: (1) assigns its initial sequence
  // number for the new connection to be larger than the largest sequence number
  // it used on the previous connection incarnation". The ISN generator here hands
  // out the old ISS again (as RFC 6528's clock also can, whenever the old
  // connection sent more than one octet per 4 us of its lifetime); the host must
  // not reuse numbers the old incarnation used (up to its FIN at ISS+1).
  Config cfg;
  cfg.time_wait_syn = TimeWaitSynPolicy::kReuseIfSeqGreater;
  RfcEndpoint t(cfg);
  t.time_wait(Open::kPassive);
  const SeqNum old_largest = t.tcb().snd_max - SeqLen(1);  // our FIN, ISS+1
  t.deliver({.seq = kIrs + 50000, .flags = kSyn});
  std::vector<Segment> out = t.take_tx();
  REQUIRE(out.size() == 1);
  REQUIRE(out[0].flags == (kSyn | kAck));
  INFO("new ISS " << out[0].seq.raw << ", old incarnation used up to " << old_largest.raw);
  CHECK(seq_gt(out[0].seq, old_largest));
}

TEST_CASE("RFC 1122 4.2.2.13 (2): if the reopening SYN was an old duplicate, TIME-WAIT resumes",
          "[time-wait][syn][bug-fixed]") {
  // "... and (2) returns to TIME-WAIT state if the SYN turns out to be an old
  // duplicate." The peer's RST answering our SYN,ACK says it was.
  Config cfg;
  cfg.time_wait_syn = TimeWaitSynPolicy::kReuseIfSeqGreater;
  RfcEndpoint t(cfg);
  t.time_wait(Open::kPassive);
  t.deliver({.seq = kIrs + 50000, .flags = kSyn});
  std::vector<Segment> out = t.take_tx();
  REQUIRE(out.size() == 1);
  REQUIRE(out[0].flags == (kSyn | kAck));
  // <SEQ=SEG.ACK><CTL=RST>, as the peer's 3.10.7.1 rule forms it.
  t.deliver({.seq = out[0].ack.raw, .flags = kRst});
  const Connection* c = t.host().find(FourTuple{
      EndpointFixture::host_address(), EndpointFixture::peer_address(), kLocalPort, kRemotePort});
  REQUIRE(c != nullptr);
  CHECK(c->state() == State::kTimeWait);
}

TEST_CASE(
    "TimeWaitSynPolicy::kReuseIfSeqGreater: a reopening SYN a full listener drops leaves "
    "TIME-WAIT answering for the 4-tuple",
    "[time-wait][syn]") {
  // The SYN qualifies under RFC 1122 4.2.2.13, but the listener's backlog is full,
  // so no new incarnation can open. The SYN is dropped as at any full listener,
  // and the TIME-WAIT TCB goes on owning the 4-tuple: a retransmitted FIN is
  // still acknowledged by it (RFC 9293 3.10.7.4) and the 2 MSL timer keeps running.
  Config cfg;
  cfg.time_wait_syn = TimeWaitSynPolicy::kReuseIfSeqGreater;
  cfg.default_backlog = 1;
  RfcEndpoint t(cfg);
  t.time_wait(Open::kPassive);
  const ConnId tw = t.sock();
  const auto deadline = t.conn().timer(TimerKind::kTimeWait);
  // Another peer port's half-open connection fills the backlog of one.
  t.deliver_from(kRemotePort + 1, {.seq = 70000, .flags = kSyn});
  REQUIRE(t.take_tx().size() == 1);  // its SYN-ACK
  const uint64_t drops = t.host().stats().backlog_drops;

  t.deliver({.seq = kIrs + 2 + 50000, .flags = kSyn});
  t.expect_nothing();
  CHECK(t.host().stats().backlog_drops == drops + 1);
  CHECK(t.host().stats().new_incarnations == 0);
  REQUIRE(t.by_tuple() != nullptr);
  CHECK(t.by_tuple()->id() == tw);
  CHECK(t.state() == State::kTimeWait);

  t.advance(Duration::millis(500));  // before the other peer's SYN-ACK is retransmitted
  t.deliver({.seq = kIrs + 1, .ack = kIss + 2, .flags = kFin | kAck});
  t.expect_tx({{.seq = kIss + 2, .ack = kIrs + 2, .flags = kAck}});
  CHECK(t.state() == State::kTimeWait);
  REQUIRE(deadline.has_value());
  CHECK(t.conn().timer(TimerKind::kTimeWait) == *deadline + Duration::millis(500));  // restarted
}
