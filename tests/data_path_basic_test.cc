// The data path of RFC 9293: in-order transfer (3.10.2, 3.10.7.4 seventh), the
// peer's window (3.8.6), zero-window probing (3.8.6.1, RFC 1122 4.2.2.17),
// out-of-order segments, and the data-loss reset on close (RFC 2525 2.17).
#include <catch2/catch.hpp>

#include <vector>

#include "tests/recording_observer.h"
#include "tests/rfc_endpoint.h"

using namespace synfin;
using namespace synfin::testing;

namespace {

std::vector<uint8_t> read_all(RfcEndpoint& t, size_t max = 100000) {
  std::vector<uint8_t> buf(max);
  auto n = t.host().recv(t.now(), t.sock(), buf);
  REQUIRE(n.ok());
  buf.resize(*n);
  return buf;
}

}  // namespace

TEST_CASE("3.10.2/3.10.7.4: data flows in order both ways, each octet acknowledged once",
          "[data]") {
  RfcEndpoint t;
  t.established(Open::kPassive);
  // Ours: SEND queues, the segment carries <SEQ=SND.NXT><ACK=RCV.NXT>.
  const std::vector<uint8_t> out_data = pattern(0, 300);
  auto sent = t.host().send(t.now(), t.sock(), out_data);
  REQUIRE(sent.ok());
  CHECK(*sent == 300);
  std::vector<Segment> tx = t.take_tx();
  REQUIRE(tx.size() == 1);
  CHECK(matches(tx[0], {.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck | kPsh, .len = 300}));
  CHECK(tx[0].payload == out_data);
  CHECK(t.tcb().snd_nxt == SeqNum(kIss + 301));
  CHECK(t.tcb().snd_una == SeqNum(kIss + 1));
  // The peer's data carries the ACK of ours.
  t.deliver(
      {.seq = kIrs + 1, .ack = kIss + 301, .flags = kAck | kPsh, .payload = pattern(1000, 200)});
  t.expect_tx({{.seq = kIss + 301, .ack = kIrs + 201, .flags = kAck}});
  CHECK(t.tcb().snd_una == SeqNum(kIss + 301));
  CHECK(t.tcb().send_queued == 0);
  CHECK_FALSE(t.conn().timer(TimerKind::kRetransmit).has_value());
  t.deliver({.seq = kIrs + 201, .ack = kIss + 301, .flags = kAck, .payload = pattern(1200, 100)});
  t.expect_tx({{.seq = kIss + 301, .ack = kIrs + 301, .flags = kAck}});
  CHECK(read_all(t) == pattern(1000, 300));
}

TEST_CASE("3.10.2: data sent in SYN-SENT waits for ESTABLISHED", "[data][syn-sent]") {
  // SYN-SENT: "Queue the data for transmission after entering ESTABLISHED state."
  RfcEndpoint t;
  t.syn_sent();
  auto n = t.host().send(t.now(), t.sock(), pattern(0, 100));
  REQUIRE(n.ok());
  CHECK(*n == 100);
  t.expect_nothing();
  t.deliver({.seq = kIrs, .ack = kIss + 1, .flags = kSyn | kAck, .mss = 1460});
  // "Data or controls that were queued for transmission MAY be included."
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck | kPsh, .len = 100}});
  CHECK(t.state() == State::kEstablished);
}

TEST_CASE("3.10.7.3: text on the SYN,ACK is processed once ESTABLISHED", "[data][syn-sent]") {
  // "If there are other controls or text in the segment, then continue processing
  // at the sixth step below where the URG bit is checked; otherwise, return."
  RfcEndpoint t;
  t.syn_sent();
  t.deliver(
      {.seq = kIrs, .ack = kIss + 1, .flags = kSyn | kAck, .payload = pattern(0, 10), .mss = 1460});
  // SYN (1) + 10 octets: RCV.NXT = IRS + 11.
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 11, .flags = kAck}});
  CHECK(t.state() == State::kEstablished);
  CHECK(read_all(t) == pattern(0, 10));
}

