// Sequence numbers wrapping through 2^32 (RFC 9293 3.4: "the sequence number
// space ... ranges from 0 to 2^32 - 1 ... all arithmetic dealing with sequence
// numbers must be performed modulo 2^32"). Both ISNs sit just below the wrap so
// the handshake, the data in both directions and the FINs all cross it.
#include <catch2/catch.hpp>

#include <deque>
#include <vector>

#include "tests/recording_observer.h"
#include "tests/rfc_endpoint.h"

using namespace synfin;
using namespace synfin::testing;

namespace {

constexpr uint32_t kWrapIss = 0xFFFFFFF0;  // the host's ISS: data wraps after 15 octets
constexpr uint32_t kWrapIrs = 0xFFFFFF00;  // the peer's ISS: data wraps after 255 octets
constexpr size_t kSeg = 100;               // MSS on both sides

// The numbers the test will meet, worked out by hand modulo 2^32.
static_assert(kWrapIss + 1 + 3000 == 2985u);
static_assert(kWrapIrs + 1 + 3000 == 2745u);

}  // namespace

TEST_CASE(
    "ISS near 2^32: handshake, 3000 octets each way and the close, numbers exact across the wrap",
    "[wrap][data]") {
  Config cfg;
  cfg.mss = kSeg;
  cfg.congestion_control = false;  // all 30 segments at once: only the numbers matter here
  RfcEndpoint t(cfg, kWrapIss);

  // Handshake: <SEQ=0xFFFFFFF0><CTL=SYN>; <SEQ=0xFFFFFF00><ACK=0xFFFFFFF1>;
  // <SEQ=0xFFFFFFF1><ACK=0xFFFFFF01>.
  auto s = t.host().connect(t.now(), EndpointFixture::peer_address(), kRemotePort, kLocalPort);
  REQUIRE(s.ok());
  t.set_socket(*s);
  t.expect_tx({{.seq = 0xFFFFFFF0, .flags = kSyn, .mss = kSeg}});
  t.deliver({.seq = 0xFFFFFF00, .ack = 0xFFFFFFF1, .flags = kSyn | kAck, .mss = kSeg});
  t.expect_tx({{.seq = 0xFFFFFFF1, .ack = 0xFFFFFF01, .flags = kAck}});
  REQUIRE(t.state() == State::kEstablished);

  // Ours: 30 segments of 100 at 0xFFFFFFF1 + 100*i. The first already crosses 2^32.
  REQUIRE(*t.host().send(t.now(), t.sock(), pattern(0, 3000)) == 3000);
  std::vector<Segment> tx = t.take_tx();
  REQUIRE(tx.size() == 30);
  for (size_t i = 0; i < tx.size(); ++i) {
    INFO("segment " << i << ": " << describe(tx[i]));
    CHECK(tx[i].seq == SeqNum(kWrapIss + 1 + static_cast<uint32_t>(kSeg * i)));
    CHECK(tx[i].ack == SeqNum(0xFFFFFF01));
    CHECK(tx[i].payload == pattern(kSeg * i, kSeg));
  }
  CHECK(tx[0].seq == SeqNum(0xFFFFFFF1));
  CHECK(tx[1].seq == SeqNum(85));  // 0xFFFFFFF1 + 100 - 2^32
  CHECK(tx[29].seq_end() == SeqNum(2985));
  CHECK(t.tcb().snd_nxt == SeqNum(2985));

  // The peer acknowledges half, then the rest: SND.UNA walks over the wrap.
  t.deliver({.seq = 0xFFFFFF01, .ack = 1485, .flags = kAck});
  t.expect_nothing();
  CHECK(t.tcb().snd_una == SeqNum(1485));
  CHECK(t.tcb().send_queued == 1500);
  t.deliver({.seq = 0xFFFFFF01, .ack = 2985, .flags = kAck});
  t.expect_nothing();
  CHECK(t.tcb().snd_una == SeqNum(2985));
  CHECK(t.tcb().send_queued == 0);
  CHECK_FALSE(t.conn().timer(TimerKind::kRetransmit).has_value());

  // Theirs: 30 segments of 100 at 0xFFFFFF01 + 100*i; each acknowledged in turn.
  for (size_t i = 0; i < 30; ++i) {
    INFO("peer segment " << i);
    const uint32_t seq = kWrapIrs + 1 + static_cast<uint32_t>(kSeg * i);
    t.deliver({.seq = seq, .ack = 2985, .flags = kAck, .payload = pattern(5000 + kSeg * i, kSeg)});
    t.expect_tx({{.seq = 2985, .ack = seq + static_cast<uint32_t>(kSeg), .flags = kAck}});
  }
  CHECK(t.tcb().rcv_nxt == SeqNum(2745));
  // An old duplicate from before the wrap is recognised as old.
  t.deliver({.seq = 0xFFFFFF01, .ack = 2985, .flags = kAck, .payload = pattern(5000, kSeg)});
  t.expect_tx({{.seq = 2985, .ack = 2745, .flags = kAck}});
  std::vector<uint8_t> buf(4000);
  auto n = t.host().recv(t.now(), t.sock(), buf);
  REQUIRE(n.ok());
  REQUIRE(*n == 3000);
  buf.resize(3000);
  CHECK(buf == pattern(5000, 3000));
  (void)t.take_tx();  // a window update, if any

  // Close: our FIN at 2985, theirs at 2745.
  REQUIRE(t.host().shutdown(t.now(), t.sock()).ok());
  t.expect_tx({{.seq = 2985, .ack = 2745, .flags = kFin | kAck}});
  t.deliver({.seq = 2745, .ack = 2986, .flags = kAck});
  CHECK(t.state() == State::kFinWait2);
  t.deliver({.seq = 2745, .ack = 2986, .flags = kFin | kAck});
  t.expect_tx({{.seq = 2986, .ack = 2746, .flags = kAck}});
  CHECK(t.state() == State::kTimeWait);
  t.advance_to_next_deadline();
  CHECK(t.tcb_freed());
  CHECK(t.final_reason() == CloseReason::kNormal);
}

