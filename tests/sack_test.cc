// RFC 2018, selective acknowledgment, the data receiver's side: SACK-permitted in
// the SYNs, and ACKs that report the octets held past a gap, most recent first.
#include <catch2/catch.hpp>

#include <utility>
#include <vector>

#include "tests/rfc_endpoint.h"

using namespace synfin;
using namespace synfin::testing;

namespace {

using Blocks = std::vector<std::pair<uint32_t, uint32_t>>;

// The peer's octets [from, to), with or without its TSopt.
SegSpec peer_data(uint32_t from, uint32_t to, std::optional<Timestamps> ts = std::nullopt) {
  return {.seq = kIrs + 1 + from, .ack = kIss + 1, .flags = kAck,
          .payload = pattern(from, to - from), .ts = ts};
}

// The blocks of the single segment the host sent, as offsets in the peer's stream.
Blocks sacked(RfcEndpoint& t) {
  std::vector<Segment> tx = t.take_tx();
  REQUIRE(tx.size() == 1);
  Blocks b;
  for (const SackBlock& s : tx[0].options.sack) {
    b.emplace_back(s.left.raw - (kIrs + 1), s.right.raw - (kIrs + 1));
  }
  return b;
}

// Active open; the peer's SYN-ACK offers SACK-permitted (and nothing else).
void establish_sack(RfcEndpoint& t) {
  auto s = t.host().connect(t.now(), EndpointFixture::peer_address(), kRemotePort, kLocalPort);
  REQUIRE(s.ok());
  t.set_socket(*s);
  std::vector<Segment> syn = t.take_tx();
  REQUIRE(syn.size() == 1);
  // "This two-byte option may be sent in a SYN by a TCP that has been extended to
  // receive (and presumably process) the SACK option once the connection has opened."
  CHECK(syn[0].options.sack_permitted);
  t.deliver({.seq = kIrs, .ack = kIss + 1, .flags = kSyn | kAck, .mss = 1460, .sack_permitted = true});
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck}});
  REQUIRE(t.state() == State::kEstablished);
}

}  // namespace

TEST_CASE("RFC 2018 4: ACKs report held octets, the block of the triggering segment first",
          "[sack][reassembly]") {
  RfcEndpoint t;
  establish_sack(t);
  t.deliver(peer_data(100, 200));
  CHECK(sacked(t) == Blocks{{100, 200}});
  t.deliver(peer_data(300, 400));
  CHECK(sacked(t) == Blocks{{300, 400}, {100, 200}});
  // The first block grows with the segment that joined it.
  t.deliver(peer_data(200, 250));
  CHECK(sacked(t) == Blocks{{100, 250}, {300, 400}});
  // A duplicate inside a held block triggers that block.
  t.deliver(peer_data(350, 360));
  CHECK(sacked(t) == Blocks{{300, 400}, {100, 250}});
  // The segment that moves the ACK: only what is still held is reported.
  t.deliver(peer_data(0, 100));
  std::vector<Segment> tx = t.take_tx();
  REQUIRE(tx.size() == 1);
  CHECK(tx[0].ack == SeqNum(kIrs + 251));
  REQUIRE(tx[0].options.sack.size() == 1);
  CHECK(tx[0].options.sack[0].left == SeqNum(kIrs + 301));
  // Nothing held: no SACK option.
  t.deliver(peer_data(250, 300));
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 401, .flags = kAck}});
  CHECK(t.take_tx().empty());
}

TEST_CASE("RFC 2018 3: at most 4 blocks, 3 beside the Timestamps option", "[sack]") {
  // "the 40 bytes available for TCP options can specify a maximum of 4 blocks ...
  // a maximum of 3 SACK blocks will be allowed" with the Timestamp option.
  SECTION("without timestamps: the four most recent") {
    RfcEndpoint t;
    establish_sack(t);
    for (uint32_t i = 1; i <= 5; ++i) {
      t.deliver(peer_data(100 * i, 100 * i + 10));
      (void)t.take_tx();
    }
    t.deliver(peer_data(200, 205));  // the second range again
    CHECK(sacked(t) == Blocks{{200, 210}, {500, 510}, {400, 410}, {300, 310}});
  }
  SECTION("with timestamps: three") {
    RfcEndpoint t;
    t.advance(Duration::seconds(1));
    auto s = t.host().connect(t.now(), EndpointFixture::peer_address(), kRemotePort, kLocalPort);
    REQUIRE(s.ok());
    t.set_socket(*s);
    (void)t.take_tx();
    t.deliver({.seq = kIrs, .ack = kIss + 1, .flags = kSyn | kAck, .mss = 1460,
               .ts = Timestamps{500, 1000}, .sack_permitted = true});
    (void)t.take_tx();
    for (uint32_t i = 1; i <= 4; ++i) {
      t.deliver(peer_data(100 * i, 100 * i + 10, Timestamps{500 + i, 1000}));
      if (i < 4) (void)t.take_tx();
    }
    CHECK(sacked(t) == Blocks{{400, 410}, {300, 310}, {200, 210}});
    // Data we send beside them carries less: 1460 - (10 TSopt + 26 SACK octets).
    REQUIRE(t.host().send(t.now(), t.sock(), pattern(0, 3000)).ok());
    std::vector<Segment> tx = t.take_tx();
    REQUIRE_FALSE(tx.empty());
    CHECK(tx[0].payload.size() == 1460 - 36);
    CHECK(tx[0].options.sack.size() == 3);
  }
}

TEST_CASE("RFC 2018: without the peer's SACK-permitted no block is sent", "[sack]") {
  RfcEndpoint t;
  t.established(Open::kActive);  // the SYN-ACK offers no SACK
  t.deliver(peer_data(100, 200));
  CHECK(sacked(t).empty());
}

TEST_CASE("RFC 2018 2: a SYN-ACK carries SACK-permitted only in answer to a SYN that did",
          "[sack][listen]") {
  SECTION("offered") {
    RfcEndpoint t;
    t.listen();
    t.deliver({.seq = kIrs, .flags = kSyn, .sack_permitted = true});
    std::vector<Segment> tx = t.take_tx();
    REQUIRE(tx.size() == 1);
    CHECK(tx[0].options.sack_permitted);
  }
  SECTION("not offered") {
    RfcEndpoint t;
    t.listen();
    t.deliver({.seq = kIrs, .flags = kSyn, .mss = 1460});
    std::vector<Segment> tx = t.take_tx();
    REQUIRE(tx.size() == 1);
    CHECK_FALSE(tx[0].options.sack_permitted);
  }
  SECTION("Config::sack off") {
    Config cfg;
    cfg.sack = false;
    RfcEndpoint t(cfg);
    REQUIRE(t.host().connect(t.now(), EndpointFixture::peer_address(), kRemotePort, kLocalPort).ok());
    std::vector<Segment> tx = t.take_tx();
    REQUIRE(tx.size() == 1);
    CHECK_FALSE(tx[0].options.sack_permitted);
  }
}

TEST_CASE("RFC 2018 8: octets the receiver gave up (the range limit) are no longer reported",
          "[sack][reassembly]") {
  Config cfg;
  cfg.reassembly_max_ranges = 1;
  RfcEndpoint t(cfg);
  establish_sack(t);
  t.deliver(peer_data(200, 210));
  CHECK(sacked(t) == Blocks{{200, 210}});
  t.deliver(peer_data(100, 110));  // nearer: held, 200..209 given up
  CHECK(sacked(t) == Blocks{{100, 110}});
}
