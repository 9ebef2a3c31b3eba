// The seed scenarios of the connection lifecycle, with the exact numbers of the
// notes synfin started from (client ISN x, server ISN y; the client closes first).
#include <catch2/catch.hpp>

#include "tests/stack_fixture.h"

using namespace synfin;
using namespace synfin::testing;

namespace {

constexpr uint32_t kX = 1000;      // client ISN
constexpr uint32_t kY = 5000;      // server ISN
constexpr uint16_t kPort = 80;

struct Lifecycle : PairFixture {
  Lifecycle() : PairFixture(kX, kY) {}
  SocketId listener = 0, client_sock = 0, server_sock = 0;

  // Three-way handshake to ESTABLISHED on both sides.
  void establish() {
    listener = *server().listen(now(), kPort);
    client_sock = *client().connect(now(), server_addr(), kPort);
    deliver_c2s();  // SYN
    deliver_s2c();  // SYN-ACK
    deliver_c2s();  // ACK
    server_sock = **server().accept(listener);
  }
  State client_state() { return client().connection(client_sock)->state(); }
  State server_state() { return server().connection(server_sock)->state(); }
};

}  // namespace

TEST_CASE("three-way handshake: seq=x; seq=y ack=x+1; seq=x+1 ack=y+1", "[seed][handshake]") {
  Lifecycle t;
  t.listener = *t.server().listen(t.now(), kPort);
  t.client_sock = *t.client().connect(t.now(), t.server_addr(), kPort);
  REQUIRE(t.client_state() == State::kSynSent);

  // 1. C -> S: SYN=1, seq=x. The SYN carries no data and consumes one number.
  Segment syn = t.deliver_c2s();
  CHECK(syn.flags == kSyn);
  CHECK(syn.seq == SeqNum(kX));
  CHECK(syn.payload.empty());
  CHECK(syn.seg_len() == SeqLen(1));

  // 2. S -> C: SYN=1, ACK=1, seq=y, ack=x+1. Server in SYN-RECEIVED.
  REQUIRE(t.s2c().size() == 1);
  Segment synack = t.deliver_s2c();
  CHECK(synack.flags == (kSyn | kAck));
  CHECK(synack.seq == SeqNum(kY));
  CHECK(synack.ack == SeqNum(kX + 1));

  // 3. C -> S: ACK=1, seq=x+1, ack=y+1. Both ESTABLISHED.
  CHECK(t.client_state() == State::kEstablished);
  Segment ack = t.deliver_c2s();
  CHECK(ack.flags == kAck);
  CHECK(ack.seq == SeqNum(kX + 1));
  CHECK(ack.ack == SeqNum(kY + 1));

  auto accepted = t.server().accept(t.listener);
  REQUIRE(accepted.ok());
  REQUIRE(accepted->has_value());
  t.server_sock = **accepted;
  CHECK(t.server_state() == State::kEstablished);
  CHECK(t.c2s().empty());
  CHECK(t.s2c().empty());
}

TEST_CASE("four-way close: FIN seq=u; ack=u+1; FIN seq=w ack=u+1; ack=w+1 seq=u+1",
          "[seed][close]") {
  Lifecycle t;
  t.establish();
  const uint32_t u = kX + 1;  // no data was sent: the client's FIN is at x+1
  const uint32_t w = kY + 1;

  // 1. C -> S: FIN=1, seq=u. Client FIN-WAIT-1.
  REQUIRE(t.client().shutdown(t.now(), t.client_sock).ok());
  CHECK(t.client_state() == State::kFinWait1);
  Segment fin1 = t.deliver_c2s();
  CHECK(fin1.flags == (kFin | kAck));
  CHECK(fin1.seq == SeqNum(u));
  CHECK(fin1.seg_len() == SeqLen(1));  // FIN consumes one number

  // 2. S -> C: ACK=1, seq=v, ack=u+1. Server CLOSE-WAIT; client FIN-WAIT-2.
  CHECK(t.server_state() == State::kCloseWait);
  Segment ack1 = t.deliver_s2c();
  CHECK(ack1.flags == kAck);
  CHECK(ack1.seq == SeqNum(w));
  CHECK(ack1.ack == SeqNum(u + 1));
  CHECK(t.client_state() == State::kFinWait2);

  // 3. S -> C: FIN=1, ACK=1, seq=w, ack=u+1. Server LAST-ACK.
  REQUIRE(t.server().shutdown(t.now(), t.server_sock).ok());
  CHECK(t.server_state() == State::kLastAck);
  Segment fin2 = t.deliver_s2c();
  CHECK(fin2.flags == (kFin | kAck));
  CHECK(fin2.seq == SeqNum(w));
  CHECK(fin2.ack == SeqNum(u + 1));

  // 4. C -> S: ACK=1, seq=u+1, ack=w+1. Client TIME-WAIT; server CLOSED on receipt.
  CHECK(t.client_state() == State::kTimeWait);
  Segment ack2 = t.deliver_c2s();
  CHECK(ack2.flags == kAck);
  CHECK(ack2.seq == SeqNum(u + 1));
  CHECK(ack2.ack == SeqNum(w + 1));
  CHECK(t.server().connection(t.server_sock) == nullptr);  // TCB freed
  CHECK(t.server().status(t.server_sock)->close_reason == CloseReason::kNormal);
  // The passive closer never enters TIME-WAIT; its resources are gone.
  CHECK(t.server().connection_count() == 1);  // only the listener remains
}

