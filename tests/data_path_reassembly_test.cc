// Reassembly at the connection, RFC 9293 3.10.7.4, seventh step: "Segments with
// higher beginning sequence numbers may be held for later processing", and the
// text and FIN a SYN carries, "queued for processing later" (3.10.7.2, LISTEN)
// or "after the ESTABLISHED state has been reached" (3.10.7.3, SYN-SENT).
//
// The fixture checks Connection::check_invariants() after every event: held
// octets inside the window, the window inside the buffer, nothing deliverable
// left undelivered.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
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

// The peer's octets [from, to) of its stream, at IRS + 1 + from.
SegSpec peer_data(uint32_t from, uint32_t to, Flags extra = Flags{}) {
  return {.seq = kIrs + 1 + from, .ack = kIss + 1, .flags = kAck | extra,
          .payload = pattern(from, to - from)};
}

}  // namespace

TEST_CASE("3.10.7.4 seventh: segments past a gap are held; the one that fills it delivers all, "
          "and one ACK covers them",
          "[data][reassembly]") {
  RfcEndpoint t;
  t.established(Open::kActive);
  // Octets 100..199 and 200..299 overtake 0..99. Each draws an immediate
  // duplicate ACK of RCV.NXT (RFC 5681 4.2), and the window stays where it was:
  // the held octets sit inside it.
  t.deliver(peer_data(100, 200));
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck, .window = 65535}});
  t.deliver(peer_data(200, 300));
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck, .window = 65535}});
  CHECK(t.conn().readable() == 0);
  CHECK(t.conn().held() == 200);
  CHECK(t.tcb().rcv_nxt == SeqNum(kIrs + 1));
  // The missing segment: "it advances RCV.NXT over the data accepted", here all
  // 300 octets, and one ACK says so. The right edge has not moved.
  t.deliver(peer_data(0, 100));
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 301, .flags = kAck, .window = 65535 - 300}});
  CHECK(t.conn().held() == 0);
  CHECK(read_all(t) == pattern(0, 300));
}

TEST_CASE("3.10.7.4: duplicate and overlapping segments: only the new parts are processed",
          "[data][reassembly]") {
  // "If a segment's contents straddle the boundary between old and new, only the
  // new parts are processed." Past a gap the same holds against what is held.
  RfcEndpoint t;
  t.established(Open::kActive);
  t.deliver(peer_data(100, 200));
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck}});
  t.deliver(peer_data(100, 200));  // an exact duplicate
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck}});
  CHECK(t.conn().held() == 100);
  t.deliver(peer_data(150, 260));  // overlaps the held range's tail
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck}});
  CHECK(t.conn().held() == 160);
  t.deliver(peer_data(120, 130));  // wholly inside what is held
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck}});
  CHECK(t.conn().held() == 160);
  // The gap fills with a segment that overlaps the held octets' head.
  t.deliver(peer_data(0, 120));
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 261, .flags = kAck}});
  CHECK(t.conn().held() == 0);
  // A retransmission of octets already delivered is old: not acceptable, ACKed.
  t.deliver(peer_data(0, 50));
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 261, .flags = kAck}});
  CHECK(read_all(t) == pattern(0, 260));
}

TEST_CASE("3.8.6: held octets stay inside the window offered; the right edge never moves left",
          "[data][reassembly][window]") {
  Config cfg;
  cfg.recv_buffer = 1000;
  RfcEndpoint t(cfg);
  t.established(Open::kActive);  // our SYN offered 1000
  // Octets 500..1199 arrive first: the part past RCV.NXT + RCV.WND (1000) is cut.
  t.deliver(peer_data(500, 1200));
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck, .window = 1000}});
  CHECK(t.conn().held() == 500);
  // Wholly past the window: not acceptable.
  t.deliver(peer_data(1000, 1100));
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck, .window = 1000}});
  CHECK(t.conn().held() == 500);
  // The gap fills: 1000 octets in order, none read, so the window is now zero
  // and its right edge still at IRS + 1 + 1000.
  t.deliver(peer_data(0, 500));
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1001, .flags = kAck, .window = 0}});
  CHECK(read_all(t) == pattern(0, 1000));
  // Reading reopens it (a window update once the edge can move by an MSS).
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1001, .flags = kAck, .window = 1000}});
}

