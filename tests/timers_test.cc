// Retransmission timers: RFC 6298 (RTO computation, backoff, Karn's rule), RFC
// 1122 4.2.3.5 (giving up), RFC 9293 3.8.1 and 3.8.3. Everything runs in virtual
// time, so deadlines are checked to the microsecond.
#include <catch2/catch.hpp>

#include <vector>

#include "tests/recording_observer.h"
#include "tests/rfc_endpoint.h"

using namespace synfin;
using namespace synfin::testing;

namespace {

Instant at_ms(int64_t ms) { return Instant::from_millis(ms); }

}  // namespace

// ---------------------------------------------------------------------------
// The SYN.

TEST_CASE(
    "RFC 6298 (5.5): the SYN is retransmitted at 1 s, 3 s, 7 s ... and given up after syn_retries",
    "[timers][rfc6298][syn]") {
  // (2.1) initial RTO 1 s; (5.5) "The host MUST set RTO <- RTO * 2"; (5.6) the
  // timer restarts at each retransmission. So the SYN leaves at 0, 1, 3, 7 s and,
  // with syn_retries = 3, the connection is given up when the next RTO (8 s)
  // expires at 15 s.
  Config cfg;
  cfg.syn_retries = 3;
  RfcEndpoint t(cfg);
  t.syn_sent();
  CHECK(t.conn().timer(TimerKind::kRetransmit) == at_ms(1000));
  const std::vector<int64_t> retransmissions = {1000, 3000, 7000};
  const std::vector<int64_t> rto_after = {2000, 4000, 8000};
  for (size_t i = 0; i < retransmissions.size(); ++i) {
    INFO("retransmission " << i + 1);
    CHECK(t.advance_to_next_deadline() == at_ms(retransmissions[i]));
    // The same SYN: <SEQ=ISS><CTL=SYN>, MSS option included.
    t.expect_tx({{.seq = kIss, .flags = kSyn, .mss = 1460}});
    CHECK(t.state() == State::kSynSent);
    CHECK(t.tcb().rto == Duration::millis(rto_after[i]));
    CHECK(t.tcb().retries == static_cast<int>(i + 1));
  }
  CHECK(t.advance_to_next_deadline() == at_ms(15000));
  t.expect_nothing();
  CHECK(t.tcb_freed());
  CHECK(t.final_reason() == CloseReason::kTimedOut);
  CHECK(t.recorder.events_of(t.sock()) == std::vector<UserEvent>{UserEvent::kTimedOut});
  CHECK(t.recorder.saw(State::kSynSent, State::kClosed, Cause::kRetransmitGiveUp));
  CHECK_FALSE(t.host().next_deadline().has_value());
}

TEST_CASE("RFC 6298 (2.5): the backed-off RTO never exceeds rto_max", "[timers][rfc6298][syn]") {
  Config cfg;
  cfg.syn_retries = 4;
  cfg.rto_max = Duration::seconds(3);
  RfcEndpoint t(cfg);
  t.syn_sent();
  // RTO 1, 2, 3, 3, 3 s: deadlines 1, 3, 6, 9, and the give-up at 12 s.
  for (int64_t ms : {1000, 3000, 6000, 9000}) {
    CHECK(t.advance_to_next_deadline() == at_ms(ms));
    t.expect_tx({{.seq = kIss, .flags = kSyn}});
  }
  CHECK(t.tcb().rto == Duration::seconds(3));
  CHECK(t.advance_to_next_deadline() == at_ms(12000));
  CHECK(t.tcb_freed());
  CHECK(t.final_reason() == CloseReason::kTimedOut);
}

TEST_CASE("RFC 6298: the SYN,ACK of a passive open backs off the same way; the embryo then goes",
          "[timers][rfc6298][syn]") {
  Config cfg;
  cfg.syn_retries = 2;
  RfcEndpoint t(cfg);
  t.syn_received_passive();
  const ConnId child = t.sock();
  for (int64_t ms : {1000, 3000}) {
    CHECK(t.advance_to_next_deadline() == at_ms(ms));
    t.expect_tx({{.seq = kIss, .ack = kIrs + 1, .flags = kSyn | kAck}});
  }
  CHECK(t.advance_to_next_deadline() == at_ms(7000));
  t.expect_nothing();
  CHECK(t.host().connection(child) == nullptr);
  CHECK(t.host().connection_count() == 1);  // the listener goes on
  CHECK(t.recorder.saw(State::kSynReceived, State::kClosed, Cause::kRetransmitGiveUp));
}