TEST_CASE("server data sent in CLOSE-WAIT reaches the client in FIN-WAIT-2", "[seed][close]") {
  Lifecycle t;
  t.establish();
  REQUIRE(t.client().shutdown(t.now(), t.client_sock).ok());
  t.deliver_c2s();  // FIN
  t.deliver_s2c();  // ACK of FIN
  REQUIRE(t.client_state() == State::kFinWait2);
  REQUIRE(t.server_state() == State::kCloseWait);

  // The server may still send: the client's FIN closed only one direction.
  const std::vector<uint8_t> data = pattern(0, 300);
  auto sent = t.server().send(t.now(), t.server_sock, data);
  REQUIRE(sent.ok());
  CHECK(*sent == 300);
  Segment seg = t.deliver_s2c();
  CHECK(seg.seq == SeqNum(kY + 1));
  CHECK(seg.payload == data);
  CHECK(t.client_state() == State::kFinWait2);
  Segment ack = t.deliver_c2s();
  CHECK(ack.ack == SeqNum(kY + 1 + 300));
  CHECK(ack.seq == SeqNum(kX + 2));  // the client's FIN was at x+1

  std::vector<uint8_t> buf(1000);
  auto n = t.client().recv(t.now(), t.client_sock, buf);
  REQUIRE(n.ok());
  REQUIRE(*n == 300);
  buf.resize(300);
  CHECK(buf == data);

  // Then the server's FIN follows the data: seq = y + 1 + 300.
  REQUIRE(t.server().shutdown(t.now(), t.server_sock).ok());
  Segment fin = t.deliver_s2c();
  CHECK(fin.flags == (kFin | kAck));
  CHECK(fin.seq == SeqNum(kY + 1 + 300));
  CHECK(t.client_state() == State::kTimeWait);
  t.deliver_c2s();
  CHECK(t.server().connection(t.server_sock) == nullptr);
  CHECK(t.client().status(t.client_sock)->end_of_stream);
}

TEST_CASE("lost final ACK: LAST-ACK retransmits FIN, TIME-WAIT re-acks and restarts 2MSL",
          "[seed][time-wait]") {
  Lifecycle t;
  t.establish();
  const Duration two_msl = t.client().config().msl * 2;
  REQUIRE(t.client().shutdown(t.now(), t.client_sock).ok());
  t.deliver_c2s();  // FIN
  t.deliver_s2c();  // ACK
  REQUIRE(t.server().shutdown(t.now(), t.server_sock).ok());
  t.deliver_s2c();  // server FIN -> client TIME-WAIT
  REQUIRE(t.client_state() == State::kTimeWait);
  const Instant first_fin_at = t.now();
  CHECK(t.client().connection(t.client_sock)->timer(TimerKind::kTimeWait) ==
        first_fin_at + two_msl);

  Segment lost = t.drop_c2s();  // the last ACK is lost
  CHECK(lost.flags == kAck);
  CHECK(t.server_state() == State::kLastAck);

  // The server's retransmission timer fires and its FIN goes out again.
  const Instant rto_at = t.advance_to_next_deadline();
  CHECK(rto_at == first_fin_at + t.server().config().rto_initial);
  REQUIRE(t.s2c().size() == 1);
  CHECK(t.s2c().front().flags == (kFin | kAck));
  CHECK(t.s2c().front().seq == SeqNum(kY + 1));

  // The client in TIME-WAIT acknowledges it again and restarts its 2MSL timer.
  t.deliver_s2c();
  CHECK(t.client_state() == State::kTimeWait);
  CHECK(t.client().connection(t.client_sock)->timer(TimerKind::kTimeWait) == rto_at + two_msl);
  Segment reack = t.deliver_c2s();
  CHECK(reack.flags == kAck);
  CHECK(reack.seq == SeqNum(kX + 2));
  CHECK(reack.ack == SeqNum(kY + 2));
  CHECK(t.server().connection(t.server_sock) == nullptr);  // server CLOSED

  // TIME-WAIT ends exactly 2*MSL after the last FIN, not after the first.
  t.advance((rto_at + two_msl) - t.now() - Duration::micros(1));
  CHECK(t.client_state() == State::kTimeWait);
  t.advance(Duration::micros(1));
  CHECK(t.now() == rto_at + two_msl);
  CHECK(t.client().connection(t.client_sock) == nullptr);
  CHECK(t.client().status(t.client_sock)->close_reason == CloseReason::kNormal);
  CHECK(t.c2s().empty());
  CHECK(t.s2c().empty());
}

