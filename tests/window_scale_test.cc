// RFC 7323 section 2, the Window Scale option: negotiation in the SYNs, the
// shift applied to every later window in both directions, and the retraction a
// scaled window's rounding may cause (2.4).
#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "stack/window_scale.h"
#include "tests/rfc_endpoint.h"

using namespace synfin;
using namespace synfin::testing;

namespace {

// The host's SYN as the peer sees it.
Segment take_syn(RfcEndpoint& t) {
  std::vector<Segment> tx = t.take_tx();
  REQUIRE(tx.size() == 1);
  REQUIRE(tx[0].flags.syn());
  return tx[0];
}

// A SYN or SYN-ACK from the peer with a Window Scale option, delivered raw (the
// fixture's SegSpec carries MSS only).
void deliver_syn(RfcEndpoint& t, Flags flags, uint16_t window, std::optional<uint8_t> wscale) {
  IpPacket p;
  p.src = EndpointFixture::peer_address();
  p.dst = EndpointFixture::host_address();
  p.tcp.src_port = kRemotePort;
  p.tcp.dst_port = kLocalPort;
  p.tcp.seq = SeqNum(kIrs);
  p.tcp.ack = SeqNum(kIss + 1);
  p.tcp.flags = flags;
  p.tcp.window = window;
  p.tcp.options.mss = 1460;
  p.tcp.options.window_scale = wscale;
  t.host().receive(t.now(), p);
  require_invariants(t.host());
  if (!t.has_connection()) {
    const Connection* c = t.by_tuple();
    REQUIRE(c != nullptr);
    t.set_socket(c->id());
  }
}

}  // namespace

TEST_CASE("RFC 7323 2.2/2.3: the shift offered covers the receive buffer, at most 14",
          "[wscale]") {
  CHECK(window_shift_for(0) == 0);
  CHECK(window_shift_for(65535) == 0);
  CHECK(window_shift_for(65536) == 1);
  CHECK(window_shift_for(131070) == 1);
  CHECK(window_shift_for(131071) == 1);
  CHECK(window_shift_for(131072) == 2);
  CHECK(window_shift_for(1u << 20) == 5);
  CHECK(window_shift_for(1u << 30) == 14);
  CHECK(window_shift_for(0xFFFFFFFFu) == 14);
  // "If a Window Scale option is received with a shift.cnt value larger than 14,
  // the TCP SHOULD log the error but MUST use 14 instead of the specified value."
  CHECK(clamp_window_shift(14) == 14);
  CHECK(clamp_window_shift(15) == 14);
  CHECK(clamp_window_shift(255) == 14);
  // "SEG.WND = RCV.WND >> Rcv.Wind.Shift", rounded down, within 16 bits.
  CHECK(window_field(1000, 0) == 1000);
  CHECK(window_field(100000, 0) == 65535);
  CHECK(window_field(1000, 3) == 125);
  CHECK(window_field(1007, 3) == 125);
  CHECK(window_field(1u << 30, 14) == 65535);
  CHECK(max_window(14) == 0xFFFFu << 14);
}

TEST_CASE("RFC 7323 2.2: the SYN offers Window Scale; a SYN-ACK without it means no scaling",
          "[wscale][syn-sent]") {
  RfcEndpoint t;
  auto s = t.host().connect(t.now(), EndpointFixture::peer_address(), kRemotePort, kLocalPort);
  REQUIRE(s.ok());
  t.set_socket(*s);
  const Segment syn = take_syn(t);
  CHECK(syn.options.window_scale == std::optional<uint8_t>(0));  // 65535-octet buffer: shift 0
  // The peer does not scale: its windows are taken as they stand.
  t.deliver({.seq = kIrs, .ack = kIss + 1, .flags = kSyn | kAck, .window = 1000, .mss = 1460});
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck, .window = 65535}});
  CHECK(t.tcb().snd_wnd == 1000);
  t.deliver({.seq = kIrs + 1, .ack = kIss + 1, .flags = kAck, .window = 2000});
  CHECK(t.tcb().snd_wnd == 2000);
}

TEST_CASE("RFC 7323 2.2/2.3: both SYNs offer it: later windows are shifted, the SYN's never",
          "[wscale][syn-sent]") {
  // "The Window field in a SYN (i.e., a <SYN> or <SYN,ACK>) segment itself is
  // never scaled." After it: "SND.WND = SEG.WND << Snd.Wind.Shift".
  // (Congestion control off: only the peer's window may limit what is sent.)
  Config cfg;
  cfg.congestion_control = false;
  RfcEndpoint t(cfg);
  t.syn_sent();
  deliver_syn(t, kSyn | kAck, 1000, 7);
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck, .window = 65535}});
  REQUIRE(t.state() == State::kEstablished);
  CHECK(t.tcb().snd_wnd == 1000);
  t.deliver({.seq = kIrs + 1, .ack = kIss + 1, .flags = kAck, .window = 100});
  CHECK(t.tcb().snd_wnd == 100u << 7);
  // The sender uses all of it: 12800 queued octets go out at once (MSS 1460).
  REQUIRE(t.host().send(t.now(), t.sock(), pattern(0, 12800)).ok());
  uint32_t sent = 0;
  for (const Segment& s : t.take_tx()) sent += static_cast<uint32_t>(s.payload.size());
  CHECK(sent == 12800);
}