TEST_CASE("3.10.7.3: a FIN on the SYN,ACK (drop_syn_fin off) takes ESTABLISHED on to CLOSE-WAIT",
          "[data][syn-sent]") {
  Config cfg;
  cfg.drop_syn_fin = false;
  RfcEndpoint t(cfg);
  t.syn_sent();
  t.deliver({.seq = kIrs,
             .ack = kIss + 1,
             .flags = kSyn | kAck | kFin,
             .payload = pattern(0, 10),
             .mss = 1460});
  // SYN (1) + 10 octets + FIN (1): RCV.NXT = IRS + 12.
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 12, .flags = kAck}});
  CHECK(t.state() == State::kCloseWait);
  CHECK(names(t.recorder.path(t.sock())) ==
        names({State::kClosed, State::kSynSent, State::kEstablished, State::kCloseWait}));
  CHECK(read_all(t) == pattern(0, 10));
}

TEST_CASE("Config::drop_syn_fin: a SYN,ACK that also carries FIN is dropped in SYN-SENT",
          "[syn-sent]") {
  RfcEndpoint t;
  REQUIRE(t.config().drop_syn_fin);
  t.syn_sent();
  t.deliver({.seq = kIrs, .ack = kIss + 1, .flags = kSyn | kAck | kFin, .mss = 1460});
  t.expect_nothing();
  CHECK(t.state() == State::kSynSent);
}

TEST_CASE("3.8.6: no more than the peer's window is outstanding; a window update lets the rest go",
          "[data][window]") {
  // The peer offers 100 octets of window and an MSS of 1460: the window, not the
  // MSS, limits what is in flight (SND.NXT - SND.UNA =< SND.WND).
  RfcEndpoint t;
  t.established_with(/*peer_window=*/100);
  REQUIRE(t.host().send(t.now(), t.sock(), pattern(0, 1000)).ok());
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck, .len = 100}});
  CHECK(distance(t.tcb().snd_una, t.tcb().snd_nxt) == SeqLen(100));
  // More SENDs do not push past the window.
  REQUIRE(t.host().send(t.now(), t.sock(), pattern(1000, 10)).ok());
  t.expect_nothing();
  // The ACK of those 100 with the window still 100: the next 100.
  t.deliver({.seq = kIrs + 1, .ack = kIss + 101, .flags = kAck, .window = 100});
  t.expect_tx({{.seq = kIss + 101, .ack = kIrs + 1, .flags = kAck, .len = 100}});
  // A window update (same ACK, larger window) releases the remaining 810.
  t.deliver({.seq = kIrs + 1, .ack = kIss + 101, .flags = kAck, .window = 65535});
  t.expect_tx({{.seq = kIss + 201, .ack = kIrs + 1, .flags = kAck | kPsh, .len = 810}});
  t.deliver({.seq = kIrs + 1, .ack = kIss + 1011, .flags = kAck, .window = 65535});
  t.expect_nothing();
  CHECK(t.tcb().send_queued == 0);
}

TEST_CASE("3.10.7.4: a reordered older segment (SEG.SEQ < SND.WL1) does not change SND.WND",
          "[data][window]") {
  // "If (SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK)), set
  // SND.WND <- SEG.WND, set SND.WL1 <- SEG.SEQ, and set SND.WL2 <- SEG.ACK."
  // The test "prevents using old segments to update the window".
  RfcEndpoint t;
  t.established(Open::kActive);
  // The peer's second segment overtakes its first; it offers a window of 5000.
  t.deliver({.seq = kIrs + 101,
             .ack = kIss + 1,
             .flags = kAck,
             .window = 5000,
             .payload = pattern(100, 100)});
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck}});
  CHECK(t.tcb().snd_wnd == 5000);
  CHECK(t.tcb().snd_wl1 == SeqNum(kIrs + 101));
  // The first, sent earlier with a zero window, arrives late.
  t.deliver(
      {.seq = kIrs + 1, .ack = kIss + 1, .flags = kAck, .window = 0, .payload = pattern(0, 100)});
  (void)t.take_tx();
  CHECK(t.tcb().snd_wnd == 5000);
  CHECK(t.tcb().snd_wl1 == SeqNum(kIrs + 101));
  // A newer segment does update it.
  t.deliver({.seq = kIrs + 201, .ack = kIss + 1, .flags = kAck, .window = 7000});
  CHECK(t.tcb().snd_wnd == 7000);
}