TEST_CASE("3.10.7.2: text on a SYN in LISTEN is queued and delivered once ESTABLISHED",
          "[data][reassembly][listen]") {
  // "set RCV.NXT to SEG.SEQ+1, IRS is set to SEG.SEQ, and any other control or
  // text should be queued for processing later."
  RfcEndpoint t;
  t.listen();
  t.deliver({.seq = kIrs, .flags = kSyn, .payload = pattern(0, 10), .mss = 1460});
  // "<SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>": RCV.NXT = SEG.SEQ + 1, the SYN alone.
  t.expect_tx({{.seq = kIss, .ack = kIrs + 1, .flags = kSyn | kAck, .window = 65535}});
  REQUIRE(t.state() == State::kSynReceived);
  CHECK(t.conn().readable() == 0);
  CHECK(t.conn().held() == 10);
  // The SYN again (our SYN-ACK was lost, say): answered again, nothing queued twice.
  t.deliver({.seq = kIrs, .flags = kSyn, .payload = pattern(0, 10), .mss = 1460});
  t.expect_tx({{.seq = kIss, .ack = kIrs + 1, .flags = kSyn | kAck}});
  CHECK(t.conn().held() == 10);
  // The peer's ACK of our SYN; its SND.NXT already lies past its 10 octets. In
  // ESTABLISHED the queued text is processed: RCV.NXT moves over it and is ACKed.
  t.deliver({.seq = kIrs + 11, .ack = kIss + 1, .flags = kAck});
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 11, .flags = kAck}});
  REQUIRE(t.state() == State::kEstablished);
  auto accepted = t.host().accept(t.listener());
  REQUIRE(accepted.ok());
  REQUIRE(accepted->has_value());
  t.set_socket(**accepted);
  CHECK(read_all(t) == pattern(0, 10));
  // The stream goes on right after it.
  t.deliver(peer_data(10, 20));
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 21, .flags = kAck}});
  CHECK(read_all(t) == pattern(10, 10));
}

TEST_CASE("3.10.7.2: text on a SYN is trimmed to the window the SYN-ACK offers",
          "[data][reassembly][listen]") {
  Config cfg;
  cfg.recv_buffer = 100;
  RfcEndpoint t(cfg);
  t.listen();
  t.deliver({.seq = kIrs, .flags = kSyn, .payload = pattern(0, 150), .mss = 1460});
  t.expect_tx({{.seq = kIss, .ack = kIrs + 1, .flags = kSyn | kAck, .window = 100}});
  CHECK(t.conn().held() == 100);
  // The peer's ACK of our SYN carries its SND.NXT, IRS + 151: past the window
  // (RCV.NXT is still IRS + 1), so not acceptable; the reply names RCV.NXT.
  t.deliver({.seq = kIrs + 151, .ack = kIss + 1, .flags = kAck});
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck}});
  CHECK(t.state() == State::kSynReceived);
  // Its retransmission from IRS + 1 is acceptable: ESTABLISHED, and the 100
  // octets that fitted are delivered. The window is then full.
  t.deliver({.seq = kIrs + 1, .ack = kIss + 1, .flags = kAck, .payload = pattern(0, 150)});
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 101, .flags = kAck, .window = 0}});
  CHECK(t.state() == State::kEstablished);
}

TEST_CASE("3.10.7.3: text on a SYN in SYN-SENT (simultaneous open) waits for ESTABLISHED",
          "[data][reassembly][syn-sent]") {
  // "Otherwise, enter SYN-RECEIVED, form a SYN,ACK segment ... If there are other
  // controls or text in the segment, queue them for processing after the
  // ESTABLISHED state has been reached, return."
  RfcEndpoint t;
  t.syn_sent();
  t.deliver({.seq = kIrs, .flags = kSyn, .payload = pattern(0, 10), .mss = 1460});
  t.expect_tx({{.seq = kIss, .ack = kIrs + 1, .flags = kSyn | kAck}});
  REQUIRE(t.state() == State::kSynReceived);
  CHECK(t.conn().held() == 10);
  t.deliver({.seq = kIrs + 11, .ack = kIss + 1, .flags = kAck});
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 11, .flags = kAck}});
  REQUIRE(t.state() == State::kEstablished);
  CHECK(read_all(t) == pattern(0, 10));
}

