// RFC 9293 3.10.7.4, first check: "Segments are processed in sequence. ... There
// are four cases for the acceptability test for an incoming segment". First the
// pure predicate, table by table; then the same rules through a live connection.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "stack/rfc9293.h"
#include "tests/recording_observer.h"
#include "tests/rfc_endpoint.h"

using namespace synfin;
using namespace synfin::testing;

// ---------------------------------------------------------------------------
// The four cases of segment_acceptable(), one table each.

TEST_CASE("acceptability, case 1: SEG.LEN = 0, RCV.WND = 0 -> SEG.SEQ = RCV.NXT",
          "[rfc9293][acceptability]") {
  auto [seq, rcv_nxt, ok] = GENERATE(table<uint32_t, uint32_t, bool>({
      {1000, 1000, true},
      {999, 1000, false},
      {1001, 1000, false},
      {0xFFFFFFFF, 0xFFFFFFFF, true},
      {0, 0xFFFFFFFF, false},
      {0xFFFFFFFE, 0xFFFFFFFF, false},
      {0, 0, true},
      {0x80000000, 0, false},
  }));
  INFO("SEG.SEQ " << seq << " RCV.NXT " << rcv_nxt);
  CHECK(segment_acceptable(SeqNum(seq), SeqLen(0), SeqNum(rcv_nxt), SeqLen(0)) == ok);
}

TEST_CASE("acceptability, case 2: SEG.LEN = 0, RCV.WND > 0 -> RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND",
          "[rfc9293][acceptability]") {
  auto [seq, rcv_nxt, wnd, ok] = GENERATE(table<uint32_t, uint32_t, uint32_t, bool>({
      // An ordinary window [1000, 1100).
      {999, 1000, 100, false},
      {1000, 1000, 100, true},
      {1050, 1000, 100, true},
      {1099, 1000, 100, true},
      {1100, 1000, 100, false},
      {1000 + 0x80000000u, 1000, 100, false},
      // A window straddling 2^32: [0xFFFFFFF0, 0x10).
      {0xFFFFFFEF, 0xFFFFFFF0, 0x20, false},
      {0xFFFFFFF0, 0xFFFFFFF0, 0x20, true},
      {0xFFFFFFFF, 0xFFFFFFF0, 0x20, true},
      {0x00000000, 0xFFFFFFF0, 0x20, true},
      {0x0000000F, 0xFFFFFFF0, 0x20, true},
      {0x00000010, 0xFFFFFFF0, 0x20, false},
      {0x7FFFFFF0, 0xFFFFFFF0, 0x20, false},
      // The largest unscaled window, ending exactly at 2^32: [0xFFFF0000, 0xFFFFFFFF).
      {0xFFFFFFFE, 0xFFFF0000, 0xFFFF, true},
      {0xFFFFFFFF, 0xFFFF0000, 0xFFFF, false},
      {0xFFFEFFFF, 0xFFFF0000, 0xFFFF, false},
      // A window of one.
      {0, 0, 1, true},
      {1, 0, 1, false},
  }));
  INFO("SEG.SEQ " << seq << " RCV.NXT " << rcv_nxt << " RCV.WND " << wnd);
  CHECK(segment_acceptable(SeqNum(seq), SeqLen(0), SeqNum(rcv_nxt), SeqLen(wnd)) == ok);
}

TEST_CASE("acceptability, case 3: SEG.LEN > 0, RCV.WND = 0 -> not acceptable",
          "[rfc9293][acceptability]") {
  auto [seq, len, rcv_nxt] = GENERATE(table<uint32_t, uint32_t, uint32_t>({
      {1000, 1, 1000},
      {1000, 100, 1000},
      {999, 2, 1000},
      {0xFFFFFFFF, 1, 0xFFFFFFFF},
      {0xFFFFFFFF, 5, 0},
  }));
  INFO("SEG.SEQ " << seq << " SEG.LEN " << len << " RCV.NXT " << rcv_nxt);
  CHECK_FALSE(segment_acceptable(SeqNum(seq), SeqLen(len), SeqNum(rcv_nxt), SeqLen(0)));
}