TEST_CASE("old duplicate SYN: the client answers the stale SYN-ACK with RST, server back to LISTEN",
          "[seed][handshake]") {
  // An old SYN (seq = z) from an earlier incarnation arrives at the server while
  // the client, which has since started over with ISN x, is in SYN-SENT.
  constexpr uint32_t kZ = 90000;
  Lifecycle t;
  t.listener = *t.server().listen(t.now(), kPort);
  t.client_sock = *t.client().connect(t.now(), t.server_addr(), kPort, 50000);
  Segment fresh_syn = t.drop_c2s();  // hold the current SYN back

  Segment old_syn = fresh_syn;
  old_syn.seq = SeqNum(kZ);
  IpPacket p;
  p.src = t.client_addr();
  p.dst = t.server_addr();
  p.tcp = old_syn;
  t.server().receive(t.now(), p);
  t.collect();

  // The server, believing it, answers SYN-ACK with ack = z+1 (SYN-RECEIVED).
  REQUIRE(t.s2c().size() == 1);
  CHECK(t.s2c().front().ack == SeqNum(kZ + 1));
  CHECK(t.server().connection_count() == 2);  // listener + embryo

  // The client sees an ACK of something it never sent (z+1 is not x+1) and
  // answers with <SEQ=SEG.ACK><CTL=RST>; it stays in SYN-SENT.
  t.deliver_s2c();
  REQUIRE(t.c2s().size() == 1);
  Segment rst = t.c2s().front();
  CHECK(rst.flags == kRst);
  CHECK(rst.seq == SeqNum(kZ + 1));
  CHECK(t.client_state() == State::kSynSent);

  // The RST returns the server's connection to LISTEN: the embryo is gone and
  // the listener alone remains.
  t.deliver_c2s();
  CHECK(t.server().connection_count() == 1);
  auto none = t.server().accept(t.listener);
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());

  // The real SYN then opens the connection normally.
  p.tcp = fresh_syn;
  t.server().receive(t.now(), p);
  t.collect();
  t.deliver_s2c();
  t.deliver_c2s();
  CHECK(t.client_state() == State::kEstablished);
  auto acc = t.server().accept(t.listener);
  REQUIRE(acc.ok());
  REQUIRE(acc->has_value());
}

TEST_CASE("TIME-WAIT expiry frees the connection after exactly 2*MSL", "[seed][time-wait]") {
  Lifecycle t;
  t.establish();
  REQUIRE(t.client().shutdown(t.now(), t.client_sock).ok());
  t.deliver_c2s();
  t.deliver_s2c();
  REQUIRE(t.server().shutdown(t.now(), t.server_sock).ok());
  t.deliver_s2c();
  t.deliver_c2s();
  REQUIRE(t.client_state() == State::kTimeWait);
  const Instant entered = t.now();
  CHECK(t.client().connection_count() == 1);
  CHECK(t.client().armed_timer_count() == 1);

  // Default MSL is 30 s, so TIME-WAIT is 60 s.
  const Instant expired = t.advance_to_next_deadline();
  CHECK(expired - entered == Duration::seconds(60));
  CHECK(t.client().connection_count() == 0);
  CHECK(t.client().armed_timer_count() == 0);
  CHECK(t.client().buffered_bytes() == 0);
  // The app collects the closed handle; then nothing at all remains.
  REQUIRE(t.client().close(t.now(), t.client_sock).ok());
  CHECK(t.client().socket_count() == 0);
  CHECK_FALSE(t.client().next_deadline().has_value());
}