TEST_CASE("3.10.7.2: a FIN on a SYN with text (drop_syn_fin off) is processed after the text",
          "[data][reassembly][listen][close]") {
  Config cfg;
  cfg.drop_syn_fin = false;
  RfcEndpoint t(cfg);
  t.listen();
  t.deliver({.seq = kIrs, .flags = kSyn | kFin, .payload = pattern(0, 10), .mss = 1460});
  t.expect_tx({{.seq = kIss, .ack = kIrs + 1, .flags = kSyn | kAck}});
  REQUIRE(t.state() == State::kSynReceived);
  // SYN (1) + 10 octets + FIN (1): the ACK of our SYN brings RCV.NXT to IRS + 12.
  t.deliver({.seq = kIrs + 12, .ack = kIss + 1, .flags = kAck});
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 12, .flags = kAck}});
  CHECK(t.state() == State::kCloseWait);
  CHECK(names(t.recorder.path(t.sock())) ==
        names({State::kListen, State::kSynReceived, State::kEstablished, State::kCloseWait}));
}

TEST_CASE("3.10.7.4 eighth: a FIN with text ahead of a gap ends the stream once the gap fills",
          "[data][reassembly][close]") {
  RfcEndpoint t;
  t.established(Open::kActive);
  // Octets 50..99 and the FIN (at IRS + 101) overtake 0..49.
  t.deliver(peer_data(50, 100, kFin));
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck}});
  CHECK(t.state() == State::kEstablished);
  CHECK(t.recorder.events_of(t.sock()).back() == UserEvent::kConnected);
  // The gap fills: the data first, then the FIN. "advance RCV.NXT over the FIN,
  // and send an acknowledgment for the FIN"; ESTABLISHED -> CLOSE-WAIT.
  t.deliver(peer_data(0, 50));
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 102, .flags = kAck}});
  CHECK(t.state() == State::kCloseWait);
  auto st = t.host().status(t.sock());
  REQUIRE(st.ok());
  CHECK_FALSE(st->end_of_stream);  // 100 octets unread come first
  CHECK(read_all(t) == pattern(0, 100));
  st = t.host().status(t.sock());
  REQUIRE(st.ok());
  CHECK(st->end_of_stream);
}

TEST_CASE("3.10.7.4 eighth: a bare FIN out of order waits for the data before it",
          "[data][reassembly][close]") {
  RfcEndpoint t;
  t.established(Open::kActive);
  t.deliver({.seq = kIrs + 101, .ack = kIss + 1, .flags = kAck | kFin});
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck}});
  CHECK(t.state() == State::kEstablished);
  t.deliver(peer_data(0, 60));
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 61, .flags = kAck}});
  CHECK(t.state() == State::kEstablished);
  t.deliver(peer_data(60, 100));
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 102, .flags = kAck}});
  CHECK(t.state() == State::kCloseWait);
  CHECK(read_all(t) == pattern(0, 100));
}

TEST_CASE("3.10.7.4 eighth: FIN-WAIT-2, the peer's FIN ahead of its data: TIME-WAIT when reached",
          "[data][reassembly][close]") {
  RfcEndpoint t;
  t.fin_wait_2();
  t.deliver({.seq = kIrs + 51, .ack = kIss + 2, .flags = kAck | kFin});
  t.expect_tx({{.seq = kIss + 2, .ack = kIrs + 1, .flags = kAck}});
  CHECK(t.state() == State::kFinWait2);
  CHECK_FALSE(t.conn().timer(TimerKind::kTimeWait).has_value());
  t.deliver({.seq = kIrs + 1, .ack = kIss + 2, .flags = kAck, .payload = pattern(0, 50)});
  t.expect_tx({{.seq = kIss + 2, .ack = kIrs + 52, .flags = kAck}});
  CHECK(t.state() == State::kTimeWait);
  CHECK(t.conn().timer(TimerKind::kTimeWait) == t.now() + t.config().msl * 2);
}

