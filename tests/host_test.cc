// The Host around the connections: listen backlog, ephemeral ports, 4-tuple
// reuse, address filtering, and the RFC 6528 ISN generator.
#include <catch2/catch.hpp>

#include <set>
#include <vector>

#include "stack/isn.h"
#include "tests/recording_observer.h"
#include "tests/rfc_endpoint.h"

using namespace synfin;
using namespace synfin::testing;

// ---------------------------------------------------------------------------
// Backlog.

TEST_CASE("listen backlog: SYNs beyond embryos + accept queue = backlog are dropped and counted",
          "[host][backlog]") {
  RfcEndpoint t;
  auto l = t.host().listen(t.now(), kLocalPort, /*backlog=*/2);
  REQUIRE(l.ok());
  // Two SYNs from two peer ports: both answered (two embryos).
  t.deliver_from(41001, {.seq = 100, .flags = kSyn});
  t.deliver_from(41002, {.seq = 200, .flags = kSyn});
  std::vector<Segment> tx = t.take_tx();
  REQUIRE(tx.size() == 2);
  CHECK(matches(tx[0], {.ack = 101, .flags = kSyn | kAck}));
  CHECK(tx[0].dst_port == 41001);
  CHECK(matches(tx[1], {.ack = 201, .flags = kSyn | kAck}));
  CHECK(tx[1].dst_port == 41002);
  // The third is dropped silently: no SYN,ACK, no RST, no TCB.
  t.deliver_from(41003, {.seq = 300, .flags = kSyn});
  t.expect_nothing();
  CHECK(t.host().stats().backlog_drops == 1);
  CHECK(t.host().connection_count() == 3);  // listener + 2 embryos
  // A retransmitted SYN of an existing embryo is not a new connection: answered.
  t.deliver_from(41001, {.seq = 100, .flags = kSyn});
  t.expect_tx({{.seq = kIss, .ack = 101, .flags = kSyn | kAck}});
  CHECK(t.host().stats().backlog_drops == 1);

  // One embryo completes: it moves to the accept queue, which still counts.
  t.deliver_from(41001, {.seq = 101, .ack = kIss + 1, .flags = kAck});
  t.expect_nothing();
  t.deliver_from(41004, {.seq = 400, .flags = kSyn});
  t.expect_nothing();
  CHECK(t.host().stats().backlog_drops == 2);
  // Accepting it makes room.
  auto acc = t.host().accept(*l);
  REQUIRE(acc.ok());
  REQUIRE(acc->has_value());
  t.deliver_from(41004, {.seq = 400, .flags = kSyn});
  t.expect_tx({{.seq = kIss, .ack = 401, .flags = kSyn | kAck}});
  CHECK(t.host().stats().backlog_drops == 2);
}

// ---------------------------------------------------------------------------
// Ephemeral ports.

TEST_CASE("ephemeral ports are chosen deterministically from the seed, in the dynamic range",
          "[host][ports]") {
  const IpAddr server = IpAddr::v4(10, 0, 0, 2);
  auto ports_of = [&](uint64_t seed) {
    ScriptedIsn isn({1000});
    Host h(Host::Options{IpAddr::v4(10, 0, 0, 1), Config{}, seed}, isn);
    std::vector<uint16_t> ports;
    for (int i = 0; i < 5; ++i) {
      auto s = h.connect(Instant{}, server, 80);
      REQUIRE(s.ok());
      ports.push_back(h.connection(*s)->tuple().local_port);
    }
    return ports;
  };
  const std::vector<uint16_t> a = ports_of(7);
  const std::vector<uint16_t> b = ports_of(7);
  CHECK(a == b);  // same seed, same choices
  for (uint16_t p : a) {
    CHECK(p >= 49152);  // RFC 6335 6: 49152-65535
  }
  CHECK(std::set<uint16_t>(a.begin(), a.end()).size() == a.size());  // no port twice
  CHECK(ports_of(8) != a);  // another seed, another sequence
}

TEST_CASE("connect to a 4-tuple still in TIME-WAIT fails with AlreadyExists until 2*MSL is over",
          "[host][ports][time-wait]") {
  RfcEndpoint t;
  t.time_wait(Open::kActive);  // local port kLocalPort to the peer's kRemotePort
  auto again = t.host().connect(t.now(), EndpointFixture::peer_address(), kRemotePort, kLocalPort);
  REQUIRE_FALSE(again.ok());
  CHECK(absl::IsAlreadyExists(again.status()));
  t.expect_nothing();
  // Another remote port is a different 4-tuple.
  CHECK(
      t.host().connect(t.now(), EndpointFixture::peer_address(), kRemotePort + 1, kLocalPort).ok());
  (void)t.take_tx();
  // Once TIME-WAIT has ended the tuple is free.
  t.advance(t.config().msl * 2);
  CHECK(t.host().connect(t.now(), EndpointFixture::peer_address(), kRemotePort, kLocalPort).ok());
}

TEST_CASE("closing a listener resets the children nobody accepted, <SEQ=SND.NXT><CTL=RST>",
          "[host][backlog][rst]") {
  RfcEndpoint t;
  t.listen();
  // One child established but not accepted, one still in SYN-RECEIVED.
  t.deliver_from(41001, {.seq = 100, .flags = kSyn});
  t.deliver_from(41001, {.seq = 101, .ack = kIss + 1, .flags = kAck});
  t.deliver_from(41002, {.seq = 200, .flags = kSyn});
  (void)t.take_tx();
  REQUIRE(t.host().connection_count() == 3);
  REQUIRE(t.host().close(t.now(), t.listener()).ok());
  std::vector<Segment> tx = t.take_tx();
  REQUIRE(tx.size() == 2);
  for (const Segment& s : tx) {
    INFO(describe(s));
    CHECK(matches(s, {.seq = kIss + 1, .flags = kRst}));
  }
  CHECK(t.host().connection_count() == 0);
  CHECK(t.host().armed_timer_count() == 0);
  // The port is closed now: 3.10.7.1.
  t.deliver_from(41003, {.seq = 300, .flags = kSyn});
  t.expect_tx({{.seq = 0, .ack = 301, .flags = kRst | kAck}});
}