TEST_CASE("3.8.6.1: a zero window arms the persist timer; probes go out at backed-off deadlines",
          "[data][window][persist][timers]") {
  // RFC 9293 3.8.6.1: "The sending TCP peer must regularly transmit at least one
  // octet of new data (if available), or retransmit to the receiving TCP peer even
  // if the send window is zero, in order to 'probe' the window." RFC 1122
  // 4.2.2.17: "The transmitting host SHOULD send the first zero-window probe when a
  // zero window has existed for the retransmission timeout period, and SHOULD
  // increase exponentially the interval between successive probes."
  RfcEndpoint t;
  t.established_with(/*peer_window=*/100);  // at t = 0; RTO = 1 s
  REQUIRE(t.host().send(t.now(), t.sock(), pattern(0, 300)).ok());
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck, .len = 100}});
  // The peer takes the 100 octets and closes its window.
  t.advance(Duration::millis(10));
  t.deliver({.seq = kIrs + 1, .ack = kIss + 101, .flags = kAck, .window = 0});
  t.expect_nothing();
  const Instant zero_at = t.now();
  CHECK_FALSE(t.conn().timer(TimerKind::kRetransmit).has_value());
  REQUIRE(t.conn().timer(TimerKind::kPersist).has_value());
  CHECK(*t.conn().timer(TimerKind::kPersist) == zero_at + t.tcb().rto);

  // Probes at RTO, then 2*RTO and 4*RTO later. Each either carries one new octet
  // at SND.UNA or is an empty ACK one below it (the form that forces a reply).
  const Duration rto = t.tcb().rto;
  Instant expected = zero_at + rto;
  Duration gap = rto;
  for (int probe = 1; probe <= 3; ++probe) {
    INFO("probe " << probe);
    CHECK(t.advance_to_next_deadline() == expected);
    std::vector<Segment> tx = t.take_tx();
    REQUIRE(tx.size() == 1);
    INFO(describe(tx[0]));
    CHECK(tx[0].flags.ack());
    const bool one_octet = tx[0].payload.size() == 1 && tx[0].seq == SeqNum(kIss + 101);
    const bool empty_below = tx[0].payload.empty() && tx[0].seq == SeqNum(kIss + 100);
    CHECK((one_octet || empty_below));
    CHECK(tx[0].ack == SeqNum(kIrs + 1));
    CHECK(t.state() == State::kEstablished);
    gap = gap * 2;
    expected = expected + gap;
    CHECK(t.conn().timer(TimerKind::kPersist) == expected);
    // The peer answers: still zero.
    t.deliver({.seq = kIrs + 1, .ack = kIss + 101, .flags = kAck, .window = 0});
    t.expect_nothing();
  }
  // The window opens: the data goes and the persist timer stops.
  t.deliver({.seq = kIrs + 1, .ack = kIss + 101, .flags = kAck, .window = 1000});
  std::vector<Segment> tx = t.take_tx();
  REQUIRE_FALSE(tx.empty());
  CHECK(tx.back().seq_end() == SeqNum(kIss + 301));
  CHECK_FALSE(t.conn().timer(TimerKind::kPersist).has_value());
  CHECK(t.conn().timer(TimerKind::kRetransmit).has_value());
}

TEST_CASE("3.10.7.4: an out-of-order segment is not delivered and is answered with ACK of RCV.NXT",
          "[data][reorder]") {
  RfcEndpoint t;
  t.established(Open::kActive);
  // Octets 100..199 arrive before 0..99.
  t.deliver({.seq = kIrs + 101, .ack = kIss + 1, .flags = kAck, .payload = pattern(100, 100)});
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck}});
  CHECK(t.conn().readable() == 0);
  CHECK(t.tcb().rcv_nxt == SeqNum(kIrs + 1));
  // The gap is filled; whatever was held or not, the stream is correct.
  t.deliver({.seq = kIrs + 1, .ack = kIss + 1, .flags = kAck, .payload = pattern(0, 100)});
  std::vector<Segment> tx = t.take_tx();
  REQUIRE(tx.size() == 1);
  const uint32_t acked = tx[0].ack.raw;
  CHECK((acked == kIrs + 101 || acked == kIrs + 201));
  if (acked == kIrs + 101) {  // not held: the peer retransmits
    t.deliver({.seq = kIrs + 101, .ack = kIss + 1, .flags = kAck, .payload = pattern(100, 100)});
    t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 201, .flags = kAck}});
  }
  CHECK(read_all(t) == pattern(0, 200));
}