TEST_CASE(
    "ISS near 2^32, two synfin hosts: 5000 octets each way at MSS 100, every segment in sequence",
    "[wrap][data][pair]") {
  Config cfg;
  cfg.mss = kSeg;
  PairFixture p(kWrapIss, kWrapIrs, cfg);
  constexpr size_t kBytes = 5000;
  auto listener = p.server().listen(p.now(), 80);
  REQUIRE(listener.ok());
  auto client = p.client().connect(p.now(), p.server_addr(), 80);
  REQUIRE(client.ok());

  Segment syn = p.deliver_c2s();
  CHECK(syn.seq == SeqNum(kWrapIss));
  Segment synack = p.deliver_s2c();
  CHECK(synack.seq == SeqNum(kWrapIrs));
  CHECK(synack.ack == SeqNum(kWrapIss + 1));
  Segment ack = p.deliver_c2s();
  CHECK(ack.seq == SeqNum(kWrapIss + 1));
  CHECK(ack.ack == SeqNum(kWrapIrs + 1));
  auto accepted = p.server().accept(*listener);
  REQUIRE(accepted.ok());
  REQUIRE(accepted->has_value());
  const SocketId server = **accepted;

  REQUIRE(*p.client().send(p.now(), *client, pattern(0, kBytes)) == kBytes);
  REQUIRE(*p.server().send(p.now(), server, pattern(100000, kBytes)) == kBytes);

  // Deliver everything, one segment at a time, checking each direction's data is
  // contiguous and its ACKs never move backwards.
  struct Direction {
    uint32_t data_seq;    // the next data octet expected on the wire
    uint64_t offset = 0;  // stream offset of that octet
    uint64_t pattern_base;
    SeqNum last_ack;
  };
  Direction c2s{kWrapIss + 1, 0, 0, SeqNum(kWrapIrs + 1)};
  Direction s2c{kWrapIrs + 1, 0, 100000, SeqNum(kWrapIss + 1)};
  auto check = [](Direction& d, const Segment& s) {
    INFO(describe(s));
    CHECK(s.flags.ack());
    CHECK(seq_leq(d.last_ack, s.ack));
    d.last_ack = s.ack;
    if (s.payload.empty()) return;
    CHECK(s.seq == SeqNum(d.data_seq));
    CHECK(s.payload == pattern(d.pattern_base + d.offset, s.payload.size()));
    d.data_seq += static_cast<uint32_t>(s.payload.size());
    d.offset += s.payload.size();
  };
  p.collect();
  for (int guard = 0; guard < 10000 && (!p.c2s().empty() || !p.s2c().empty()); ++guard) {
    if (!p.c2s().empty()) check(c2s, p.deliver_c2s());
    if (!p.s2c().empty()) check(s2c, p.deliver_s2c());
  }
  CHECK(c2s.offset == kBytes);
  CHECK(s2c.offset == kBytes);
  CHECK(c2s.last_ack == SeqNum(kWrapIrs + 1 + static_cast<uint32_t>(kBytes)));
  CHECK(s2c.last_ack == SeqNum(kWrapIss + 1 + static_cast<uint32_t>(kBytes)));

  std::vector<uint8_t> buf(2 * kBytes);
  auto n = p.server().recv(p.now(), server, buf);
  REQUIRE(n.ok());
  REQUIRE(*n == kBytes);
  CHECK(std::vector<uint8_t>(buf.begin(), buf.begin() + kBytes) == pattern(0, kBytes));
  n = p.client().recv(p.now(), *client, buf);
  REQUIRE(n.ok());
  REQUIRE(*n == kBytes);
  CHECK(std::vector<uint8_t>(buf.begin(), buf.begin() + kBytes) == pattern(100000, kBytes));

  // Both close; the FINs sit right after the data: 0xFFFFFFF1 + 5000 = 4985 and
  // 0xFFFFFF01 + 5000 = 4745.
  REQUIRE(p.client().shutdown(p.now(), *client).ok());
  REQUIRE(p.server().shutdown(p.now(), server).ok());
  p.collect();
  std::vector<Segment> fins;
  for (const Segment& s : p.c2s())
    if (s.flags.fin()) fins.push_back(s);
  for (const Segment& s : p.s2c())
    if (s.flags.fin()) fins.push_back(s);
  REQUIRE(fins.size() == 2);
  CHECK(fins[0].seq == SeqNum(4985));
  CHECK(fins[1].seq == SeqNum(4745));
  p.exchange();
  // A simultaneous close: both in TIME-WAIT, then gone after 2*MSL.
  CHECK(p.client().connection(*client)->state() == State::kTimeWait);
  CHECK(p.server().connection(server)->state() == State::kTimeWait);
  p.advance(cfg.msl * 2);
  CHECK(p.client().connection(*client) == nullptr);
  CHECK(p.server().connection(server) == nullptr);
  CHECK(p.client().status(*client)->close_reason == CloseReason::kNormal);
}
