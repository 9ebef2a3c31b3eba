// RFC 7323 sections 3 to 5, the Timestamps option: negotiation in the SYNs, the
// option on every later segment, TS.Recent and its update rule, RTT measurement
// from echoed values, and PAWS (in FreeBSD's place: after the RST and SYN checks,
// before the ACK and the text).
//
// The fixture's ISN generator leaves the timestamp clock unoffset, so our TSval
// is the virtual time in milliseconds.
#include <catch2/catch.hpp>

#include <vector>

#include "stack/isn.h"
#include "stack/timestamps.h"
#include "tests/rfc_endpoint.h"

using namespace synfin;
using namespace synfin::testing;

namespace {

constexpr uint32_t kPeerTs = 70000;  // the peer's TSval in its SYN

// Active open at t = 1 s against a peer that offers Timestamps: our SYN carries
// TSval 1000; the peer's SYN-ACK, 10 ms later, TSval kPeerTs and echoes 1000.
void establish_with_ts(RfcEndpoint& t) {
  t.advance(Duration::seconds(1));
  auto s = t.host().connect(t.now(), EndpointFixture::peer_address(), kRemotePort, kLocalPort);
  REQUIRE(s.ok());
  t.set_socket(*s);
  t.expect_tx({{.seq = kIss, .flags = kSyn, .ts = Timestamps{1000, 0}}});
  t.advance(Duration::millis(10));
  t.deliver({.seq = kIrs, .ack = kIss + 1, .flags = kSyn | kAck, .mss = 1460,
             .ts = Timestamps{kPeerTs, 1000}});
  // "TSecr ... echoes TS.Recent": the SYN-ACK's TSval.
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck, .ts = Timestamps{1010, kPeerTs}}});
  REQUIRE(t.state() == State::kEstablished);
}

}  // namespace

TEST_CASE("RFC 7323 5.2/5.4: timestamps compare on a circle; the clock ticks in milliseconds",
          "[timestamps]") {
  CHECK(ts_lt(TsVal{1}, TsVal{2}));
  CHECK_FALSE(ts_lt(TsVal{2}, TsVal{2}));
  CHECK(ts_lt(TsVal{0xFFFFFFFFu}, TsVal{0}));           // across the wrap
  CHECK(ts_lt(TsVal{0}, TsVal{0x7FFFFFFFu}));
  CHECK(ts_lt(TsVal{0x80000001u}, TsVal{0}));           // 2^31 - 1 behind
  CHECK_FALSE(ts_lt(TsVal{0x7FFFFFFFu}, TsVal{0}));     // 2^31 - 1 ahead
  CHECK(ts_clock(Instant::from_millis(1500), 0) == TsVal{1500});
  CHECK(ts_clock(Instant::from_micros(1999), 7) == TsVal{8});
  CHECK(ts_clock(Instant::from_millis(10), 0xFFFFFFFFu) == TsVal{9});
}

TEST_CASE("RFC 7323 5.4: the clock offset is keyed per 4-tuple and apart from the ISN",
          "[timestamps][isn]") {
  Rfc6528IsnGenerator::Key key{};
  key[0] = 7;
  Rfc6528IsnGenerator g(key);
  const FourTuple a{IpAddr::v4(10, 0, 0, 1), IpAddr::v4(10, 0, 0, 2), 80, 40000};
  const FourTuple b{IpAddr::v4(10, 0, 0, 1), IpAddr::v4(10, 0, 0, 2), 80, 40001};
  CHECK(g.ts_offset(a) == g.ts_offset(a));
  CHECK(g.ts_offset(a) != g.ts_offset(b));
  CHECK(g.ts_offset(a) != g.isn(a, Instant{}).raw);
  key[0] = 8;
  CHECK(Rfc6528IsnGenerator(key).ts_offset(a) != g.ts_offset(a));
}

TEST_CASE("RFC 7323 3.2: negotiated, every non-RST segment carries TSopt echoing TS.Recent",
          "[timestamps]") {
  RfcEndpoint t;
  establish_with_ts(t);
  t.advance(Duration::millis(5));
  REQUIRE(t.host().send(t.now(), t.sock(), pattern(0, 100)).ok());
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck | kPsh, .len = 100,
                .ts = Timestamps{1015, kPeerTs}}});
  // The peer's ACK (in order, so TS.Recent follows its TSval) and its data.
  t.deliver({.seq = kIrs + 1, .ack = kIss + 101, .flags = kAck, .payload = pattern(0, 10),
             .ts = Timestamps{kPeerTs + 3, 1015}});
  t.expect_tx({{.seq = kIss + 101, .ack = kIrs + 11, .flags = kAck,
                .ts = Timestamps{1015, kPeerTs + 3}}});
  // ABORT: the RST carries none.
  REQUIRE(t.host().abort(t.now(), t.sock()).ok());
  std::vector<Segment> tx = t.take_tx();
  REQUIRE(tx.size() == 1);
  CHECK(tx[0].flags == kRst);
  CHECK_FALSE(tx[0].options.timestamps.has_value());
}