TEST_CASE("acceptability, case 4: SEG.LEN > 0, RCV.WND > 0 -> first or last octet in the window",
          "[rfc9293][acceptability]") {
  // RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
  //   or RCV.NXT =< SEG.SEQ+SEG.LEN-1 < RCV.NXT+RCV.WND
  auto [what, seq, len, rcv_nxt, wnd, ok] =
      GENERATE(table<const char*, uint32_t, uint32_t, uint32_t, uint32_t, bool>({
          {"entirely old", 900, 100, 1000, 100, false},
          {"last octet at RCV.NXT", 900, 101, 1000, 100, true},
          {"first octet at RCV.NXT", 1000, 1, 1000, 100, true},
          {"inside", 1010, 50, 1000, 100, true},
          {"first octet at the right edge - 1", 1099, 50, 1000, 100, true},
          {"first octet at the right edge", 1100, 1, 1000, 100, false},
          {"far beyond", 5000, 10, 1000, 100, false},
          // Neither end inside: the RFC's test, taken literally, rejects it.
          {"covers the whole window", 950, 300, 1000, 100, false},
          // Around 2^32, window [0xFFFFFFF0, 0x10).
          {"old, ends at 0xFFFFFFEF", 0xFFFFFFE0, 0x10, 0xFFFFFFF0, 0x20, false},
          {"old, last octet at RCV.NXT", 0xFFFFFFE0, 0x11, 0xFFFFFFF0, 0x20, true},
          {"crosses 0", 0xFFFFFFFF, 2, 0xFFFFFFF0, 0x20, true},
          {"after 0, inside", 0x0F, 10, 0xFFFFFFF0, 0x20, true},
          {"after 0, at the right edge", 0x10, 1, 0xFFFFFFF0, 0x20, false},
          {"RCV.NXT = 0, last octet at 2^32-1", 0xFFFFFFFF, 1, 0, 10, false},
          {"RCV.NXT = 0, last octet at 0", 0xFFFFFFFF, 2, 0, 10, true},
      }));
  INFO(what << ": SEG.SEQ " << seq << " SEG.LEN " << len << " RCV.NXT " << rcv_nxt << " RCV.WND "
            << wnd);
  CHECK(segment_acceptable(SeqNum(seq), SeqLen(len), SeqNum(rcv_nxt), SeqLen(wnd)) == ok);
}

// ---------------------------------------------------------------------------
// Through a live connection.

TEST_CASE(
    "3.10.7.4: an unacceptable segment earns <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and is dropped",
    "[rfc9293][acceptability][established]") {
  // "If an incoming segment is not acceptable, an acknowledgment should be sent in
  // reply (unless the RST bit is set, if so drop the segment and return):
  // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>. After sending the acknowledgment, drop the
  // unacceptable segment and return."
  RfcEndpoint t;
  t.established(Open::kActive);
  const uint32_t wnd = t.tcb().rcv_wnd;
  REQUIRE(wnd == 65535);
  // Some data of ours in flight, so SND.NXT (ISS+101) differs from SND.UNA.
  REQUIRE(t.host().send(t.now(), t.sock(), pattern(0, 100)).ok());
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck | kPsh, .len = 100}});

  auto [what, seq, len, flags] = GENERATE_COPY(table<const char*, uint32_t, size_t, Flags>({
      {"data at the right edge", kIrs + 1 + wnd, 10, kAck},
      {"data far beyond", kIrs + 1 + 0x40000000u, 10, kAck},
      {"old data", kIrs + 1 - 1000, 10, kAck},
      {"old empty ACK", kIrs, 0, kAck},
      {"FIN beyond the window", kIrs + 1 + wnd, 0, kFin | kAck},
  }));
  INFO(what);
  t.deliver({.seq = seq, .ack = kIss + 1, .flags = flags, .payload = pattern(0, len)});
  t.expect_tx({{.seq = kIss + 101, .ack = kIrs + 1, .flags = kAck}});
  CHECK(t.state() == State::kEstablished);
  CHECK(t.conn().readable() == 0);
  CHECK(t.tcb().rcv_nxt == SeqNum(kIrs + 1));
}

TEST_CASE("3.10.7.4: an unacceptable RST is dropped without a reply",
          "[rfc9293][acceptability][established]") {
  RfcEndpoint t;
  t.established(Open::kActive);
  t.deliver({.seq = kIrs + 1 + 65535, .flags = kRst});
  t.expect_nothing();
  CHECK(t.state() == State::kEstablished);
}

TEST_CASE(
    "3.10.7.4: an old duplicate of data already received is acknowledged, not delivered twice",
    "[rfc9293][acceptability][data]") {
  RfcEndpoint t;
  t.established(Open::kActive);
  t.deliver({.seq = kIrs + 1, .ack = kIss + 1, .flags = kAck | kPsh, .payload = pattern(0, 100)});
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 101, .flags = kAck}});
  t.deliver({.seq = kIrs + 1, .ack = kIss + 1, .flags = kAck | kPsh, .payload = pattern(0, 100)});
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 101, .flags = kAck}});
  CHECK(t.conn().readable() == 100);
  CHECK(t.tcb().rcv_nxt == SeqNum(kIrs + 101));
}