TEST_CASE("RFC 7323 2.3: a shift above 14 is taken as 14", "[wscale][syn-sent]") {
  RfcEndpoint t;
  t.syn_sent();
  deliver_syn(t, kSyn | kAck, 1000, 15);
  (void)t.take_tx();
  t.deliver({.seq = kIrs + 1, .ack = kIss + 1, .flags = kAck, .window = 3});
  CHECK(t.tcb().snd_wnd == 3u << 14);
}

TEST_CASE("RFC 7323 2.2: a SYN-ACK carries Window Scale only in answer to a SYN that did",
          "[wscale][listen]") {
  // "A TCP MAY send a Window Scale option in a <SYN,ACK> segment only if it
  // received a Window Scale option in the initial <SYN> segment."
  SECTION("the peer's SYN without it") {
    RfcEndpoint t;
    t.listen();
    t.deliver({.seq = kIrs, .flags = kSyn, .mss = 1460});
    const Segment synack = take_syn(t);
    CHECK_FALSE(synack.options.window_scale.has_value());
    t.deliver({.seq = kIrs + 1, .ack = kIss + 1, .flags = kAck, .window = 500});
    CHECK(t.tcb().snd_wnd == 500);
  }
  SECTION("the peer's SYN with it") {
    RfcEndpoint t;
    t.listen();
    deliver_syn(t, kSyn, 65535, 2);
    const Segment synack = take_syn(t);
    CHECK(synack.options.window_scale == std::optional<uint8_t>(0));
    t.deliver({.seq = kIrs + 1, .ack = kIss + 1, .flags = kAck, .window = 500});
    CHECK(t.tcb().snd_wnd == 500u << 2);
  }
  SECTION("Config::window_scale off: neither offered nor used") {
    Config cfg;
    cfg.window_scale = false;
    RfcEndpoint t(cfg);
    t.listen();
    deliver_syn(t, kSyn, 65535, 2);
    const Segment synack = take_syn(t);
    CHECK_FALSE(synack.options.window_scale.has_value());
    t.deliver({.seq = kIrs + 1, .ack = kIss + 1, .flags = kAck, .window = 500});
    CHECK(t.tcb().snd_wnd == 500);
  }
}

TEST_CASE("RFC 7323 2.3/2.4: a large buffer is offered scaled, rounded down, and the furthest "
          "edge offered stays acceptable",
          "[wscale][window]") {
  Config cfg;
  cfg.recv_buffer = 1u << 20;  // shift 5
  RfcEndpoint t(cfg);
  auto s = t.host().connect(t.now(), EndpointFixture::peer_address(), kRemotePort, kLocalPort);
  REQUIRE(s.ok());
  t.set_socket(*s);
  const Segment syn = take_syn(t);
  CHECK(syn.options.window_scale == std::optional<uint8_t>(5));
  CHECK(syn.window == 65535);  // a SYN's window is not scaled: capped at 16 bits
  deliver_syn(t, kSyn | kAck, 65535, 0);
  // The ACK offers the whole megabyte: 2^20 >> 5.
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck, .window = 32768}});
  CHECK(t.tcb().rcv_wnd == 1u << 20);
  // 100 octets in order: 2^20 - 100 remain, offered as 32764 << 5 = 2^20 - 128.
  // The edge offered now lies 28 octets left of the first one: RFC 7323 2.4's
  // retraction, less than one 2^5 step.
  t.deliver({.seq = kIrs + 1, .ack = kIss + 1, .flags = kAck, .payload = pattern(0, 100)});
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 101, .flags = kAck, .window = 32764}});
  // "The receiver must honor, as in a window, any segment that would have been in
  // window for any ACK sent": RCV.WND still reaches the first edge.
  CHECK(t.tcb().rcv_wnd == (1u << 20) - 100);
  const uint32_t edge = kIrs + 1 + (1u << 20);
  t.deliver({.seq = edge - 10, .ack = kIss + 1, .flags = kAck, .payload = pattern(0, 10)});
  t.expect_tx({{.seq = kIss + 1, .ack = kIrs + 101, .flags = kAck}});
  CHECK(t.conn().held() == 10);  // held, not refused
}

TEST_CASE("RFC 7323: two hosts with a megabyte of buffer keep more than 64 KiB in flight",
          "[wscale][pair]") {
  // Without scaling no more than 65535 octets could be unacknowledged; with it
  // the sender fills the receiver's megabyte window.
  Config cfg;
  cfg.recv_buffer = 1u << 20;
  cfg.send_buffer = 1u << 20;
  PairFixture t(1000, 5000, cfg);
  const SocketId listener = *t.server().listen(t.now(), 80);
  const SocketId client = *t.client().connect(t.now(), t.server_addr(), 80);
  t.exchange();
  const SocketId server = **t.server().accept(listener);
  const std::vector<uint8_t> data = pattern(0, 300000);
  REQUIRE(*t.client().send(t.now(), client, data) == data.size());
  t.collect();
  uint32_t most_in_flight = 0;
  for (int guard = 0; guard < 10000 && (!t.c2s().empty() || !t.s2c().empty()); ++guard) {
    if (!t.c2s().empty()) t.deliver_c2s();
    if (!t.s2c().empty()) t.deliver_s2c();
    const TcbSnapshot tcb = t.client().connection(client)->snapshot();
    most_in_flight = std::max(most_in_flight, distance(tcb.snd_una, tcb.snd_nxt).raw);
  }
  CHECK(most_in_flight > 65535);
  std::vector<uint8_t> got(400000);
  got.resize(*t.server().recv(t.now(), server, got));
  CHECK(got == data);
}