TEST_CASE("RFC 6298 (5.7): after a SYN timeout an RTO below 3 s is reset to 3 s once data flows",
          "[timers][rfc6298][syn][bug-fixed]") {
  // (5.7) "If the timer expires awaiting the ACK of a SYN segment and the TCP
  // implementation is using an RTO less than 3 seconds, the RTO MUST be
  // re-initialized to 3 seconds when data transmission begins (i.e., after the
  // three-way handshake completes)." RFC 9293 3.8.1 makes RFC 6298 a MUST.
  RfcEndpoint t;
  t.syn_sent();
  CHECK(t.advance_to_next_deadline() == at_ms(1000));  // the SYN times out once
  t.expect_tx({{.seq = kIss, .flags = kSyn}});
  REQUIRE(t.tcb().rto == Duration::seconds(2));
  t.advance(Duration::millis(100));
  t.deliver({.seq = kIrs, .ack = kIss + 1, .flags = kSyn | kAck, .mss = 1460});
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck}});
  REQUIRE(t.state() == State::kEstablished);
  // Karn: no sample from the retransmitted SYN, so the RTO is not measured; it
  // must be 3 s, not the 2 s left over from the backoff.
  CHECK(t.tcb().rto == Duration::seconds(3));
  REQUIRE(t.host().send(t.now(), t.sock(), pattern(0, 10)).ok());
  CHECK(t.conn().timer(TimerKind::kRetransmit) == t.now() + Duration::seconds(3));
}

// ---------------------------------------------------------------------------
// RTO from RTT samples.

TEST_CASE("RFC 6298 (2.2)/(2.3): RTT samples set SRTT, RTTVAR and RTO = SRTT + 4*RTTVAR",
          "[timers][rfc6298][rtt]") {
  Config cfg;
  cfg.rto_min = Duration::millis(10);  // so the computed RTO shows through
  RfcEndpoint t(cfg);
  // First measurement R = 100 ms (the SYN to its SYN,ACK): (2.2) SRTT <- R,
  // RTTVAR <- R/2, RTO <- SRTT + max(G, K*RTTVAR) = 100 + 4*50 = 300 ms.
  t.established_with(65535, 1460, Duration::millis(100));
  CHECK(t.tcb().rto == Duration::millis(300));
  // (5.1) the timer runs RTO from when data is sent.
  REQUIRE(t.host().send(t.now(), t.sock(), pattern(0, 100)).ok());
  t.expect_tx({{.seq = kIss + 1, .flags = kAck | kPsh, .len = 100}});
  CHECK(t.conn().timer(TimerKind::kRetransmit) == t.now() + Duration::millis(300));
  // Second measurement R' = 200 ms: (2.3) RTTVAR <- 3/4*50 + 1/4*|100-200| = 62.5,
  // SRTT <- 7/8*100 + 1/8*200 = 112.5, RTO = 112.5 + 4*62.5 = 362.5 ms.
  t.advance(Duration::millis(200));
  t.deliver({.seq = kIrs + 1, .ack = kIss + 101, .flags = kAck});
  t.expect_nothing();
  CHECK(t.tcb().rto == Duration::micros(362500));
  // (5.2) everything acknowledged: the timer is off.
  CHECK_FALSE(t.conn().timer(TimerKind::kRetransmit).has_value());
}

TEST_CASE("RFC 6298 (2.4): the RTO is rounded up to rto_min (1 s by default)",
          "[timers][rfc6298][rtt]") {
  RfcEndpoint t;
  t.established_with(65535, 1460, Duration::millis(100));  // computed 300 ms
  CHECK(t.tcb().rto == Duration::seconds(1));
}

TEST_CASE("RFC 6298 (3) Karn: no RTT sample from a retransmitted segment; the backed-off RTO stays",
          "[timers][rfc6298][karn]") {
  // "RTT samples MUST NOT be made using segments that were retransmitted (and thus
  // for which it is ambiguous whether the reply was for the first instance of the
  // packet or a later instance)." (5.5)-(5.6): the backed-off RTO is kept until a
  // fresh sample.
  Config cfg;
  cfg.rto_min = Duration::millis(10);
  RfcEndpoint t(cfg);
  t.established_with(65535, 1460, Duration::millis(100));
  REQUIRE(t.tcb().rto == Duration::millis(300));

  const Instant sent = t.now();
  REQUIRE(t.host().send(t.now(), t.sock(), pattern(0, 100)).ok());
  t.expect_tx({{.seq = kIss + 1, .flags = kAck | kPsh, .len = 100}});
  CHECK(t.advance_to_next_deadline() == sent + Duration::millis(300));
  t.expect_tx({{.seq = kIss + 1, .flags = kAck | kPsh, .len = 100}});
  CHECK(t.tcb().rto == Duration::millis(600));
  // The ACK comes 350 ms after the first transmission, 50 ms after the second.
  t.advance(Duration::millis(50));
  t.deliver({.seq = kIrs + 1, .ack = kIss + 101, .flags = kAck});
  t.expect_nothing();
  // Neither 350 ms nor 50 ms was sampled: the RTO is still the backed-off 600 ms.
  CHECK(t.tcb().rto == Duration::millis(600));
  CHECK_FALSE(t.conn().timer(TimerKind::kRetransmit).has_value());

  // A segment sent once is timed again: R = 100 ms against SRTT 100, RTTVAR 50:
  // RTTVAR <- 37.5, SRTT <- 100, RTO = 100 + 150 = 250 ms.
  REQUIRE(t.host().send(t.now(), t.sock(), pattern(100, 100)).ok());
  t.expect_tx({{.seq = kIss + 101, .flags = kAck | kPsh, .len = 100}});
  CHECK(t.conn().timer(TimerKind::kRetransmit) == t.now() + Duration::millis(600));
  t.advance(Duration::millis(100));
  t.deliver({.seq = kIrs + 1, .ack = kIss + 201, .flags = kAck});
  CHECK(t.tcb().rto == Duration::millis(250));
}