TEST_CASE("3.10.7.4: a segment straddling RCV.NXT has only its new part processed",
          "[rfc9293][acceptability][data]") {
  // "If a segment's contents straddle the boundary between old and new, only the
  // new parts are processed."
  RfcEndpoint t;
  t.established(Open::kActive);
  t.deliver({.seq = kIrs + 1, .ack = kIss + 1, .flags = kAck, .payload = pattern(0, 100)});
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 101, .flags = kAck}});
  // Octets 50..149: 50 old, 50 new.
  t.deliver({.seq = kIrs + 1 + 50, .ack = kIss + 1, .flags = kAck, .payload = pattern(50, 100)});
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 151, .flags = kAck}});
  REQUIRE(t.conn().readable() == 150);
  std::vector<uint8_t> buf(200);
  auto n = t.host().recv(t.now(), t.sock(), buf);
  REQUIRE(n.ok());
  REQUIRE(*n == 150);
  buf.resize(150);
  CHECK(buf == pattern(0, 150));
}

TEST_CASE("3.10.7.4: a segment reaching past the right window edge is trimmed to the window",
          "[rfc9293][acceptability][data]") {
  // "One could tailor actual segments to fit this assumption by trimming off any
  // portions that lie outside the window (including SYN and FIN)".
  Config cfg;
  cfg.recv_buffer = 1000;
  RfcEndpoint t(cfg);
  t.established(Open::kActive);
  REQUIRE(t.tcb().rcv_wnd == 1000);
  t.deliver({.seq = kIrs + 1, .ack = kIss + 1, .flags = kAck | kFin, .payload = pattern(0, 1200)});
  // 1000 octets taken, the rest and the FIN beyond the edge left out.
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1001, .flags = kAck, .window = 0}});
  CHECK(t.conn().readable() == 1000);
  CHECK(t.state() == State::kEstablished);
  CHECK_FALSE(t.conn().peer_fin_received());
}

TEST_CASE("3.10.7.4: with RCV.WND = 0, data at RCV.NXT is not accepted but its ACK is processed",
          "[rfc9293][acceptability][zero-window]") {
  // "If the RCV.WND is zero, no segments will be acceptable, but special allowance
  // should be made to accept valid ACKs, URGs, and RSTs."
  Config cfg;
  cfg.recv_buffer = 1000;
  RfcEndpoint t(cfg);
  t.established(Open::kActive);
  // 50 octets of ours in flight.
  REQUIRE(t.host().send(t.now(), t.sock(), pattern(0, 50)).ok());
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck | kPsh, .len = 50}});
  // The peer fills our receive buffer; the app does not read.
  t.deliver({.seq = kIrs + 1, .ack = kIss + 1, .flags = kAck, .payload = pattern(0, 1000)});
  t.expect_tx({{.seq = kIss + 51, .ack = kIrs + 1001, .flags = kAck, .window = 0}});
  REQUIRE(t.tcb().rcv_wnd == 0);

  // Data at RCV.NXT that also acknowledges our 50 octets.
  t.deliver({.seq = kIrs + 1001, .ack = kIss + 51, .flags = kAck, .payload = pattern(1000, 10)});
  t.expect_tx({{.seq = kIss + 51, .ack = kIrs + 1001, .flags = kAck, .window = 0}});
  CHECK(t.tcb().rcv_nxt == SeqNum(kIrs + 1001));  // the text was not taken
  CHECK(t.conn().readable() == 1000);
  CHECK(t.tcb().snd_una == SeqNum(kIss + 51));  // the ACK was
  CHECK(t.tcb().send_queued == 0);
  CHECK_FALSE(t.conn().timer(TimerKind::kRetransmit).has_value());

  // Reading opens the window again: a window update goes out.
  std::vector<uint8_t> buf(1000);
  auto n = t.host().recv(t.now(), t.sock(), buf);
  REQUIRE(n.ok());
  CHECK(*n == 1000);
  CHECK(buf == pattern(0, 1000));
  t.expect_tx({{.seq = kIss + 51, .ack = kIrs + 1001, .flags = kAck, .window = 1000}});
  // The same data now fits.
  t.deliver({.seq = kIrs + 1001, .ack = kIss + 51, .flags = kAck, .payload = pattern(1000, 10)});
  t.expect_tx({{.seq = kIss + 51, .ack = kIrs + 1011, .flags = kAck, .window = 990}});
}

TEST_CASE("3.10.7.4: with RCV.WND = 0, a RST at RCV.NXT is still accepted",
          "[rfc9293][acceptability][zero-window][rst]") {
  Config cfg;
  cfg.recv_buffer = 1000;
  RfcEndpoint t(cfg);
  t.established(Open::kActive);
  t.deliver({.seq = kIrs + 1, .ack = kIss + 1, .flags = kAck, .payload = pattern(0, 1000)});
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1001, .flags = kAck, .window = 0}});
  t.deliver({.seq = kIrs + 1001, .flags = kRst});
  t.expect_nothing();
  CHECK(t.tcb_freed());
  CHECK(t.final_reason() == CloseReason::kReset);
}
