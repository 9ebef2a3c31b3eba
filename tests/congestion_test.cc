// RFC 5681 congestion control and RFC 6582's NewReno fast recovery: the
// algorithm on its own (numbers in, numbers out), then a synfin host sending
// bulk data to a scripted peer that loses, duplicates and times out.
#include <catch2/catch.hpp>

#include <vector>

#include "stack/congestion.h"
#include "tests/rfc_endpoint.h"

using namespace synfin;
using namespace synfin::testing;

namespace {

constexpr uint32_t kSmss = 1460;

// ---- The algorithm alone ----

TEST_CASE("RFC 5681 3.1: the initial window by SMSS, or RFC 6928's in segments", "[cc]") {
  // "If SMSS > 2190 bytes: IW = 2 * SMSS bytes ... If (SMSS > 1095 bytes) and
  // (SMSS <= 2190 bytes): IW = 3 * SMSS ... If SMSS <= 1095 bytes: IW = 4 * SMSS"
  CHECK(initial_window(2191) == 2 * 2191);
  CHECK(initial_window(2190) == 3 * 2190);
  CHECK(initial_window(1096) == 3 * 1096);
  CHECK(initial_window(1095) == 4 * 1095);
  CHECK(initial_window(536) == 4 * 536);
  CHECK(initial_window(1460, 10) == 14600);
}

TEST_CASE("RFC 5681 3.1: slow start adds min(N, SMSS) per ACK, congestion avoidance one SMSS per window",
          "[cc]") {
  NewReno cc;
  cc.start(kSmss, initial_window(kSmss));
  REQUIRE(cc.cwnd() == 3 * kSmss);
  CHECK(cc.ssthresh() == UINT32_MAX);  // "SHOULD be set arbitrarily high"
  // "cwnd += min (N, SMSS)": an ACK of 100 octets adds 100, one of 3 SMSS adds one.
  cc.on_ack(SeqNum(101), 100, 0);
  CHECK(cc.cwnd() == 3 * kSmss + 100);
  cc.on_ack(SeqNum(101 + 3 * kSmss), 3 * kSmss, 0);
  CHECK(cc.cwnd() == 4 * kSmss + 100);

  // After a timeout ssthresh is 2 SMSS: slow start to it, then "cwnd += SMSS*SMSS/cwnd"
  // per ACK, about one SMSS per cwnd of acknowledged data.
  cc.on_timeout(4 * kSmss, SeqNum(100000));
  CHECK(cc.cwnd() == kSmss);
  CHECK(cc.ssthresh() == 2 * kSmss);
  cc.on_ack(SeqNum(1), kSmss, 0);
  CHECK(cc.cwnd() == 2 * kSmss);  // slow start reached ssthresh
  cc.on_ack(SeqNum(2), kSmss, 0);
  CHECK(cc.cwnd() == 2 * kSmss);  // half a window acknowledged: no growth yet
  cc.on_ack(SeqNum(3), kSmss, 0);
  CHECK(cc.cwnd() == 3 * kSmss);  // a whole window: one SMSS more
}

TEST_CASE("RFC 5681 3.2 and RFC 6582 3.2: three duplicates enter fast recovery once per window", "[cc]") {
  NewReno cc;
  cc.start(kSmss, initial_window(kSmss, 10));
  const SeqNum una(1000);
  const SeqNum snd_max = una + SeqLen(10 * kSmss);
  // The first two duplicates change nothing (RFC 3042's limited transmit is not used).
  CHECK(cc.on_duplicate_ack(una, 10 * kSmss, snd_max) == CcAction::kNone);
  CHECK(cc.on_duplicate_ack(una, 10 * kSmss, snd_max) == CcAction::kNone);
  CHECK(cc.cwnd() == 10 * kSmss);
  // The third: "ssthresh = max (FlightSize / 2, 2*SMSS)", retransmit, "cwnd to
  // ssthresh plus 3*SMSS".
  CHECK(cc.on_duplicate_ack(una, 10 * kSmss, snd_max) == CcAction::kRetransmitFirst);
  CHECK(cc.in_recovery());
  CHECK(cc.ssthresh() == 5 * kSmss);
  CHECK(cc.cwnd() == 8 * kSmss);
  // "For each additional duplicate ACK received ... cwnd MUST be incremented by SMSS."
  CHECK(cc.on_duplicate_ack(una, 10 * kSmss, snd_max) == CcAction::kNone);
  CHECK(cc.cwnd() == 9 * kSmss);

  // A partial ACK (below recover): retransmit the next hole, deflate by the
  // octets acknowledged, add back one SMSS since at least one was acknowledged.
  CHECK(cc.on_ack(una + SeqLen(2 * kSmss), 2 * kSmss, 8 * kSmss) == CcAction::kRetransmitFirst);
  CHECK(cc.in_recovery());
  CHECK(cc.cwnd() == 8 * kSmss);
  // A huge partial ACK cannot take cwnd below one SMSS.
  CHECK(cc.on_ack(una + SeqLen(9 * kSmss), 7 * kSmss, kSmss) == CcAction::kRetransmitFirst);
  CHECK(cc.cwnd() == 2 * kSmss);

  // The full ACK: "min (ssthresh, max(FlightSize, SMSS) + SMSS)", recovery over.
  CHECK(cc.on_ack(snd_max, kSmss, 0) == CcAction::kNone);
  CHECK_FALSE(cc.in_recovery());
  CHECK(cc.cwnd() == 2 * kSmss);

  // Duplicates of data below recover after a timeout do not reduce again.
  cc.on_timeout(10 * kSmss, snd_max + SeqLen(10 * kSmss));
  const uint32_t ssthresh = cc.ssthresh();
  for (int i = 0; i < 3; ++i) CHECK(cc.on_duplicate_ack(snd_max, 10 * kSmss, snd_max) == CcAction::kNone);
  CHECK_FALSE(cc.in_recovery());
  CHECK(cc.ssthresh() == ssthresh);
}

TEST_CASE("RFC 5681 4.1: after an idle period cwnd restarts from min(IW, cwnd)", "[cc]") {
  NewReno cc;
  cc.start(kSmss, initial_window(kSmss));
  cc.on_ack(SeqNum(1), 3 * kSmss, 0);
  cc.on_ack(SeqNum(2), 3 * kSmss, 0);
  REQUIRE(cc.cwnd() == 5 * kSmss);
  cc.on_idle_restart();
  CHECK(cc.cwnd() == 3 * kSmss);
  cc.on_timeout(0, SeqNum(1));
  cc.on_idle_restart();
  CHECK(cc.cwnd() == kSmss);  // min: a smaller window stays
}

// ---- A synfin host against a scripted peer ----

uint32_t payload_octets(const std::vector<Segment>& tx) {
  uint32_t n = 0;
  for (const Segment& s : tx) n += static_cast<uint32_t>(s.payload.size());
  return n;
}

// The peer's ACK of our octets up to `upto` (an offset in our stream).
SegSpec ack_of(uint32_t upto) { return {.seq = kIrs + 1, .ack = kIss + 1 + upto, .flags = kAck}; }

TEST_CASE("RFC 5681 3.1: a bulk send starts with the initial window and grows per ACK", "[cc][data]") {
  RfcEndpoint t;
  t.established_with(65535);
  REQUIRE(*t.host().send(t.now(), t.sock(), pattern(0, 20000)) == 20000);
  // IW = 3 SMSS for SMSS 1460, though the peer's window would allow 65535.
  std::vector<Segment> tx = t.take_tx();
  REQUIRE(tx.size() == 3);
  CHECK(payload_octets(tx) == 3 * kSmss);
  // The ACK of one segment: cwnd 4 SMSS with 2 still out, so 2 more go.
  t.deliver(ack_of(kSmss));
  tx = t.take_tx();
  REQUIRE(tx.size() == 2);
  CHECK(tx[0].seq == SeqNum(kIss + 1 + 3 * kSmss));
}

TEST_CASE("RFC 5681 3.2 / RFC 6582: the third duplicate ACK retransmits the lost segment, a partial "
          "ACK the next hole, the full ACK ends recovery",
          "[cc][data]") {
  RfcEndpoint t;
  t.established_with(65535);
  REQUIRE(*t.host().send(t.now(), t.sock(), pattern(0, 30000)) == 30000);
  (void)t.take_tx();                  // segments 0..2
  t.deliver(ack_of(kSmss));           // cwnd 4 SMSS
  REQUIRE(t.take_tx().size() == 2);   // segments 3, 4: five out, 0 acknowledged
  // Segments 1 and 2 were lost; 3 and 4 arrive and each draws a duplicate ACK,
  // and so does a window probe's answer: three duplicates of SND.UNA = 1 SMSS.
  t.deliver(ack_of(kSmss));
  t.expect_nothing();
  t.deliver(ack_of(kSmss));
  t.expect_nothing();
  t.deliver(ack_of(kSmss));
  std::vector<Segment> tx = t.take_tx();
  // "The lost segment starting at SND.UNA MUST be retransmitted"; then ssthresh
  // = max(4 SMSS / 2, 2 SMSS) and cwnd = ssthresh + 3 SMSS = 5 SMSS, 4 out: one new.
  REQUIRE(tx.size() == 2);
  CHECK(tx[0].seq == SeqNum(kIss + 1 + kSmss));
  CHECK(tx[0].payload == pattern(kSmss, kSmss));
  CHECK(tx[1].seq == SeqNum(kIss + 1 + 5 * kSmss));
  // The retransmission fills the first hole; segment 2 is still missing: a
  // partial ACK, and segment 2 goes again at once.
  t.deliver(ack_of(2 * kSmss));
  tx = t.take_tx();
  REQUIRE_FALSE(tx.empty());
  CHECK(tx[0].seq == SeqNum(kIss + 1 + 2 * kSmss));
  CHECK(tx[0].payload == pattern(2 * kSmss, kSmss));
  // Everything up to recover (6 SMSS) acknowledged: recovery ends with cwnd =
  // min(ssthresh, max(FlightSize, SMSS) + SMSS), and sending resumes from there.
  const uint32_t sent_before = static_cast<uint32_t>(distance(SeqNum(kIss + 1), t.tcb().snd_max).raw);
  t.deliver(ack_of(sent_before));
  tx = t.take_tx();
  CHECK(payload_octets(tx) == 2 * kSmss);
  CHECK(tx.front().seq == SeqNum(kIss + 1 + sent_before));
}

TEST_CASE("RFC 5681 3.1: after a retransmission timeout cwnd is one segment, then slow start",
          "[cc][data][rto]") {
  RfcEndpoint t;
  t.established_with(65535);
  REQUIRE(*t.host().send(t.now(), t.sock(), pattern(0, 20000)) == 20000);
  REQUIRE(t.take_tx().size() == 3);
  t.advance(Duration::seconds(1));  // RFC 6298's initial RTO
  std::vector<Segment> tx = t.take_tx();
  REQUIRE(tx.size() == 1);  // the loss window: one segment
  CHECK(tx[0].seq == SeqNum(kIss + 1));
  // Its ACK: cwnd 2 SMSS, and go-back-N resends the two that followed it.
  t.deliver(ack_of(kSmss));
  tx = t.take_tx();
  REQUIRE(tx.size() == 2);
  CHECK(tx[0].seq == SeqNum(kIss + 1 + kSmss));
  CHECK(tx[1].seq == SeqNum(kIss + 1 + 2 * kSmss));
  // RFC 6582: duplicates of data sent before the timeout start no fast retransmit.
  for (int i = 0; i < 3; ++i) t.deliver(ack_of(kSmss));
  t.expect_nothing();
}

TEST_CASE("RFC 5681 4.1: a send after an idle period longer than the RTO restarts from the initial "
          "window",
          "[cc][data]") {
  RfcEndpoint t;
  t.established_with(65535);
  REQUIRE(*t.host().send(t.now(), t.sock(), pattern(0, 3 * kSmss)) == 3 * kSmss);
  REQUIRE(t.take_tx().size() == 3);
  t.deliver(ack_of(3 * kSmss));  // cwnd 4 SMSS
  SECTION("idle longer than the RTO: the restart window") {
    t.advance(Duration::seconds(5));
    REQUIRE(t.host().send(t.now(), t.sock(), pattern(0, 10 * kSmss)).ok());
    CHECK(t.take_tx().size() == 3);
  }
  SECTION("not idle: the grown window") {
    REQUIRE(t.host().send(t.now(), t.sock(), pattern(0, 10 * kSmss)).ok());
    CHECK(t.take_tx().size() == 4);
  }
}

TEST_CASE("Config: congestion control off sends the peer's window; IW10 sends ten segments", "[cc][data]") {
  SECTION("off") {
    Config cfg;
    cfg.congestion_control = false;
    RfcEndpoint t(cfg);
    t.established_with(20000);
    REQUIRE(*t.host().send(t.now(), t.sock(), pattern(0, 20000)) == 20000);
    CHECK(payload_octets(t.take_tx()) == 20000);
  }
  SECTION("initial_window_segments = 10") {
    Config cfg;
    cfg.initial_window_segments = 10;
    RfcEndpoint t(cfg);
    t.established_with(65535);
    REQUIRE(*t.host().send(t.now(), t.sock(), pattern(0, 30000)) == 30000);
    CHECK(t.take_tx().size() == 10);
  }
}

TEST_CASE("RFC 1122 4.2.3.4: sender SWS avoidance holds a window-cut segment while data is outstanding",
          "[cc][data][sws]") {
  Config cfg;
  cfg.congestion_control = false;
  RfcEndpoint t(cfg);
  t.established_with(20000);
  REQUIRE(*t.host().send(t.now(), t.sock(), pattern(0, 30000)) == 30000);
  // 13 full segments; the 1020 octets the window leaves are under half the
  // largest window offered (10000), so they wait.
  CHECK(payload_octets(t.take_tx()) == 13 * kSmss);
  // The ACK of everything: a whole new window, full segments again.
  t.deliver({.seq = kIrs + 1, .ack = kIss + 1 + 13 * kSmss, .flags = kAck, .window = 20000});
  CHECK(payload_octets(t.take_tx()) == 30000 - 13 * kSmss);
  SECTION("with nothing outstanding a window under one segment is used at once") {
    RfcEndpoint u(cfg);
    u.established_with(500);
    REQUIRE(*u.host().send(u.now(), u.sock(), pattern(0, 3000)) == 3000);
    CHECK(payload_octets(u.take_tx()) == 500);
  }
}

TEST_CASE("RFC 5681 / RFC 6298: a lost fast retransmission is recovered by the timeout, which "
          "resets cwnd to one segment",
          "[cc][data][rto]") {
  Config cfg;
  cfg.initial_window_segments = 10;
  RfcEndpoint t(cfg);
  t.established_with(65535);
  REQUIRE(*t.host().send(t.now(), t.sock(), pattern(0, 40 * kSmss)) == 40 * kSmss);
  REQUIRE(t.take_tx().size() == 10);
  // Segment 0 is lost; 1..9 draw duplicate ACKs of SND.UNA.
  int first_resends = 0;
  for (int i = 0; i < 9; ++i) {
    t.deliver(ack_of(0));
    for (const Segment& s : t.take_tx()) first_resends += s.seq == SeqNum(kIss + 1) ? 1 : 0;
  }
  CHECK(first_resends == 1);  // the fast retransmit, once: in recovery more duplicates only inflate
  // That retransmission is lost too. The retransmission timer, running since
  // the first send (no ACK of new data since), fires at 1 s: segment 0 again.
  t.advance(Duration::millis(999));
  for (const Segment& s : t.take_tx()) CHECK(s.seq != SeqNum(kIss + 1));
  t.advance(Duration::millis(1));
  std::vector<Segment> tx = t.take_tx();
  REQUIRE(tx.size() == 1);  // cwnd is one segment
  CHECK(tx[0].seq == SeqNum(kIss + 1));
  // It arrives: the ACK covers everything the peer holds; slow start from one
  // segment sends two new ones (ssthresh = FlightSize / 2 is well above).
  const uint32_t all = static_cast<uint32_t>(distance(SeqNum(kIss + 1), t.tcb().snd_max).raw);
  t.deliver(ack_of(all));
  CHECK(payload_octets(t.take_tx()) == 2 * kSmss);
}

}  // namespace
