// RFC 5961 "Improving TCP's Robustness to Blind In-Window Attacks", as adopted by
// RFC 9293 3.10.7.4: the RST rule (section 3), the SYN rule (4) and the ACK range
// check (5), each against its RFC 793 arm (Config toggles off).
//
// A conformance matrix in the manner of tcp-testsuite: for each synchronized state,
// a segment at each window position {left edge - 1, left edge, inside, right edge
// - 1, right edge, beyond}, and the reaction the RFC prescribes, written out as a
// table to be checked line by line against the text.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/recording_observer.h"
#include "tests/rfc_endpoint.h"

using namespace synfin;
using namespace synfin::testing;

namespace {

enum class Pos { kLeftMinus1, kLeft, kInside, kRightMinus1, kRight, kBeyond };

const char* to_string(Pos p) {
  switch (p) {
    case Pos::kLeftMinus1: return "RCV.NXT-1";
    case Pos::kLeft: return "RCV.NXT";
    case Pos::kInside: return "RCV.NXT+RCV.WND/2";
    case Pos::kRightMinus1: return "RCV.NXT+RCV.WND-1";
    case Pos::kRight: return "RCV.NXT+RCV.WND";
    case Pos::kBeyond: return "RCV.NXT+RCV.WND+2^20";
  }
  return "?";
}

uint32_t seq_at(Pos p, uint32_t rcv_nxt, uint32_t rcv_wnd) {
  switch (p) {
    case Pos::kLeftMinus1: return rcv_nxt - 1;
    case Pos::kLeft: return rcv_nxt;
    case Pos::kInside: return rcv_nxt + rcv_wnd / 2;
    case Pos::kRightMinus1: return rcv_nxt + rcv_wnd - 1;
    case Pos::kRight: return rcv_nxt + rcv_wnd;
    case Pos::kBeyond: return rcv_nxt + rcv_wnd + (1u << 20);
  }
  return 0;
}

enum class Reaction {
  kDrop,          // nothing sent, nothing changes
  kAck,           // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, nothing changes (challenge or dup ACK)
  kReset,         // nothing sent; CLOSED, the TCB deleted
  kResetWithRst,  // a RST answering the SYN (3.10.7.1 form); CLOSED
};

const char* to_string(Reaction r) {
  switch (r) {
    case Reaction::kDrop: return "drop";
    case Reaction::kAck: return "ACK";
    case Reaction::kReset: return "reset";
    case Reaction::kResetWithRst: return "RST and reset";
  }
  return "?";
}

// The synchronized states where data may still flow one way or the other. TIME-WAIT
// has its own rules (RFC 1337) and its own tests.
const std::vector<State> kSynchronized = {State::kEstablished, State::kFinWait1, State::kFinWait2,
                                          State::kCloseWait,   State::kClosing,  State::kLastAck};

struct Case {
  State state;
  Pos pos;
  bool rfc5961;
};

// Drives one segment into a connection in `state` and checks the reaction.
void check_reaction(const Case& c, Flags flags, Reaction want) {
  INFO(to_string(c.state) << ", " << flags_to_string(flags) << " at " << to_string(c.pos)
                          << ", RFC 5961 " << (c.rfc5961 ? "on" : "off") << ": expect "
                          << to_string(want));
  Config cfg;
  cfg.rfc5961_rst = c.rfc5961;
  cfg.rfc5961_syn = c.rfc5961;
  RfcEndpoint t(cfg);
  t.reach(c.state);
  const TcbSnapshot before = t.tcb();
  REQUIRE(before.rcv_wnd > 1000);
  const uint32_t seq = seq_at(c.pos, before.rcv_nxt.raw, before.rcv_wnd);
  t.deliver({.seq = seq, .flags = flags});
  switch (want) {
    case Reaction::kDrop: t.expect_nothing(); break;
    case Reaction::kAck:
      t.expect_tx({{.seq = before.snd_nxt.raw, .ack = before.rcv_nxt.raw, .flags = kAck}});
      break;
    case Reaction::kReset: t.expect_nothing(); break;
    case Reaction::kResetWithRst:
      t.expect_tx({{.seq = 0, .ack = seq + 1, .flags = kRst | kAck}});
      break;
  }
  if (want == Reaction::kReset || want == Reaction::kResetWithRst) {
    CHECK(t.tcb_freed());
  } else {
    REQUIRE_FALSE(t.tcb_freed());
    CHECK(t.tcb() == before);
  }
}

}  // namespace

// ---------------------------------------------------------------------------
// RST (RFC 5961 3.2; RFC 9293 3.10.7.4 second check).