// ---------------------------------------------------------------------------
// Addressing.

TEST_CASE("segments for another address are ignored and counted as not_for_us", "[host][ip]") {
  RfcEndpoint t;
  t.established(Open::kActive);
  const TcbSnapshot before = t.tcb();
  IpPacket p;
  p.src = EndpointFixture::peer_address();
  p.dst = IpAddr::v4(10, 0, 0, 99);  // not the host
  p.tcp.src_port = kRemotePort;
  p.tcp.dst_port = kLocalPort;
  p.tcp.seq = SeqNum(kIrs + 1);
  p.tcp.flags = kRst;
  t.host().receive(t.now(), p);
  // Nor is a segment whose source family differs from ours.
  IpPacket v6 = p;
  v6.dst = EndpointFixture::host_address();
  v6.src = IpAddr::v6({0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2});
  t.host().receive(t.now(), v6);
  // A SYN to a closed port at another address draws no RST either.
  IpPacket syn = p;
  syn.tcp.flags = kSyn;
  syn.tcp.dst_port = 9;
  t.host().receive(t.now(), syn);
  t.expect_nothing();
  CHECK(t.host().stats().not_for_us == 3);
  CHECK(t.host().stats().resets_no_tcb == 0);
  CHECK(t.state() == State::kEstablished);
  CHECK(t.tcb() == before);
}

// ---------------------------------------------------------------------------
// RFC 6528 ISNs.

namespace {

const Rfc6528IsnGenerator::Key kKey = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

FourTuple tuple(uint16_t local_port, uint16_t remote_port) {
  return FourTuple{IpAddr::v4(10, 0, 0, 1), IpAddr::v4(10, 0, 0, 2), local_port, remote_port};
}

}  // namespace

TEST_CASE("RFC 6528: with a fixed key the ISN is a pure function of the 4-tuple and the time",
          "[host][isn][rfc6528]") {
  Rfc6528IsnGenerator a(kKey);
  Rfc6528IsnGenerator b(kKey);
  const Instant now = Instant::from_millis(12345);
  CHECK(a.isn(tuple(80, 40000), now) == b.isn(tuple(80, 40000), now));
  CHECK(a.isn(tuple(80, 40000), now) == a.isn(tuple(80, 40000), now));  // no hidden state
  // Another key, another function.
  Rfc6528IsnGenerator::Key other = kKey;
  other[15] ^= 1;
  Rfc6528IsnGenerator c(other);
  CHECK(c.isn(tuple(80, 40000), now) != a.isn(tuple(80, 40000), now));
}

TEST_CASE("RFC 6528: F differs per 4-tuple", "[host][isn][rfc6528]") {
  // "ISN = M + F(localip, localport, remoteip, remoteport, secretkey)"
  Rfc6528IsnGenerator g(kKey);
  const Instant now{};
  std::set<uint32_t> seen;
  std::vector<FourTuple> tuples = {tuple(80, 40000), tuple(80, 40001), tuple(81, 40000),
                                   tuple(40000, 80)};
  FourTuple other_remote = tuple(80, 40000);
  other_remote.remote_addr = IpAddr::v4(10, 0, 0, 3);
  tuples.push_back(other_remote);
  FourTuple other_local = tuple(80, 40000);
  other_local.local_addr = IpAddr::v4(10, 0, 0, 4);
  tuples.push_back(other_local);
  for (const FourTuple& t : tuples) seen.insert(g.isn(t, now).raw);
  CHECK(seen.size() == tuples.size());
}

TEST_CASE("RFC 6528: M advances by one every 4 microseconds", "[host][isn][rfc6528]") {
  // "M is the 4 microsecond timer."
  Rfc6528IsnGenerator g(kKey);
  const FourTuple t = tuple(80, 40000);
  const Instant base = Instant::from_micros(4000000);  // a multiple of 4 us
  const SeqNum isn0 = g.isn(t, base);
  CHECK(g.isn(t, base + Duration::micros(1)) == isn0);
  CHECK(g.isn(t, base + Duration::micros(3)) == isn0);
  CHECK(g.isn(t, base + Duration::micros(4)) == isn0 + SeqLen(1));
  CHECK(g.isn(t, base + Duration::micros(8)) == isn0 + SeqLen(2));
  CHECK(g.isn(t, base + Duration::seconds(1)) == isn0 + SeqLen(250000));
  // The clock wraps with the sequence space: 2^32 ticks of 4 us, about 4.77 hours.
  CHECK(g.isn(t, base + Duration::micros(4 * (int64_t{1} << 32))) == isn0);
}

TEST_CASE("RFC 6528 through the Host: the SYN carries M + F for its 4-tuple",
          "[host][isn][rfc6528]") {
  Rfc6528IsnGenerator gen(kKey);
  Rfc6528IsnGenerator oracle(kKey);
  Host h(Host::Options{IpAddr::v4(10, 0, 0, 1), Config{}, 1}, gen);
  const Instant now = Instant::from_millis(777);
  auto s = h.connect(now, IpAddr::v4(10, 0, 0, 2), 40000, 80);
  REQUIRE(s.ok());
  REQUIRE(h.outbox().size() == 1);
  CHECK(h.outbox()[0].tcp.flags == kSyn);
  CHECK(h.outbox()[0].tcp.seq == oracle.isn(tuple(80, 40000), now));
}