// ---------------------------------------------------------------------------
// Data.

TEST_CASE(
    "RFC 6298 (5.4)-(5.6): data is retransmitted unchanged, RTO doubling to rto_max, "
    "then given up after data_retries",
    "[timers][rfc6298][data]") {
  Config cfg;
  cfg.data_retries = 3;
  cfg.rto_max = Duration::seconds(5);
  RfcEndpoint t(cfg);
  t.established(Open::kActive);  // at t = 0; the handshake's sample gives RTO = rto_min = 1 s
  REQUIRE(t.tcb().rto == Duration::seconds(1));
  const std::vector<uint8_t> data = pattern(0, 500);
  REQUIRE(t.host().send(t.now(), t.sock(), data).ok());
  std::vector<Segment> first = t.take_tx();
  REQUIRE(first.size() == 1);
  CHECK(first[0].seq == SeqNum(kIss + 1));
  CHECK(first[0].payload == data);

  // RTO 1 s, then 2, 4, and 5 (capped): retransmissions at 1, 3 and 7 s.
  const std::vector<int64_t> deadlines = {1000, 3000, 7000};
  const std::vector<int64_t> rto_after = {2000, 4000, 5000};
  for (size_t i = 0; i < deadlines.size(); ++i) {
    INFO("retransmission " << i + 1);
    CHECK(t.advance_to_next_deadline() == at_ms(deadlines[i]));
    std::vector<Segment> again = t.take_tx();
    REQUIRE(again.size() == 1);
    CHECK(again[0] == first[0]);  // the same octets at the same sequence numbers
    CHECK(t.tcb().rto == Duration::millis(rto_after[i]));
    CHECK(t.state() == State::kEstablished);
  }
  // The fourth timeout, 5 s later, exhausts data_retries: RFC 1122 4.2.3.5 "close
  // the connection" and tell the user.
  CHECK(t.advance_to_next_deadline() == at_ms(12000));
  for (const Segment& s : t.take_tx()) CHECK(s.flags == kRst);  // at most a RST
  CHECK(t.tcb_freed());
  CHECK(t.final_reason() == CloseReason::kTimedOut);
  CHECK(t.recorder.events_of(t.sock()).back() == UserEvent::kTimedOut);
  CHECK(t.host().armed_timer_count() == 0);
  CHECK(t.host().buffered_bytes() == 0);
}

TEST_CASE("RFC 6298 (5.4): only the earliest unacknowledged segment is retransmitted",
          "[timers][rfc6298][data]") {
  RfcEndpoint t;
  t.established_with(65535, /*peer_mss=*/100);
  REQUIRE(t.host().send(t.now(), t.sock(), pattern(0, 250)).ok());
  t.expect_tx({{.seq = kIss + 1, .flags = kAck, .len = 100},
               {.seq = kIss + 101, .flags = kAck, .len = 100},
               {.seq = kIss + 201, .flags = kAck | kPsh, .len = 50}});
  t.advance_to_next_deadline();
  t.expect_tx({{.seq = kIss + 1, .flags = kAck, .len = 100}});
  // The ACK of the first segment lets the rest go out again (SND.NXT fell back).
  t.deliver({.seq = kIrs + 1, .ack = kIss + 101, .flags = kAck});
  t.expect_tx({{.seq = kIss + 101, .flags = kAck, .len = 100},
               {.seq = kIss + 201, .flags = kAck | kPsh, .len = 50}});
  // (5.3) an ACK of new data restarts the timer with the current (backed-off) RTO.
  CHECK(t.conn().timer(TimerKind::kRetransmit) == t.now() + Duration::seconds(2));
  t.deliver({.seq = kIrs + 1, .ack = kIss + 251, .flags = kAck});
  t.expect_nothing();
  CHECK_FALSE(t.conn().timer(TimerKind::kRetransmit).has_value());
  CHECK(t.tcb().send_queued == 0);
}

TEST_CASE("RFC 6298: an unacknowledged FIN is retransmitted with the same backoff",
          "[timers][rfc6298][close]") {
  RfcEndpoint t;
  t.fin_wait_1();  // FIN at ISS+1, at t = 0
  CHECK(t.advance_to_next_deadline() == at_ms(1000));
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kFin | kAck}});
  CHECK(t.advance_to_next_deadline() == at_ms(3000));
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kFin | kAck}});
  t.deliver({.seq = kIrs + 1, .ack = kIss + 2, .flags = kAck});
  CHECK(t.state() == State::kFinWait2);
  CHECK_FALSE(t.conn().timer(TimerKind::kRetransmit).has_value());
}