TEST_CASE("RFC 5961 3.2: RST by window position, in every synchronized state, both arms",
          "[rfc5961][rst][matrix]") {
  // RFC 5961 3.2: "1) If the RST bit is set and the sequence number is outside the
  // current receive window, silently drop the segment. 2) If the RST bit is set
  // and the sequence number exactly matches the next expected sequence number
  // (RCV.NXT), then TCP MUST reset the connection. 3) If the RST bit is set and
  // the sequence number does not exactly match the next expected sequence value,
  // yet is within the current receive window, TCP MUST send an acknowledgment
  // (challenge ACK): <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>".
  // RFC 793 (off): any RST inside the window resets.
  auto [pos, with_5961, without_5961] = GENERATE(table<Pos, Reaction, Reaction>({
      {Pos::kLeftMinus1, Reaction::kDrop, Reaction::kDrop},
      {Pos::kLeft, Reaction::kReset, Reaction::kReset},
      {Pos::kInside, Reaction::kAck, Reaction::kReset},
      {Pos::kRightMinus1, Reaction::kAck, Reaction::kReset},
      {Pos::kRight, Reaction::kDrop, Reaction::kDrop},
      {Pos::kBeyond, Reaction::kDrop, Reaction::kDrop},
  }));
  const State state = GENERATE(from_range(kSynchronized));
  const bool rfc5961 = GENERATE(true, false);
  check_reaction({state, pos, rfc5961}, kRst, rfc5961 ? with_5961 : without_5961);
}

TEST_CASE("RFC 5961 3.2: RST at RCV.NXT in ESTABLISHED resets, and the user is told",
          "[rfc5961][rst][established]") {
  RfcEndpoint t;
  t.established(Open::kActive);
  t.deliver({.seq = kIrs + 1, .flags = kRst});
  t.expect_nothing();
  CHECK(t.tcb_freed());
  CHECK(t.final_reason() == CloseReason::kReset);
  CHECK(t.recorder.events_of(t.sock()).back() == UserEvent::kReset);
  // The handle reports the reset to RECEIVE.
  std::vector<uint8_t> buf(10);
  CHECK_FALSE(t.host().recv(t.now(), t.sock(), buf).ok());
}

TEST_CASE("RFC 5961 3.2: in-window RST with SEG.SEQ != RCV.NXT elicits a challenge ACK",
          "[rfc5961][rst][established]") {
  RfcEndpoint t;
  t.established(Open::kActive);
  t.deliver({.seq = kIrs + 1 + 10, .flags = kRst});
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck}});
  CHECK(t.state() == State::kEstablished);
  // The true peer answers the challenge with a RST at exactly RCV.NXT.
  t.deliver({.seq = kIrs + 1, .flags = kRst});
  CHECK(t.tcb_freed());
}

TEST_CASE("RFC 5961 off: an in-window RST with SEG.SEQ != RCV.NXT resets (RFC 793)",
          "[rfc5961][rst][established]") {
  Config cfg;
  cfg.rfc5961_rst = false;
  RfcEndpoint t(cfg);
  t.established(Open::kActive);
  t.deliver({.seq = kIrs + 1 + 10, .flags = kRst});
  t.expect_nothing();
  CHECK(t.tcb_freed());
  CHECK(t.final_reason() == CloseReason::kReset);
}

// ---------------------------------------------------------------------------
// SYN (RFC 5961 4.2; RFC 9293 3.10.7.4 fourth check).

TEST_CASE("RFC 5961 4.2: SYN by window position, in every synchronized state, both arms",
          "[rfc5961][syn][matrix]") {
  // RFC 5961 4.2: "If the SYN bit is set, irrespective of the sequence number, TCP
  // MUST send an ACK (also referred to as challenge ACK) to the remote peer:
  // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>. After sending the acknowledgment, TCP
  // MUST drop the unacceptable segment and stop processing further."
  // RFC 793 (off): "If the SYN is in the window it is an error, send a reset ...
  // enter the CLOSED state"; outside the window the first check sends an ACK.
  // (The SYN occupies one sequence number: at RCV.NXT-1 it lies wholly left of the
  // window.)
  auto [pos, with_5961, without_5961] = GENERATE(table<Pos, Reaction, Reaction>({
      {Pos::kLeftMinus1, Reaction::kAck, Reaction::kAck},
      {Pos::kLeft, Reaction::kAck, Reaction::kResetWithRst},
      {Pos::kInside, Reaction::kAck, Reaction::kResetWithRst},
      {Pos::kRightMinus1, Reaction::kAck, Reaction::kResetWithRst},
      {Pos::kRight, Reaction::kAck, Reaction::kAck},
      {Pos::kBeyond, Reaction::kAck, Reaction::kAck},
  }));
  const State state = GENERATE(from_range(kSynchronized));
  const bool rfc5961 = GENERATE(true, false);
  check_reaction({state, pos, rfc5961}, kSyn, rfc5961 ? with_5961 : without_5961);
}

TEST_CASE("RFC 5961 4.2: a SYN in ESTABLISHED gets a challenge ACK and changes nothing",
          "[rfc5961][syn][established]") {
  RfcEndpoint t;
  t.established(Open::kActive);
  t.deliver({.seq = kIrs + 1, .flags = kSyn, .mss = 1460});
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck}});
  CHECK(t.state() == State::kEstablished);
  // The connection is intact: data still flows.
  t.deliver({.seq = kIrs + 1, .ack = kIss + 1, .flags = kAck, .payload = pattern(0, 5)});
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 6, .flags = kAck}});
}

