// RFC 9293 3.5.2 "Reset Generation" and 3.10.7.1 - 3.10.7.3: which segments earn
// a RST, in which form, and which RSTs are ignored, before a connection is
// synchronized.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "stack/rfc9293.h"
#include "tests/recording_observer.h"
#include "tests/rfc_endpoint.h"

using namespace synfin;
using namespace synfin::testing;

namespace {

// A segment the peer sends and the reply the RFC prescribes (nullopt: none).
struct ResetRow {
  const char* what;
  Flags flags;
  uint32_t seq;
  uint32_t ack;
  size_t payload;
  std::optional<TxSpec> reply;
};

std::string describe_row(const ResetRow& r) {
  return std::string(r.what) + " (" + flags_to_string(r.flags) + " seq " + std::to_string(r.seq) +
         " ack " + std::to_string(r.ack) + " len " + std::to_string(r.payload) + ")";
}

// 3.10.7.1 CLOSED ("TCB does not exist"): "An incoming segment containing a RST is
// discarded. An incoming segment not containing a RST causes a RST to be sent in
// response. ... If the ACK bit is off, sequence number zero is used,
// <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. If the ACK bit is on,
// <SEQ=SEG.ACK><CTL=RST>". SEG.LEN counts the SYN, the FIN and the payload.
const std::vector<ResetRow> kNoTcbTable = {
    {"SYN", kSyn, 7000, 0, 0, TxSpec{.seq = 0, .ack = 7001, .flags = kRst | kAck}},
    {"SYN with data", kSyn, 7000, 0, 20, TxSpec{.seq = 0, .ack = 7021, .flags = kRst | kAck}},
    {"SYN,FIN", kSyn | kFin, 7000, 0, 0, TxSpec{.seq = 0, .ack = 7002, .flags = kRst | kAck}},
    {"FIN with data", kFin, 7000, 0, 10, TxSpec{.seq = 0, .ack = 7011, .flags = kRst | kAck}},
    {"data, no flags", Flags{}, 7000, 0, 100, TxSpec{.seq = 0, .ack = 7100, .flags = kRst | kAck}},
    {"empty, no flags", Flags{}, 7000, 0, 0, TxSpec{.seq = 0, .ack = 7000, .flags = kRst | kAck}},
    {"SYN at 2^32-1", kSyn, 0xFFFFFFFF, 0, 0, TxSpec{.seq = 0, .ack = 0, .flags = kRst | kAck}},
    {"FIN+data across 2^32", kFin, 0xFFFFFFF0, 0, 20,
     TxSpec{.seq = 0, .ack = 5, .flags = kRst | kAck}},
    {"ACK", kAck, 7000, 123456, 0, TxSpec{.seq = 123456, .flags = kRst}},
    {"ACK with data", kAck | kPsh, 7000, 123456, 50, TxSpec{.seq = 123456, .flags = kRst}},
    {"SYN,ACK", kSyn | kAck, 7000, 0xFFFFFFFF, 0, TxSpec{.seq = 0xFFFFFFFF, .flags = kRst}},
    {"FIN,ACK", kFin | kAck, 7000, 42, 0, TxSpec{.seq = 42, .flags = kRst}},
    {"RST", kRst, 7000, 0, 0, std::nullopt},
    {"RST,ACK", kRst | kAck, 7000, 99, 0, std::nullopt},
    {"RST,SYN", kRst | kSyn, 7000, 0, 0, std::nullopt},
};

}  // namespace

TEST_CASE("3.10.7.1: reset_for() forms the reply to a segment that meets no TCB",
          "[rfc9293][rst][no-tcb]") {
  const ResetRow row = GENERATE(from_range(kNoTcbTable));
  INFO(describe_row(row));
  Segment seg;
  seg.src_port = 1234;
  seg.dst_port = 80;
  seg.seq = SeqNum(row.seq);
  seg.ack = SeqNum(row.ack);
  seg.flags = row.flags;
  seg.payload = pattern(0, row.payload);
  const std::optional<Segment> rst = reset_for(seg);
  REQUIRE(rst.has_value() == row.reply.has_value());
  if (!rst) return;
  INFO("got " << describe(*rst));
  CHECK(matches(*rst, *row.reply));
  CHECK(rst->src_port == 80);  // the segment's ports, swapped
  CHECK(rst->dst_port == 1234);
  CHECK(rst->payload.empty());
}

TEST_CASE("3.10.7.1: a segment to a port with no listener and no connection is answered by a RST",
          "[rfc9293][rst][no-tcb]") {
  const ResetRow row = GENERATE(from_range(kNoTcbTable));
  INFO(describe_row(row));
  RfcEndpoint t;  // nothing listens on kLocalPort, and there is no connection
  t.deliver(
      {.seq = row.seq, .ack = row.ack, .flags = row.flags, .payload = pattern(0, row.payload)});
  if (row.reply) {
    std::vector<Segment> out = t.take_tx();
    REQUIRE(out.size() == 1);
    INFO("got " << describe(out[0]));
    CHECK(matches(out[0], *row.reply));
    CHECK(out[0].src_port == kLocalPort);
    CHECK(out[0].dst_port == kRemotePort);
    CHECK(t.host().stats().resets_no_tcb == 1);
  } else {
    t.expect_nothing();
    CHECK(t.host().stats().resets_no_tcb == 0);
  }
  CHECK(t.host().connection_count() == 0);
  CHECK(t.recorder.transitions().empty());
}