TEST_CASE("a FIN drops octets held past it (a peer's FIN ends its stream)",
          "[data][reassembly][close]") {
  // Only a broken or forged peer sends both; the stream delivered stays a prefix
  // of what was sent before the FIN that is processed.
  RfcEndpoint t;
  t.established(Open::kActive);
  t.deliver(peer_data(100, 200));
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck}});
  t.deliver(peer_data(140, 150, kFin));  // FIN at stream offset 150
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck}});
  CHECK(t.conn().held() == 50);  // 100..149
  t.deliver(peer_data(0, 100));
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 152, .flags = kAck}});
  CHECK(t.state() == State::kCloseWait);
  CHECK(read_all(t) == pattern(0, 150));
}

TEST_CASE("Config::reassembly_max_ranges: the range furthest from RCV.NXT gives way",
          "[data][reassembly][config]") {
  Config cfg;
  cfg.reassembly_max_ranges = 1;
  RfcEndpoint t(cfg);
  t.established(Open::kActive);
  t.deliver(peer_data(100, 110));
  t.deliver(peer_data(200, 210));  // a second range, further: not held
  CHECK(t.conn().held() == 10);
  t.deliver(peer_data(50, 60));  // nearer: held, 100..109 forgotten
  CHECK(t.conn().held() == 10);
  (void)t.take_tx();
  t.deliver(peer_data(0, 50));
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 61, .flags = kAck}});
  CHECK(read_all(t) == pattern(0, 60));
}

TEST_CASE("Config::reassembly_max_ranges = 0: nothing past a gap is held, FIN included",
          "[data][reassembly][config]") {
  Config cfg;
  cfg.reassembly_max_ranges = 0;
  RfcEndpoint t(cfg);
  t.established(Open::kActive);
  t.deliver(peer_data(100, 200, kFin));
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck}});
  CHECK(t.conn().held() == 0);
  t.deliver(peer_data(0, 100));
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 101, .flags = kAck}});
  CHECK(t.state() == State::kEstablished);  // the FIN must come again
  t.deliver(peer_data(100, 200, kFin));
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 202, .flags = kAck}});
  CHECK(t.state() == State::kCloseWait);
  CHECK(read_all(t) == pattern(0, 200));
}

TEST_CASE("reassembly across the wrap: shuffled, duplicated segments from an ISS near 2^32",
          "[data][reassembly][wrap]") {
  // The peer's ISS is 2^32 - 256: its 3000 octets cross 2^32 after 255. Thirty
  // segments of 100 arrive in a fixed pseudo-random order, some twice; every ACK
  // is cumulative, never moves back, and the last covers the whole stream.
  constexpr uint32_t kPeerIss = 0xFFFFFF00;
  for (uint32_t seed : {1u, 2u, 3u, 4u}) {
    INFO("seed " << seed);
    RfcEndpoint t;
    t.active_establish(kPeerIss);
    std::vector<uint32_t> order;
    for (uint32_t i = 0; i < 30; ++i) order.push_back(i);
    std::mt19937 rng(seed);
    std::shuffle(order.begin(), order.end(), rng);
    for (uint32_t i = 0; i < 8; ++i) order.insert(order.begin() + rng() % order.size(), rng() % 30);
    SeqNum last_ack(kPeerIss + 1);
    for (uint32_t i : order) {
      t.deliver({.seq = kPeerIss + 1 + 100 * i,
                 .ack = kIss + 1,
                 .flags = kAck,
                 .payload = pattern(100 * i, 100)});
      for (const Segment& s : t.take_tx()) {
        INFO(describe(s));
        CHECK(seq_leq(last_ack, s.ack));
        // The right edge stays at IRS + 1 + 65535 until the app reads.
        CHECK(s.ack + SeqLen(s.window) == SeqNum(kPeerIss + 1 + 65535));
        last_ack = s.ack;
      }
    }
    CHECK(last_ack == SeqNum(kPeerIss + 1 + 3000));
    CHECK(last_ack == SeqNum(2745));  // by hand: 2^32 - 256 + 1 + 3000 - 2^32
    CHECK(t.conn().held() == 0);
    CHECK(read_all(t) == pattern(0, 3000));
  }
}
