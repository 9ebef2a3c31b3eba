// The fixture of the RFC 9293 conformance tests: one synfin host (ISS = kIss)
// opposite a scripted peer (its ISS, our IRS, = kIrs), with a RecordingObserver on
// the host. reach(state) drives the connection under test to any state of the
// diagram by real segments and user calls, asserting the RFC trace on the way.
//
// Numbers in the tests read like the RFC's: kIss + 1 is our first data octet,
// kIrs + 1 the peer's; a FIN takes one number.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "tests/recording_observer.h"
#include "tests/stack_fixture.h"

namespace synfin::testing {

inline constexpr uint32_t kIss = 1000;  // the host's initial send sequence number
inline constexpr uint32_t kIrs = 5000;  // the peer's (our initial receive sequence number)

// How the connection under test was opened.
enum class Open { kActive, kPassive };

struct RecorderHolder {
  RecordingObserver recorder;
};

// RecorderHolder comes first so the observer exists before the host that uses it.
class RfcEndpoint : public RecorderHolder, public EndpointFixture {
 public:
  explicit RfcEndpoint(Config cfg = Config{}, uint32_t local_iss = kIss)
      : EndpointFixture(local_iss, cfg, &recorder) {}

  TcbSnapshot tcb() const { return conn().snapshot(); }
  SocketId sock() const { return socket(); }

  // SYN-SENT: OPEN, active. "<SEQ=ISS><CTL=SYN>".
  void syn_sent() {
    auto s = host().connect(now(), peer_address(), kRemotePort, kLocalPort);
    REQUIRE(s.ok());
    set_socket(*s);
    expect_tx({{.seq = kIss, .flags = kSyn, .mss = config().mss}});
    REQUIRE(state() == State::kSynSent);
  }

  // SYN-RECEIVED by a passive open: LISTEN, then the peer's SYN.
  void syn_received_passive() {
    listen();
    deliver({.seq = kIrs, .flags = kSyn, .mss = 1460});
    expect_tx({{.seq = kIss, .ack = kIrs + 1, .flags = kSyn | kAck, .mss = config().mss}});
    REQUIRE(state() == State::kSynReceived);
  }

  // SYN-RECEIVED by simultaneous open (RFC 9293 Figure 8): our SYN is out and
  // the peer's SYN, without ACK, crosses it. The app owns this connection.
  void syn_received_active() {
    syn_sent();
    deliver({.seq = kIrs, .flags = kSyn, .mss = 1460});
    expect_tx({{.seq = kIss, .ack = kIrs + 1, .flags = kSyn | kAck, .mss = config().mss}});
    REQUIRE(state() == State::kSynReceived);
  }

  // Active open against a peer that announces `peer_window` and `peer_mss` in its
  // SYN,ACK, which arrives `rtt` after our SYN left.
  void established_with(uint16_t peer_window, uint16_t peer_mss = 1460, Duration rtt = Duration{}) {
    syn_sent();
    if (rtt.us > 0) advance(rtt);
    expect_nothing();
    deliver({.seq = kIrs,
             .ack = kIss + 1,
             .flags = kSyn | kAck,
             .window = peer_window,
             .mss = peer_mss});
    expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kAck}});
    REQUIRE(state() == State::kEstablished);
  }

  void established(Open how) {
    if (how == Open::kActive) {
      active_establish(kIrs);
    } else {
      passive_establish(kIrs);
    }
    REQUIRE(state() == State::kEstablished);
  }

  // ESTABLISHED, CLOSE: "<SEQ=ISS+1><CTL=FIN,ACK>", FIN-WAIT-1.
  void fin_wait_1(Open how = Open::kActive) {
    established(how);
    REQUIRE(host().shutdown(now(), sock()).ok());
    expect_tx({{.seq = kIss + 1, .ack = kIrs + 1, .flags = kFin | kAck}});
    REQUIRE(state() == State::kFinWait1);
  }

  // FIN-WAIT-1, the peer acknowledges our FIN: FIN-WAIT-2.
  void fin_wait_2(Open how = Open::kActive) {
    fin_wait_1(how);
    deliver({.seq = kIrs + 1, .ack = kIss + 2, .flags = kAck});
    expect_nothing();
    REQUIRE(state() == State::kFinWait2);
  }

  // FIN-WAIT-2, the peer's FIN: we acknowledge it and enter TIME-WAIT.
  void time_wait(Open how = Open::kActive) {
    fin_wait_2(how);
    deliver({.seq = kIrs + 1, .ack = kIss + 2, .flags = kFin | kAck});
    expect_tx({{.seq = kIss + 2, .ack = kIrs + 2, .flags = kAck}});
    REQUIRE(state() == State::kTimeWait);
  }

  // ESTABLISHED, the peer's FIN: we acknowledge it and enter CLOSE-WAIT.
  void close_wait(Open how = Open::kActive) {
    established(how);
    deliver({.seq = kIrs + 1, .ack = kIss + 1, .flags = kFin | kAck});
    expect_tx({{.seq = kIss + 1, .ack = kIrs + 2, .flags = kAck}});
    REQUIRE(state() == State::kCloseWait);
  }

  // CLOSE-WAIT, CLOSE: our FIN, LAST-ACK.
  void last_ack(Open how = Open::kActive) {
    close_wait(how);
    REQUIRE(host().shutdown(now(), sock()).ok());
    expect_tx({{.seq = kIss + 1, .ack = kIrs + 2, .flags = kFin | kAck}});
    REQUIRE(state() == State::kLastAck);
  }

  // FIN-WAIT-1, the peer's FIN arrives before the ACK of ours: CLOSING.
  void closing(Open how = Open::kActive) {
    fin_wait_1(how);
    deliver({.seq = kIrs + 1, .ack = kIss + 1, .flags = kFin | kAck});
    expect_tx({{.seq = kIss + 2, .ack = kIrs + 2, .flags = kAck}});
    REQUIRE(state() == State::kClosing);
  }

  // Any state but CLOSED, the app holding the handle of the connection under
  // test (the listener itself for LISTEN; a simultaneous open for SYN-RECEIVED).
  void reach(State s) {
    switch (s) {
      case State::kClosed: FAIL("CLOSED has no TCB to reach"); return;
      case State::kListen:
        listen();
        set_socket(listener());
        REQUIRE(state() == State::kListen);
        return;
      case State::kSynSent: return syn_sent();
      case State::kSynReceived: return syn_received_active();
      case State::kEstablished: return established(Open::kActive);
      case State::kFinWait1: return fin_wait_1();
      case State::kFinWait2: return fin_wait_2();
      case State::kCloseWait: return close_wait();
      case State::kClosing: return closing();
      case State::kLastAck: return last_ack();
      case State::kTimeWait: return time_wait();
    }
  }

  // The socket's fate as the app sees it once the TCB is gone.
  CloseReason final_reason() {
    auto st = host().status(sock());
    REQUIRE(st.ok());
    return st->close_reason;
  }
  bool tcb_freed() { return host().connection(sock()) == nullptr; }
  // The TCB the host now files under the test's 4-tuple (it may not be sock()'s:
  // a new incarnation, or a listener's fresh child).
  const Connection* by_tuple() {
    return host().find(FourTuple{host_address(), peer_address(), kLocalPort, kRemotePort});
  }
};

}  // namespace synfin::testing