TEST_CASE("3.10.7.1: a host that listens elsewhere still resets a segment to a closed port",
          "[rfc9293][rst][no-tcb]") {
  RfcEndpoint t;
  REQUIRE(t.host().listen(t.now(), 8080).ok());  // not kLocalPort
  t.deliver({.seq = 7000, .flags = kSyn});
  t.expect_tx({{.seq = 0, .ack = 7001, .flags = kRst | kAck}});
  t.deliver({.seq = 7001, .ack = 5555, .flags = kAck});
  t.expect_tx({{.seq = 5555, .flags = kRst}});
  CHECK(t.host().connection_count() == 1);  // the listener on 8080 alone
}

// ---------------------------------------------------------------------------
// LISTEN (3.10.7.2).

TEST_CASE("3.10.7.2 LISTEN: any ACK-bearing segment is answered by <SEQ=SEG.ACK><CTL=RST>",
          "[rfc9293][rst][listen]") {
  // "Any acknowledgment is bad if it arrives on a connection still in the LISTEN
  // state. An acceptable reset segment should be formed for any arriving
  // ACK-bearing segment. The RST should be formatted as follows:
  // <SEQ=SEG.ACK><CTL=RST>"
  auto [what, flags, ack, len] = GENERATE(table<const char*, Flags, uint32_t, size_t>({
      {"ACK", kAck, 777, 0},
      {"ACK with data", kAck | kPsh, 0x80000000, 30},
      {"SYN,ACK", kSyn | kAck, 0xFFFFFFFF, 0},
      {"FIN,ACK", kFin | kAck, 0, 0},
  }));
  INFO(what);
  RfcEndpoint t;
  t.reach(State::kListen);
  t.deliver({.seq = 7000, .ack = ack, .flags = flags, .payload = pattern(0, len)});
  t.expect_tx({{.seq = ack, .flags = kRst}});
  // Nothing was created: the listener alone, still listening.
  CHECK(t.host().connection_count() == 1);
  CHECK(t.state() == State::kListen);
  CHECK_FALSE(t.recorder.saw(State::kListen, State::kSynReceived, Cause::kRecvSyn));
  // And it still accepts a real SYN.
  t.deliver({.seq = 7000, .flags = kSyn});
  t.expect_tx({{.seq = kIss, .ack = 7001, .flags = kSyn | kAck}});
}

TEST_CASE("3.10.7.2 LISTEN: an incoming RST is ignored", "[rfc9293][rst][listen]") {
  // "An incoming RST segment could not be valid since it could not have been sent
  // in response to anything sent by this incarnation of the connection. An
  // incoming RST should be ignored."
  const Flags flags = GENERATE(as<Flags>{}, kRst, kRst | kAck, kRst | kSyn, kRst | kFin);
  INFO(flags_to_string(flags));
  RfcEndpoint t;
  t.reach(State::kListen);
  t.deliver({.seq = 7000, .ack = 1, .flags = flags});
  t.expect_nothing();
  CHECK(t.state() == State::kListen);
  CHECK(t.host().connection_count() == 1);
}

TEST_CASE("3.10.7.2 LISTEN: a segment with neither SYN, ACK nor RST is dropped",
          "[rfc9293][listen]") {
  // "Fourth, other data or control: This should not be reached. Drop the segment
  // and return. Any other control or text-bearing segment (not containing SYN)
  // must have an ACK and thus would have been discarded by the ACK processing".
  const Flags flags = GENERATE(as<Flags>{}, Flags{}, kFin, kPsh);
  INFO(flags_to_string(flags));
  RfcEndpoint t;
  t.reach(State::kListen);
  t.deliver({.seq = 7000, .flags = flags, .payload = pattern(0, 10)});
  t.expect_nothing();
  CHECK(t.host().connection_count() == 1);
}

TEST_CASE("Config::drop_syn_fin: SYN+FIN to a listener gets no reply and opens nothing",
          "[rfc9293][listen]") {
  RfcEndpoint t;
  t.reach(State::kListen);
  t.deliver({.seq = 7000, .flags = kSyn | kFin});
  t.expect_nothing();
  CHECK(t.host().connection_count() == 1);
}

// ---------------------------------------------------------------------------
// SYN-SENT (3.10.7.3).