TEST_CASE(
    "RFC 5961 off: an in-window SYN in ESTABLISHED is answered by RST and the connection closed",
    "[rfc5961][syn][established]") {
  Config cfg;
  cfg.rfc5961_syn = false;
  RfcEndpoint t(cfg);
  t.established(Open::kActive);
  t.deliver({.seq = kIrs + 100, .flags = kSyn});
  t.expect_tx({{.seq = 0, .ack = kIrs + 101, .flags = kRst | kAck}});
  CHECK(t.tcb_freed());
  CHECK(t.final_reason() == CloseReason::kReset);
  CHECK(t.recorder.events_of(t.sock()).back() == UserEvent::kReset);
}

// ---------------------------------------------------------------------------
// ACK range (RFC 5961 5.2; RFC 9293 3.10.7.4 fifth check).

TEST_CASE(
    "RFC 5961 5.2: ACK acceptable only from SND.UNA - MAX.SND.WND to SND.NXT; else ACK and drop",
    "[rfc5961][ack][matrix]") {
  // RFC 5961 5.2: "the ACK value is considered acceptable only if it is in the
  // range of ((SND.UNA - MAX.SND.WND) =< SEG.ACK =< SND.NXT). All incoming segments
  // whose ACK value doesn't satisfy the above condition MUST be discarded and an
  // ACK sent back." RFC 9293: "If the ACK acks something not yet sent (SEG.ACK >
  // SND.NXT), then send an ACK, drop the segment, and return" (both arms). A
  // dropped segment's data is not delivered.
  //
  // Set-up: 1000 octets of ours acknowledged, 500 more in flight:
  // SND.UNA = ISS+1001, SND.NXT = ISS+1501, MAX.SND.WND = 65535.
  static constexpr uint32_t kUna = kIss + 1001;
  static constexpr uint32_t kNxt = kIss + 1501;
  static constexpr uint32_t kMaxWnd = 65535;
  auto [what, seg_ack, with_5961, without_5961] =
      GENERATE(table<const char*, uint32_t, bool, bool>({
          // accepted?                                      5961 on, off
          {"SND.UNA - MAX.SND.WND - 1", kUna - kMaxWnd - 1, false, true},
          {"SND.UNA - MAX.SND.WND", kUna - kMaxWnd, true, true},
          {"SND.UNA - 1", kUna - 1, true, true},
          {"SND.UNA", kUna, true, true},
          {"SND.UNA + 200", kUna + 200, true, true},
          {"SND.NXT", kNxt, true, true},
          {"SND.NXT + 1", kNxt + 1, false, false},
          {"SND.NXT + 2^30", kNxt + (1u << 30), false, false},
      }));
  const bool rfc5961 = GENERATE(true, false);
  const bool accepted = rfc5961 ? with_5961 : without_5961;
  INFO("SEG.ACK = " << what << ", RFC 5961 " << (rfc5961 ? "on" : "off") << ": "
                    << (accepted ? "accepted" : "ACK and drop"));
  Config cfg;
  cfg.rfc5961_ack = rfc5961;
  RfcEndpoint t(cfg);
  t.established(Open::kActive);
  REQUIRE(t.host().send(t.now(), t.sock(), pattern(0, 1000)).ok());
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck | kPsh, .len = 1000}});
  t.deliver({.seq = kIrs + 1, .ack = kUna, .flags = kAck});
  t.expect_nothing();
  REQUIRE(t.host().send(t.now(), t.sock(), pattern(1000, 500)).ok());
  t.expect_tx({{.seq = kUna, .ack = kIrs + 1, .flags = kAck | kPsh, .len = 500}});
  REQUIRE(t.tcb().snd_una == SeqNum(kUna));
  REQUIRE(t.tcb().snd_nxt == SeqNum(kNxt));

  // Ten octets of data at RCV.NXT, carrying the ACK under test.
  t.deliver({.seq = kIrs + 1, .ack = seg_ack, .flags = kAck, .payload = pattern(0, 10)});
  if (accepted) {
    t.expect_tx({{.seq = kNxt, .ack = kIrs + 11, .flags = kAck}});
    CHECK(t.conn().readable() == 10);
    const uint32_t una = seq_gt(SeqNum(seg_ack), SeqNum(kUna)) ? seg_ack : kUna;
    CHECK(t.tcb().snd_una == SeqNum(una));
  } else {
    t.expect_tx({{.seq = kNxt, .ack = kIrs + 1, .flags = kAck}});
    CHECK(t.conn().readable() == 0);
    CHECK(t.tcb().rcv_nxt == SeqNum(kIrs + 1));
    CHECK(t.tcb().snd_una == SeqNum(kUna));
  }
  CHECK(t.state() == State::kEstablished);
}