TEST_CASE("RFC 7323 3.2: without the peer's offer no segment carries TSopt", "[timestamps]") {
  RfcEndpoint t;
  t.established(Open::kActive);  // the peer's SYN-ACK has no TSopt
  REQUIRE(t.host().send(t.now(), t.sock(), pattern(0, 10)).ok());
  std::vector<Segment> tx = t.take_tx();
  REQUIRE(tx.size() == 1);
  CHECK_FALSE(tx[0].options.timestamps.has_value());
  // Its segments without TSopt are processed as always.
  t.deliver({.seq = kIrs + 1, .ack = kIss + 11, .flags = kAck, .payload = pattern(0, 5)});
  t.expect_tx({{.seq = kIss + 11, .ack = kIrs + 6, .flags = kAck}});
}

TEST_CASE("RFC 7323 3.2: a SYN-ACK carries TSopt only in answer to a SYN that did",
          "[timestamps][listen]") {
  SECTION("the SYN offers it: the SYN-ACK echoes its TSval") {
    RfcEndpoint t;
    t.listen();
    t.advance(Duration::millis(250));
    t.deliver({.seq = kIrs, .flags = kSyn, .mss = 1460, .ts = Timestamps{kPeerTs, 0}});
    t.expect_tx({{.seq = kIss, .ack = kIrs + 1, .flags = kSyn | kAck,
                  .ts = Timestamps{250, kPeerTs}}});
  }
  SECTION("the SYN does not") {
    RfcEndpoint t;
    t.listen();
    t.deliver({.seq = kIrs, .flags = kSyn, .mss = 1460});
    std::vector<Segment> tx = t.take_tx();
    REQUIRE(tx.size() == 1);
    CHECK_FALSE(tx[0].options.timestamps.has_value());
  }
  SECTION("Config::timestamps off: neither offered nor answered") {
    Config cfg;
    cfg.timestamps = false;
    RfcEndpoint t(cfg);
    t.listen();
    t.deliver({.seq = kIrs, .flags = kSyn, .mss = 1460, .ts = Timestamps{kPeerTs, 0}});
    std::vector<Segment> tx = t.take_tx();
    REQUIRE(tx.size() == 1);
    CHECK_FALSE(tx[0].options.timestamps.has_value());
  }
}

TEST_CASE("RFC 7323 3.2: a non-RST segment without TSopt is processed, or with "
          "Config::timestamps_required silently dropped",
          "[timestamps]") {
  SECTION("default: processed, without PAWS (as Linux does)") {
    RfcEndpoint t;
    establish_with_ts(t);
    t.deliver({.seq = kIrs + 1, .ack = kIss + 1, .flags = kAck, .payload = pattern(0, 10)});
    t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 11, .flags = kAck}});
  }
  SECTION("Config::timestamps_required: dropped") {
    // "If a non-<RST> segment is received without a TSopt, a TCP SHOULD silently
    // drop the segment."
    Config cfg;
    cfg.timestamps_required = true;
    RfcEndpoint t(cfg);
    establish_with_ts(t);
    t.deliver({.seq = kIrs + 1, .ack = kIss + 1, .flags = kAck, .payload = pattern(0, 10)});
    t.expect_nothing();
    CHECK(t.tcb().rcv_nxt == SeqNum(kIrs + 1));
    // A RST need not carry TSopt (RFC 7323 3.2); it is judged by its sequence
    // number alone.
    t.deliver({.seq = kIrs + 1, .flags = kRst});
    CHECK(t.final_reason() == CloseReason::kReset);
  }
}

TEST_CASE("RFC 7323 5.3 PAWS: a segment older than TS.Recent is not acceptable: ACKed, dropped",
          "[timestamps][paws]") {
  // "R1) If there is a Timestamps option in the arriving segment, SEG.TSval <
  // TS.Recent, TS.Recent is valid (see later discussion), and if the RST bit is
  // not set, then treat the arriving segment as not acceptable: Send an
  // acknowledgment in reply as specified in [RFC793], page 69 and drop the
  // segment."
  RfcEndpoint t;
  establish_with_ts(t);
  t.deliver({.seq = kIrs + 1, .ack = kIss + 1, .flags = kAck, .payload = pattern(0, 10),
             .ts = Timestamps{kPeerTs + 50, 1010}});
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 11, .flags = kAck,
                .ts = Timestamps{1010, kPeerTs + 50}}});
  // An old duplicate of the next octets, from before TS.Recent: dropped, and the
  // reply repeats RCV.NXT.
  t.deliver({.seq = kIrs + 11, .ack = kIss + 1, .flags = kAck, .payload = pattern(10, 10),
             .ts = Timestamps{kPeerTs + 49, 1010}});
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 11, .flags = kAck,
                .ts = Timestamps{1010, kPeerTs + 50}}});
  CHECK(t.tcb().rcv_nxt == SeqNum(kIrs + 11));
  // The same octets with a current TSval are taken.
  t.deliver({.seq = kIrs + 11, .ack = kIss + 1, .flags = kAck, .payload = pattern(10, 10),
             .ts = Timestamps{kPeerTs + 60, 1010}});
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 21, .flags = kAck,
                .ts = Timestamps{1010, kPeerTs + 60}}});
  // A RST is exempt from PAWS.
  t.deliver({.seq = kIrs + 21, .flags = kRst, .ts = Timestamps{kPeerTs, 0}});
  CHECK(t.final_reason() == CloseReason::kReset);
}