TEST_CASE("3.10.7.3 SYN-SENT: SEG.ACK =< ISS or SEG.ACK > SND.NXT earns <SEQ=SEG.ACK><CTL=RST>",
          "[rfc9293][rst][syn-sent]") {
  // "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset (unless the RST bit is
  // set, if so drop the segment and return) <SEQ=SEG.ACK><CTL=RST> and discard
  // the segment. Return." SND.NXT = ISS+1 here.
  auto [what, ack] = GENERATE(table<const char*, uint32_t>({
      {"SEG.ACK = ISS", kIss},
      {"SEG.ACK = ISS-1", kIss - 1},
      {"SEG.ACK = ISS-2^31", kIss - 0x80000000u},
      {"SEG.ACK = SND.NXT+1", kIss + 2},
      {"SEG.ACK = SND.NXT+100000", kIss + 100000},
  }));
  const Flags flags = GENERATE(as<Flags>{}, kAck, kSyn | kAck);
  INFO(what << ", " << flags_to_string(flags));
  RfcEndpoint t;
  t.syn_sent();
  const auto rexmit = t.conn().timer(TimerKind::kRetransmit);
  t.deliver({.seq = kIrs, .ack = ack, .flags = flags});
  t.expect_tx({{.seq = ack, .flags = kRst}});
  CHECK(t.state() == State::kSynSent);
  CHECK(t.conn().timer(TimerKind::kRetransmit) == rexmit);
  CHECK(t.tcb().snd_una == SeqNum(kIss));
  // The connection still completes with the right SYN,ACK.
  t.deliver({.seq = kIrs, .ack = kIss + 1, .flags = kSyn | kAck});
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck}});
  CHECK(t.state() == State::kEstablished);
}

TEST_CASE("3.10.7.3 SYN-SENT: a RST with an unacceptable ACK is dropped, no RST back",
          "[rfc9293][rst][syn-sent]") {
  const uint32_t ack = GENERATE(as<uint32_t>{}, kIss, kIss + 2, kIss - 1);
  INFO("SEG.ACK " << ack);
  RfcEndpoint t;
  t.syn_sent();
  t.deliver({.seq = 0, .ack = ack, .flags = kRst | kAck});
  t.expect_nothing();
  CHECK(t.state() == State::kSynSent);
}

TEST_CASE("3.10.7.3 SYN-SENT: a RST without ACK is dropped", "[rfc9293][rst][syn-sent]") {
  // "If the ACK was acceptable, then signal to the user 'error: connection reset'
  // ... Otherwise (no ACK), drop the segment and return."
  const uint32_t seq = GENERATE(as<uint32_t>{}, 0u, kIrs, kIss + 1);
  RfcEndpoint t;
  t.syn_sent();
  t.deliver({.seq = seq, .flags = kRst});
  t.expect_nothing();
  CHECK(t.state() == State::kSynSent);
  CHECK(t.recorder.events_of(t.sock()).empty());
}

TEST_CASE("3.10.7.3 SYN-SENT: an acceptable ACK without SYN or RST is dropped",
          "[rfc9293][syn-sent]") {
  // "Fifth, if neither of the SYN or RST bits is set, then drop the segment and
  // return."
  RfcEndpoint t;
  t.syn_sent();
  t.deliver({.seq = kIrs + 1, .ack = kIss + 1, .flags = kAck});
  t.expect_nothing();
  CHECK(t.state() == State::kSynSent);
}

// ---------------------------------------------------------------------------
// SYN-RECEIVED (3.10.7.4, fifth check).

TEST_CASE("3.10.7.4 SYN-RECEIVED: an unacceptable ACK earns <SEQ=SEG.ACK><CTL=RST>",
          "[rfc9293][rst][syn-received]") {
  // "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED state ... If the
  // segment acknowledgment is not acceptable, form a reset segment
  // <SEQ=SEG.ACK><CTL=RST> and send it." SND.UNA = ISS, SND.NXT = ISS+1.
  auto [what, ack] = GENERATE(table<const char*, uint32_t>({
      {"SEG.ACK = SND.UNA = ISS", kIss},
      {"SEG.ACK = ISS-1", kIss - 1},
      {"SEG.ACK = SND.NXT+1", kIss + 2},
      {"SEG.ACK = SND.NXT+1000", kIss + 1000},
  }));
  const Open how = GENERATE(Open::kPassive, Open::kActive);
  INFO(what << (how == Open::kPassive ? ", passive open" : ", simultaneous open"));
  RfcEndpoint t;
  if (how == Open::kPassive) {
    t.syn_received_passive();
  } else {
    t.syn_received_active();
  }
  t.deliver({.seq = kIrs + 1, .ack = ack, .flags = kAck});
  t.expect_tx({{.seq = ack, .flags = kRst}});
  CHECK(t.state() == State::kSynReceived);
  // The right ACK still completes the handshake.
  t.deliver({.seq = kIrs + 1, .ack = kIss + 1, .flags = kAck});
  t.expect_nothing();
  CHECK(t.state() == State::kEstablished);
}

TEST_CASE("SYN-RECEIVED: a retransmitted SYN gets the SYN,ACK again, not a RST",
          "[rfc9293][syn-received]") {
  // Our SYN,ACK may have been lost; the peer's retransmitted SYN (SEG.SEQ = IRS)
  // is answered with <SEQ=ISS><ACK=IRS+1><CTL=SYN,ACK>, and we stay put.
  RfcEndpoint t;
  t.syn_received_passive();
  t.deliver({.seq = kIrs, .flags = kSyn, .mss = 1460});
  t.expect_tx({{.seq = kIss, .ack = kIrs + 1, .flags = kSyn | kAck}});
  CHECK(t.state() == State::kSynReceived);
}
