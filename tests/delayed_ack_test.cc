// RFC 1122 4.2.3.2 / RFC 9293 3.8.6.3 delayed ACK, and RFC 5681 4.2's cases that
// must not wait: every second segment, out-of-order text, a gap filled, a FIN.
#include <catch2/catch.hpp>

#include "tests/rfc_endpoint.h"

using namespace synfin;
using namespace synfin::testing;

namespace {

Config delayed() {
  Config c;
  c.delayed_ack = true;
  c.delayed_ack_timeout = Duration::millis(200);
  return c;
}

// The peer's octets [from, to) of its stream.
SegSpec peer_data(uint32_t from, uint32_t to, Flags extra = Flags{}) {
  return {.seq = kIrs + 1 + from, .ack = kIss + 1, .flags = kAck | extra, .payload = pattern(from, to - from)};
}

}  // namespace

TEST_CASE("RFC 1122 4.2.3.2: there SHOULD be an ACK for at least every second segment", "[delayed-ack]") {
  RfcEndpoint t(delayed());
  t.established(Open::kActive);
  t.deliver(peer_data(0, 1000));
  t.expect_nothing();  // held
  t.deliver(peer_data(1000, 2000));
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 2001, .flags = kAck}});
  t.deliver(peer_data(2000, 3000));
  t.expect_nothing();  // the count starts again
}

TEST_CASE("RFC 1122 4.2.3.2: a lone segment's ACK goes when the delay runs out", "[delayed-ack]") {
  RfcEndpoint t(delayed());
  t.established(Open::kActive);
  t.deliver(peer_data(0, 500));
  t.advance(Duration::millis(199));
  t.expect_nothing();
  t.advance(Duration::millis(1));
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 501, .flags = kAck}});
  t.advance(Duration::seconds(5));
  t.expect_nothing();
}

TEST_CASE("RFC 5681 4.2: out-of-order text, a filled gap and a FIN are acknowledged at once",
          "[delayed-ack]") {
  RfcEndpoint t(delayed());
  t.established(Open::kActive);
  // "A TCP receiver SHOULD send an immediate duplicate ACK when an out-of-order
  // segment arrives."
  t.deliver(peer_data(1000, 2000));
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck}});
  // "... an immediate ACK when the incoming segment fills in all or part of a gap".
  t.deliver(peer_data(0, 1000));
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 2001, .flags = kAck}});
  // A FIN moves the peer to FIN-WAIT-2 or TIME-WAIT only when acknowledged.
  t.deliver(peer_data(2000, 2100, kFin));
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 2102, .flags = kAck}});
  CHECK(t.state() == State::kCloseWait);
}

TEST_CASE("RFC 9293 3.8.6.3: data of our own carries the held ACK; the timer is cancelled",
          "[delayed-ack]") {
  RfcEndpoint t(delayed());
  t.established(Open::kActive);
  t.deliver(peer_data(0, 500));
  t.expect_nothing();
  t.advance(Duration::millis(50));
  REQUIRE(t.host().send(t.now(), t.sock(), pattern(0, 10)).ok());
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 501, .flags = kAck | kPsh, .len = 10}});
  CHECK_FALSE(t.conn().timer(TimerKind::kDelayedAck).has_value());
  t.advance(Duration::millis(500));
  // The data's retransmission timer is 1 s away: nothing else goes.
  t.expect_nothing();
}

TEST_CASE("Config: without delayed_ack every in-order segment is acknowledged at once", "[delayed-ack]") {
  RfcEndpoint t;
  t.established(Open::kActive);
  t.deliver(peer_data(0, 1000));
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1001, .flags = kAck}});
}