TEST_CASE("RFC 7323 4.3: TS.Recent follows only segments at or left of Last.ACK.sent",
          "[timestamps][reassembly]") {
  // "If SEG.TSval >= TS.Recent and SEG.SEQ <= Last.ACK.sent then SEG.TSval is
  // copied to TS.Recent": a segment past a gap does not set what we echo.
  RfcEndpoint t;
  establish_with_ts(t);
  t.deliver({.seq = kIrs + 11, .ack = kIss + 1, .flags = kAck, .payload = pattern(10, 10),
             .ts = Timestamps{kPeerTs + 20, 1010}});
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck, .ts = Timestamps{1010, kPeerTs}}});
  // The gap fills with a segment sent earlier (older TSval, still >= TS.Recent).
  t.deliver({.seq = kIrs + 1, .ack = kIss + 1, .flags = kAck, .payload = pattern(0, 10),
             .ts = Timestamps{kPeerTs + 10, 1010}});
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 21, .flags = kAck,
                .ts = Timestamps{1010, kPeerTs + 10}}});
}

TEST_CASE("RFC 7323 5.5: after 24 days idle TS.Recent is invalid and PAWS does not apply",
          "[timestamps][paws]") {
  RfcEndpoint t;
  establish_with_ts(t);
  t.advance(Duration::seconds(25 * 24 * 3600));
  // The peer's clock wrapped a long way meanwhile: its TSval is "older".
  t.deliver({.seq = kIrs + 1, .ack = kIss + 1, .flags = kAck, .payload = pattern(0, 10),
             .ts = Timestamps{kPeerTs - 5, 1010}});
  std::vector<Segment> tx = t.take_tx();
  REQUIRE(tx.size() == 1);
  CHECK(tx[0].ack == SeqNum(kIrs + 11));
  REQUIRE(tx[0].options.timestamps.has_value());
  CHECK(tx[0].options.timestamps->ecr == kPeerTs - 5);  // TS.Recent taken anew
}

TEST_CASE("RFC 7323 4.1: the echoed TSval times even a retransmitted segment", "[timestamps][rtt]") {
  // Karn's rule forbids timing a retransmission by its sequence number; the
  // echo says which transmission an ACK answers, so RTTM may.
  Config cfg;
  cfg.rto_min = Duration::millis(100);
  RfcEndpoint t(cfg);
  establish_with_ts(t);  // SYN timed: R = 10 ms, RTO = max(10 + 4 * 5, 100) ms
  REQUIRE(t.tcb().rto == Duration::millis(100));
  REQUIRE(t.host().send(t.now(), t.sock(), pattern(0, 100)).ok());
  (void)t.take_tx();
  // The segment is lost: the RTO fires and doubles, the retransmission leaves
  // with the TSval of that moment.
  const Instant rexmit_at = t.advance_to_next_deadline();
  std::vector<Segment> tx = t.take_tx();
  REQUIRE(tx.size() == 1);
  REQUIRE(tx[0].options.timestamps.has_value());
  const uint32_t rexmit_ts = tx[0].options.timestamps->val;
  CHECK(rexmit_ts == ts_clock(rexmit_at, 0).raw);
  CHECK(t.tcb().rto == Duration::millis(200));
  // Its ACK, 40 ms later, echoes it: R = 40 ms, and the RTO is computed again
  // from the second sample: SRTT 13.75 ms, RTTVAR 11.25 ms -> 58.75 ms, then the
  // 100 ms floor.
  t.advance(Duration::millis(40));
  t.deliver({.seq = kIrs + 1, .ack = kIss + 101, .flags = kAck, .ts = Timestamps{kPeerTs + 5, rexmit_ts}});
  CHECK(t.tcb().rto == Duration::millis(100));
}

TEST_CASE("RFC 9293 3.7.1: with TSopt on every segment, each carries 12 octets less data",
          "[timestamps][mss]") {
  RfcEndpoint t;
  establish_with_ts(t);  // the peer's MSS is 1460
  REQUIRE(t.host().send(t.now(), t.sock(), pattern(0, 3000)).ok());
  std::vector<Segment> tx = t.take_tx();
  REQUIRE(tx.size() == 3);
  CHECK(tx[0].payload.size() == 1448);
  CHECK(tx[1].payload.size() == 1448);
  CHECK(tx[2].payload.size() == 104);
}