TEST_CASE("3.10.7.4: the peer's FIN after its data: data first, then end of stream",
          "[data][close]") {
  RfcEndpoint t;
  t.established(Open::kActive);
  t.deliver(
      {.seq = kIrs + 1, .ack = kIss + 1, .flags = kAck | kPsh | kFin, .payload = pattern(0, 50)});
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 52, .flags = kAck}});
  CHECK(t.state() == State::kCloseWait);
  auto st = t.host().status(t.sock());
  REQUIRE(st.ok());
  CHECK_FALSE(st->end_of_stream);  // 50 octets still unread
  CHECK(read_all(t) == pattern(0, 50));
  st = t.host().status(t.sock());
  REQUIRE(st.ok());
  CHECK(st->end_of_stream);
  CHECK(t.recorder.events_of(t.sock()).back() == UserEvent::kEndOfStream);
}

TEST_CASE("CLOSE after SENDs: the FIN takes the sequence number after the last octet",
          "[data][close]") {
  RfcEndpoint t;
  t.established(Open::kActive);
  REQUIRE(t.host().send(t.now(), t.sock(), pattern(0, 100)).ok());
  t.expect_tx({{.seq = kIss + 1, .flags = kAck | kPsh, .len = 100}});
  REQUIRE(t.host().shutdown(t.now(), t.sock()).ok());
  t.expect_tx({{.seq = kIss + 101, .ack = kIrs + 1, .flags = kFin | kAck, .len = 0}});
  t.deliver({.seq = kIrs + 1, .ack = kIss + 102, .flags = kAck});
  CHECK(t.state() == State::kFinWait2);
  // SEND after CLOSE: "error: connection closing".
  CHECK_FALSE(t.host().send(t.now(), t.sock(), pattern(0, 1)).ok());
}

TEST_CASE("a FIN queued behind data rides on the last data segment", "[data][close][window]") {
  // The peer's window holds 100 of 150 octets; CLOSE comes while 50 wait. When the
  // window opens, the last 50 octets and the FIN leave together: <SEQ=ISS+101>,
  // 50 octets, FIN, which takes ISS+151.
  RfcEndpoint t;
  t.established_with(/*peer_window=*/100);
  REQUIRE(t.host().send(t.now(), t.sock(), pattern(0, 150)).ok());
  t.expect_tx({{.seq = kIss + 1, .flags = kAck, .len = 100}});
  REQUIRE(t.host().shutdown(t.now(), t.sock()).ok());
  t.expect_nothing();
  CHECK(t.state() == State::kFinWait1);
  t.deliver({.seq = kIrs + 1, .ack = kIss + 101, .flags = kAck, .window = 1000});
  t.expect_tx({{.seq = kIss + 101, .ack = kIrs + 1, .flags = kAck | kPsh | kFin, .len = 50}});
  t.deliver({.seq = kIrs + 1, .ack = kIss + 152, .flags = kAck, .window = 1000});
  CHECK(t.state() == State::kFinWait2);
}

TEST_CASE("RFC 2525 2.17: closing with unread data resets the connection <SEQ=SND.NXT><CTL=RST>",
          "[data][close][rst]") {
  // "When an application closes a connection in such a way that it can no longer
  // read any received data, the TCP SHOULD, per section 4.2.2.13 of RFC 1122, send
  // a RST if there is any unread received data".
  RfcEndpoint t;
  t.established(Open::kActive);
  REQUIRE(t.host().send(t.now(), t.sock(), pattern(0, 20)).ok());
  t.expect_tx({{.seq = kIss + 1, .flags = kAck | kPsh, .len = 20}});
  t.deliver({.seq = kIrs + 1, .ack = kIss + 1, .flags = kAck, .payload = pattern(0, 100)});
  t.expect_tx({{.seq = kIss + 21, .ack = kIrs + 101, .flags = kAck}});
  const ConnId id = t.sock();
  REQUIRE(t.host().close(t.now(), id).ok());
  t.expect_tx({{.seq = kIss + 21, .flags = kRst}});
  CHECK(t.host().connection(id) == nullptr);
  CHECK(t.host().connection_count() == 0);
  CHECK(t.host().buffered_bytes() == 0);
}

TEST_CASE("close with everything read sends a FIN, not a RST", "[data][close]") {
  RfcEndpoint t;
  t.established(Open::kActive);
  t.deliver({.seq = kIrs + 1, .ack = kIss + 1, .flags = kAck, .payload = pattern(0, 100)});
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 101, .flags = kAck}});
  CHECK(read_all(t) == pattern(0, 100));
  (void)t.take_tx();  // a possible window update
  REQUIRE(t.host().close(t.now(), t.sock()).ok());
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 101, .flags = kFin | kAck}});
}
