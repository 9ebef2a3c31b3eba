// RFC 1122 4.2.3.4 Nagle's algorithm and RFC 1122 4.2.3.6 keep-alives, both
// switchable per socket (TCP_NODELAY, SO_KEEPALIVE) with Config defaults.
#include <catch2/catch.hpp>

#include "tests/rfc_endpoint.h"

using namespace synfin;
using namespace synfin::testing;

namespace {

SegSpec ack_of(uint32_t upto) { return {.seq = kIrs + 1, .ack = kIss + 1 + upto, .flags = kAck}; }

Config with_nagle() {
  Config c;
  c.nagle = true;
  return c;
}

Config with_keepalive() {
  Config c;
  c.keepalive = true;
  c.keepalive_idle = Duration::seconds(10);
  c.keepalive_interval = Duration::seconds(2);
  c.keepalive_probes = 3;
  return c;
}

}  // namespace

TEST_CASE("RFC 1122 4.2.3.4: with data unacknowledged a partial segment waits for the ACK", "[nagle]") {
  RfcEndpoint t(with_nagle());
  t.established(Open::kActive);
  REQUIRE(t.host().send(t.now(), t.sock(), pattern(0, 100)).ok());
  t.expect_tx({{.seq = kIss + 1, .flags = kAck | kPsh, .len = 100}});  // nothing outstanding: goes
  REQUIRE(t.host().send(t.now(), t.sock(), pattern(100, 100)).ok());
  REQUIRE(t.host().send(t.now(), t.sock(), pattern(200, 100)).ok());
  t.expect_nothing();  // "buffers all user data ... until the outstanding data has been acknowledged"
  t.deliver(ack_of(100));
  t.expect_tx({{.seq = kIss + 101, .flags = kAck | kPsh, .len = 200}});  // coalesced
}

TEST_CASE("RFC 1122 4.2.3.4: a full-sized segment goes at once; so does the tail once the app closes",
          "[nagle]") {
  RfcEndpoint t(with_nagle());
  t.established_with(65535, 1000);  // SMSS 1000
  REQUIRE(t.host().send(t.now(), t.sock(), pattern(0, 10)).ok());
  REQUIRE(t.take_tx().size() == 1);
  // 1500 more: one full segment, the 500 left wait.
  REQUIRE(t.host().send(t.now(), t.sock(), pattern(10, 1500)).ok());
  t.expect_tx({{.seq = kIss + 11, .flags = kAck, .len = 1000}});
  // CLOSE: nothing more will join the tail, so it goes with the FIN.
  REQUIRE(t.host().shutdown(t.now(), t.sock()).ok());
  t.expect_tx({{.seq = kIss + 1011, .flags = kAck | kPsh | kFin, .len = 500}});
}

TEST_CASE("TCP_NODELAY: Host::set_nodelay turns Nagle off for one socket", "[nagle]") {
  RfcEndpoint t(with_nagle());
  t.established(Open::kActive);
  REQUIRE(t.host().set_nodelay(t.sock(), true).ok());
  REQUIRE(t.host().send(t.now(), t.sock(), pattern(0, 100)).ok());
  REQUIRE(t.host().send(t.now(), t.sock(), pattern(100, 100)).ok());
  CHECK(t.take_tx().size() == 2);
}

TEST_CASE("RFC 1122 4.2.3.6: an idle connection is probed after keepalive_idle; an answer resets the idle",
          "[keepalive]") {
  RfcEndpoint t(with_keepalive());
  t.established(Open::kActive);
  t.advance(Duration::millis(9999));
  t.expect_nothing();
  t.advance(Duration::millis(1));
  // "SEG.SEQ = SND.NXT-1", no data.
  t.expect_tx({{.seq = kIss, .ack = kIrs + 1, .flags = kAck, .len = 0}});
  // The peer answers with an ACK of RCV.NXT...
  t.deliver(ack_of(0));
  t.expect_nothing();
  // ...so the next probe is a whole idle period later.
  t.advance(Duration::millis(9999));
  t.expect_nothing();
  t.advance(Duration::millis(1));
  t.expect_tx({{.seq = kIss, .ack = kIrs + 1, .flags = kAck, .len = 0}});
  CHECK(t.state() == State::kEstablished);
}

TEST_CASE("RFC 1122 4.2.3.6: unanswered probes every keepalive_interval, then the connection times out",
          "[keepalive]") {
  RfcEndpoint t(with_keepalive());
  t.established(Open::kActive);
  t.advance(Duration::seconds(10));
  REQUIRE(t.take_tx().size() == 1);
  t.advance(Duration::seconds(2));
  REQUIRE(t.take_tx().size() == 1);
  t.advance(Duration::seconds(2));
  REQUIRE(t.take_tx().size() == 1);
  CHECK(t.state() == State::kEstablished);
  t.advance(Duration::seconds(2));  // the third went unanswered
  t.expect_nothing();
  auto st = t.host().status(t.sock());
  REQUIRE(st.ok());
  CHECK(st->state == State::kClosed);
  CHECK(st->close_reason == CloseReason::kTimedOut);
}

TEST_CASE("RFC 1122 4.2.3.6: keep-alives MUST default to off; none while data is outstanding; "
          "SO_KEEPALIVE per socket",
          "[keepalive]") {
  SECTION("off by default") {
    RfcEndpoint t;
    t.established(Open::kActive);
    t.advance(Duration::seconds(3 * 3600));
    t.expect_nothing();
  }
  SECTION("outstanding data: the retransmission timer watches the peer instead") {
    Config cfg = with_keepalive();
    cfg.data_retries = 100;
    cfg.rto_max = Duration::seconds(60);
    RfcEndpoint t(cfg);
    t.established(Open::kActive);
    REQUIRE(t.host().send(t.now(), t.sock(), pattern(0, 10)).ok());
    (void)t.take_tx();
    t.advance(Duration::seconds(30));
    for (const Segment& s : t.take_tx()) CHECK(s.payload.size() == 10);  // retransmissions only
    CHECK_FALSE(t.conn().timer(TimerKind::kKeepalive).has_value());
  }
  SECTION("Host::set_keepalive on one socket") {
    Config cfg = with_keepalive();
    cfg.keepalive = false;
    RfcEndpoint t(cfg);
    t.established(Open::kActive);
    REQUIRE(t.host().set_keepalive(t.now(), t.sock(), true).ok());
    t.advance(Duration::seconds(10));
    t.expect_tx({{.seq = kIss, .ack = kIrs + 1, .flags = kAck, .len = 0}});
    REQUIRE(t.host().set_keepalive(t.now(), t.sock(), false).ok());
    t.advance(Duration::seconds(100));
    t.expect_nothing();
  }
}
