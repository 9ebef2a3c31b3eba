// The seqack checker, fed hand-built event sequences: every id fires on the
// event sequence that breaks exactly its rule, and the near miss stays quiet.
#include <catch2/catch.hpp>

#include <memory>

#include "harness/oracles/checkers.h"
#include "harness/pattern.h"
#include "harness/simulation.h"
#include "tests/oracle_test_util.h"

using namespace synfin;
using namespace synfin::harness;
using synfin::oracle_test::AllViolations;
using synfin::oracle_test::make_segment;
using synfin::oracle_test::Tcb;

#define CHECK_CLEAN(f)                \
  do {                                \
    INFO((f).sink.summary());         \
    CHECK((f).sink.all().empty());    \
  } while (0)
#define REQUIRE_CLEAN(f)              \
  do {                                \
    INFO((f).sink.summary());         \
    REQUIRE((f).sink.all().empty());  \
  } while (0)

namespace {

constexpr uint32_t kIss = 1000;
constexpr uint32_t kIrs = 5000;

// Drives one seqack checker for host 0, connection 1 (an active opener with ISS
// 1000 against a peer with ISN 5000).
struct Feed {
  explicit Feed(Config cfg = Config{}, Mode mode = Mode::kConnection)
      : checker(make_seqack_checker(oracle_test::context_for(&sink, mode, cfg))) {
    checker->on_created(0, 1, kNoConn, tuple, at());
  }

  Instant at() { return Instant{} + Duration::millis(++ms); }

  void in(const Segment& s, const Tcb& before) { checker->on_segment_in(0, 1, tuple, s, before.snap(), at()); }
  void out(const Segment& s, const Tcb& tcb) { checker->on_segment_out(0, 1, tuple, s, tcb.snap(), at()); }
  void end(const Tcb& tcb) { checker->on_step_end(0, 1, tcb.snap(), at()); }
  void app_send(size_t n, uint64_t offset = 0) {
    std::vector<uint8_t> b(n);
    fill_stream(offset, b);
    checker->on_send_accepted(0, 1, b, at());
  }
  void transition(State from, State to, Cause c) { checker->on_transition(0, 1, from, to, c, at()); }
  // The host-level path: no connection.
  void in0(const Segment& s) { checker->on_segment_in(0, kNoConn, tuple, s, TcbSnapshot{}, at()); }
  void out0(const Segment& s) { checker->on_segment_out(0, kNoConn, tuple, s, TcbSnapshot{}, at()); }

  // The TCB in SYN-SENT after our SYN at ISS.
  static Tcb syn_sent() {
    Tcb t;
    t.state = State::kSynSent;
    t.iss = kIss;
    t.snd_una = kIss;
    t.snd_nxt = t.snd_max = kIss + 1;
    return t;
  }
  // ESTABLISHED after the handshake: nothing sent or received beyond the SYNs.
  static Tcb est() {
    Tcb t;
    t.state = State::kEstablished;
    t.iss = kIss;
    t.irs = kIrs;
    t.snd_una = t.snd_nxt = t.snd_max = kIss + 1;
    t.snd_wnd = 65535;
    t.snd_wl1 = kIrs;
    t.snd_wl2 = kIss + 1;
    t.rcv_nxt = kIrs + 1;
    t.rcv_wnd = 65535;
    return t;
  }
  // Active open: SYN out, SYN-ACK in, ACK out.
  void establish(uint16_t our_window = 65535) {
    out(make_segment(kSyn, kIss), syn_sent());
    end(syn_sent());
    in(make_segment(kSyn | kAck, kIrs, kIss + 1), syn_sent());
    Tcb e = est();
    e.rcv_wnd = our_window;
    out(make_segment(kAck, kIss + 1, kIrs + 1, our_window), e);
    end(e);
  }
  // The peer announces `wnd` in a pure ACK; returns the TCB after it.
  Tcb peer_window(uint16_t wnd) {
    Tcb b = est();
    Tcb a = b;
    a.snd_wnd = wnd;
    a.snd_wl1 = kIrs + 1;
    in(make_segment(kAck, kIrs + 1, kIss + 1, wnd), b);
    end(a);
    return a;
  }

  AllViolations sink;
  std::unique_ptr<Oracle> checker;
  FourTuple tuple = oracle_test::tuple_of_host(0, 49152, 80);
  int64_t ms = 0;
};

}  // namespace

TEST_CASE("seqack: a clean handshake, transfer and close report nothing", "[oracle]") {
  Feed f;
  f.establish();
  f.app_send(100);
  Tcb t = Feed::est();
  t.snd_nxt = t.snd_max = kIss + 101;
  f.out(make_segment(kAck | kPsh, kIss + 1, kIrs + 1, 65535, 100, 0), t);
  f.end(t);
  // The peer acknowledges and sends 50 bytes.
  Tcb before = t;
  t.snd_una = kIss + 101;
  t.snd_wl1 = kIrs + 1;
  t.snd_wl2 = kIss + 101;
  t.rcv_nxt = kIrs + 51;
  f.in(make_segment(kAck, kIrs + 1, kIss + 101, 65535, 50, 0), before);
  f.out(make_segment(kAck, kIss + 101, kIrs + 51, 65485), t);
  f.end(t);
  // Our FIN right after the last byte.
  t.state = State::kFinWait1;
  t.snd_nxt = t.snd_max = kIss + 102;
  f.out(make_segment(kFin | kAck, kIss + 101, kIrs + 51, 65485), t);
  f.end(t);
  CHECK_CLEAN(f);
  INFO(f.sink.summary());
}

TEST_CASE("seqack.syn-consumes-one: data on the SYN's number", "[oracle]") {
  Feed f;
  f.establish();
  f.app_send(10);
  Tcb t = Feed::est();
  t.snd_nxt = t.snd_max = kIss + 10;
  SECTION("data at ISS fires") {
    f.out(make_segment(kAck, kIss, kIrs + 1, 65535, 10, 0), t);
    CHECK(f.sink.has("seqack.syn-consumes-one"));
  }
  SECTION("data at ISS+1 does not") {
    t.snd_nxt = t.snd_max = kIss + 11;
    f.out(make_segment(kAck, kIss + 1, kIrs + 1, 65535, 10, 0), t);
    CHECK_CLEAN(f);
  }
}

TEST_CASE("seqack.fin-consumes-one: the FIN follows the last byte, nothing follows the FIN",
          "[oracle]") {
  Feed f;
  f.establish();
  f.app_send(10);
  Tcb t = Feed::est();
  t.snd_nxt = t.snd_max = kIss + 11;
  f.out(make_segment(kAck, kIss + 1, kIrs + 1, 65535, 10, 0), t);
  t.state = State::kFinWait1;
  t.snd_nxt = t.snd_max = kIss + 12;
  SECTION("a FIN one past its place fires") {
    f.out(make_segment(kFin | kAck, kIss + 12, kIrs + 1), t);
    CHECK(f.sink.has("seqack.fin-consumes-one"));
  }
  SECTION("data after the FIN fires") {
    f.out(make_segment(kFin | kAck, kIss + 11, kIrs + 1), t);
    REQUIRE_CLEAN(f);
    f.out(make_segment(kAck, kIss + 12, kIrs + 1, 65535, 1, 11), t);
    CHECK(f.sink.has("seqack.fin-consumes-one"));
  }
  SECTION("the FIN in place, then a pure ACK at FIN+1, is fine") {
    f.out(make_segment(kFin | kAck, kIss + 11, kIrs + 1), t);
    f.out(make_segment(kAck, kIss + 12, kIrs + 1), t);
    CHECK_CLEAN(f);
  }
}

TEST_CASE("seqack.syn-ack-number: a SYN-ACK acknowledges exactly the peer's SYN + 1", "[oracle]") {
  Feed f;
  Tcb listen;
  listen.state = State::kListen;
  Tcb rcvd;
  rcvd.state = State::kSynReceived;
  rcvd.iss = kIss;
  rcvd.irs = kIrs;
  rcvd.snd_una = kIss;
  rcvd.snd_nxt = rcvd.snd_max = kIss + 1;
  rcvd.rcv_nxt = kIrs + 1;
  rcvd.rcv_wnd = 65535;
  f.in(make_segment(kSyn, kIrs), listen);
  SECTION("ack SYN+2 fires") {
    f.out(make_segment(kSyn | kAck, kIss, kIrs + 2), rcvd);
    CHECK(f.sink.has("seqack.syn-ack-number"));
  }
  SECTION("ack SYN+1 is right, and so is the retransmission") {
    f.out(make_segment(kSyn | kAck, kIss, kIrs + 1), rcvd);
    f.end(rcvd);
    f.out(make_segment(kSyn | kAck, kIss, kIrs + 1), rcvd);  // a timer's retransmission
    f.end(rcvd);
    CHECK_CLEAN(f);
    // A later retransmission with another number fires.
    f.out(make_segment(kSyn | kAck, kIss, kIrs), rcvd);
    CHECK(f.sink.has("seqack.syn-ack-number"));
  }
}

TEST_CASE("seqack.ack-beyond-peer-sent: acknowledging what the peer never sent", "[oracle]") {
  Feed f;
  f.establish();
  SECTION("an ACK 100 past the peer's SYN fires") {
    Tcb t = Feed::est();
    t.rcv_nxt = kIrs + 101;
    f.out(make_segment(kAck, kIss + 1, kIrs + 101), t);
    CHECK(f.sink.has("seqack.ack-beyond-peer-sent"));
  }
  SECTION("the same ACK after 100 bytes arrived does not") {
    Tcb t = Feed::est();
    t.rcv_nxt = kIrs + 101;
    f.in(make_segment(kAck, kIrs + 1, kIss + 1, 65535, 100), Feed::est());
    f.out(make_segment(kAck, kIss + 1, kIrs + 101, 65435), t);
    f.end(t);
    CHECK_CLEAN(f);
  }
  SECTION("a host-level RST,ACK past the segment it answers fires") {
    Segment in = make_segment(kPsh, 7000, 0, 65535, 10);
    f.in0(in);
    Segment rst = make_segment(kRst | kAck, 0, 7012, 0);
    f.out0(rst);
    CHECK(f.sink.has("seqack.ack-beyond-peer-sent"));
  }
}

TEST_CASE("seqack.seq-outside-sent-range: bytes the app never gave", "[oracle]") {
  Feed f;
  f.establish();
  f.app_send(10);
  Tcb t = Feed::est();
  t.snd_nxt = t.snd_max = kIss + 21;
  SECTION("20 bytes when the app gave 10 fires, but not data-mismatch") {
    f.out(make_segment(kAck, kIss + 1, kIrs + 1, 65535, 20, 0), t);
    CHECK(f.sink.has("seqack.seq-outside-sent-range"));
    CHECK_FALSE(f.sink.has("seqack.data-mismatch"));
  }
  SECTION("a pure ACK before ISS fires") {
    f.out(make_segment(kAck, kIss - 5, kIrs + 1), t);
    CHECK(f.sink.has("seqack.seq-outside-sent-range"));
  }
  SECTION("the zero-window probe at SND.UNA-1 = ISS is fine") {
    f.out(make_segment(kAck, kIss, kIrs + 1), t);
    CHECK_CLEAN(f);
  }
  SECTION("a second SYN at another number fires") {
    Tcb s = Feed::syn_sent();
    f.out(make_segment(kSyn, kIss + 7), s);
    CHECK(f.sink.has("seqack.seq-outside-sent-range"));
  }
}

TEST_CASE("seqack.data-mismatch: a byte other than the app's", "[oracle]") {
  Feed f;
  f.establish();
  f.app_send(10);
  Tcb t = Feed::est();
  t.snd_nxt = t.snd_max = kIss + 11;
  SECTION("bytes of stream offset 1 placed at offset 0 fire") {
    f.out(make_segment(kAck, kIss + 1, kIrs + 1, 65535, 10, 1), t);
    CHECK(f.sink.has("seqack.data-mismatch"));
  }
  SECTION("a retransmission of the right bytes is fine") {
    f.out(make_segment(kAck, kIss + 1, kIrs + 1, 65535, 10, 0), t);
    f.out(make_segment(kAck, kIss + 6, kIrs + 1, 65535, 5, 5), t);
    CHECK_CLEAN(f);
  }
}

TEST_CASE("seqack.snd-una-backwards and rcv-nxt-backwards", "[oracle]") {
  Feed f;
  f.establish();
  f.app_send(1000);
  Tcb t = Feed::est();
  t.snd_nxt = t.snd_max = kIss + 1001;
  f.out(make_segment(kAck, kIss + 1, kIrs + 1, 65535, 1000, 0), t);
  Tcb b = t;
  t.snd_una = kIss + 501;
  t.snd_wl1 = kIrs + 1;
  t.snd_wl2 = kIss + 501;
  f.in(make_segment(kAck, kIrs + 1, kIss + 501), b);
  f.end(t);
  REQUIRE_CLEAN(f);
  SECTION("SND.UNA moving back fires") {
    Tcb b2 = t;
    t.snd_una = kIss + 301;
    t.snd_wl2 = kIss + 301;
    f.in(make_segment(kAck, kIrs + 1, kIss + 301), b2);
    f.end(t);
    CHECK(f.sink.has("seqack.snd-una-backwards"));
  }
  SECTION("RCV.NXT moving back fires") {
    t.rcv_nxt = kIrs;
    f.end(t);
    CHECK(f.sink.has("seqack.rcv-nxt-backwards"));
  }
  SECTION("RCV.NXT of a SYN-SENT snapshot is not judged") {
    Feed g;
    Tcb s = Feed::syn_sent();
    s.rcv_nxt = 77;
    g.out(make_segment(kSyn, kIss), s);
    s.rcv_nxt = 3;
    g.end(s);
    CHECK_CLEAN(g);
  }
}

TEST_CASE("seqack.right-edge-left: the advertised edge never moves left", "[oracle]") {
  Feed f;
  f.establish(1000);
  Tcb t = Feed::est();
  t.rcv_wnd = 1000;
  SECTION("a smaller window at the same ack fires") {
    f.out(make_segment(kAck, kIss + 1, kIrs + 1, 500), t);
    CHECK(f.sink.has("seqack.right-edge-left"));
  }
  SECTION("a larger window is fine") {
    f.out(make_segment(kAck, kIss + 1, kIrs + 1, 1500), t);
    CHECK_CLEAN(f);
  }
}

TEST_CASE("seqack.acceptability: an unacceptable segment changes nothing and is ACKed",
          "[oracle]") {
  Feed f;
  f.establish();
  const Tcb b = Feed::est();
  Segment far = make_segment(kAck, kIrs + 1 + 100000, kIss + 1, 65535, 10);
  SECTION("no ACK in reply fires") {
    f.in(far, b);
    f.end(b);
    CHECK(f.sink.has("seqack.acceptability"));
  }
  SECTION("RCV.NXT moving fires") {
    f.in(far, b);
    Tcb a = b;
    a.rcv_nxt = kIrs + 11;
    f.out(make_segment(kAck, kIss + 1, kIrs + 1), b);
    f.end(a);
    CHECK(f.sink.has("seqack.acceptability"));
  }
  SECTION("an ACK of RCV.NXT is right") {
    f.in(far, b);
    f.out(make_segment(kAck, kIss + 1, kIrs + 1), b);
    f.end(b);
    CHECK_CLEAN(f);
  }
  SECTION("an unacceptable RST must get no reply") {
    f.in(make_segment(kRst, kIrs + 1 + 100000), b);
    f.out(make_segment(kAck, kIss + 1, kIrs + 1), b);
    f.end(b);
    CHECK(f.sink.has("seqack.acceptability"));
  }
}

TEST_CASE("seqack.acceptability: the rate limit of ACKs to invalid segments (RFC 5961 7)",
          "[oracle]") {
  Feed f;
  f.establish();
  const Tcb b = Feed::est();
  const Segment far_ack = make_segment(kAck, kIrs + 1 + 100000, kIss + 1);
  f.in(far_ack, b);
  f.out(make_segment(kAck, kIss + 1, kIrs + 1), b);
  f.end(b);
  SECTION("a second invalid zero-length segment 100 ms later may go unanswered") {
    f.ms += 100;
    f.in(far_ack, b);
    f.end(b);
    CHECK_CLEAN(f);
  }
  SECTION("one carrying data is answered every time") {
    f.ms += 100;
    f.in(make_segment(kAck, kIrs + 1 + 100000, kIss + 1, 65535, 10), b);
    f.end(b);
    CHECK(f.sink.has("seqack.acceptability"));
  }
  SECTION("after the interval the reply is due again") {
    f.ms += 600;
    f.in(far_ack, b);
    f.end(b);
    CHECK(f.sink.has("seqack.acceptability"));
  }
}

TEST_CASE("seqack.acceptable-data-dropped: in-order data in the window advances RCV.NXT",
          "[oracle]") {
  Feed f;
  f.establish();
  const Tcb b = Feed::est();
  f.in(make_segment(kAck, kIrs + 1, kIss + 1, 65535, 100), b);
  SECTION("RCV.NXT unchanged fires") {
    f.out(make_segment(kAck, kIss + 1, kIrs + 1), b);
    f.end(b);
    CHECK(f.sink.has("seqack.acceptable-data-dropped"));
  }
  SECTION("RCV.NXT + 100 is right") {
    Tcb a = b;
    a.rcv_nxt = kIrs + 101;
    f.out(make_segment(kAck, kIss + 1, kIrs + 101, 65435), a);
    f.end(a);
    CHECK_CLEAN(f);
  }
}

TEST_CASE("seqack.acceptable-data-dropped: data trimmed to the window, FIN only with room",
          "[oracle]") {
  Feed f;
  f.establish(50);
  Tcb b = Feed::est();
  b.rcv_wnd = 50;
  // 100 bytes and a FIN: 50 taken, the FIN lies beyond the window.
  f.in(make_segment(kAck | kFin, kIrs + 1, kIss + 1, 65535, 100), b);
  Tcb a = b;
  a.rcv_nxt = kIrs + 51;
  SECTION("taking 50 is right") {
    f.out(make_segment(kAck, kIss + 1, kIrs + 51, 0), a);
    f.end(a);
    CHECK_CLEAN(f);
  }
  SECTION("taking the FIN too fires") {
    a.rcv_nxt = kIrs + 52;
    a.state = State::kCloseWait;
    f.out(make_segment(kAck, kIss + 1, kIrs + 52, 0), a);
    f.end(a);
    CHECK(f.sink.has("seqack.acceptable-data-dropped"));
  }
}

TEST_CASE("seqack.acceptable-data-dropped: reassembly may carry RCV.NXT over octets held earlier",
          "[oracle][reassembly]") {
  // RFC 9293 3.10.7.4 seventh step: "Segments with higher beginning sequence
  // numbers may be held for later processing." The segment that fills the gap
  // then moves RCV.NXT past its own text, over the held octets; but only over
  // numbers the peer did send, and never past the window.
  Feed f;
  f.establish();
  const Tcb b = Feed::est();
  SECTION("over octets the peer sent earlier: clean") {
    // 100..199 first, held: RCV.NXT stays, a duplicate ACK goes out.
    f.in(make_segment(kAck, kIrs + 101, kIss + 1, 65535, 100, 100), b);
    f.out(make_segment(kAck, kIss + 1, kIrs + 1), b);
    f.end(b);
    // 0..99 fills the gap: RCV.NXT jumps to IRS + 201.
    f.in(make_segment(kAck, kIrs + 1, kIss + 1, 65535, 100, 0), b);
    Tcb a = b;
    a.rcv_nxt = kIrs + 201;
    f.out(make_segment(kAck, kIss + 1, kIrs + 201, 65335), a);
    f.end(a);
    CHECK_CLEAN(f);
  }
  SECTION("over numbers the peer never sent: fires") {
    f.in(make_segment(kAck, kIrs + 1, kIss + 1, 65535, 100, 0), b);
    Tcb a = b;
    a.rcv_nxt = kIrs + 201;
    f.end(a);
    CHECK(f.sink.has("seqack.acceptable-data-dropped"));
  }
  SECTION("past the window, over numbers the peer sent: fires") {
    Feed g;
    g.establish(150);
    Tcb w = Feed::est();
    w.rcv_wnd = 150;
    // 100..199 was sent (and lies partly past the window of 150).
    g.in(make_segment(kAck, kIrs + 101, kIss + 1, 65535, 100, 100), w);
    g.out(make_segment(kAck, kIss + 1, kIrs + 1, 150), w);
    g.end(w);
    g.in(make_segment(kAck, kIrs + 1, kIss + 1, 65535, 100, 0), w);
    Tcb a = w;
    a.rcv_nxt = kIrs + 201;
    g.end(a);
    CHECK(g.sink.has("seqack.acceptable-data-dropped"));
  }
  SECTION("an out-of-order segment that moves RCV.NXT by itself: fires") {
    f.in(make_segment(kAck, kIrs + 101, kIss + 1, 65535, 100, 100), b);
    Tcb a = b;
    a.rcv_nxt = kIrs + 101;  // as if the 100 octets before it had arrived
    f.end(a);
    CHECK(f.sink.has("seqack.acceptable-data-dropped"));
  }
}

TEST_CASE("seqack with RFC 7323 window scaling: windows shifted after the SYNs, retraction "
          "below one step allowed",
          "[oracle][wscale]") {
  // Both SYNs offer Window Scale: ours 3, the peer's 2. "The window field in a
  // SYN ... segment itself is never scaled"; later ones are shifted.
  Feed f;
  Segment syn = make_segment(kSyn, kIss);
  syn.options.window_scale = 3;
  f.out(syn, Feed::syn_sent());
  f.end(Feed::syn_sent());
  Segment synack = make_segment(kSyn | kAck, kIrs, kIss + 1, 1000);
  synack.options.window_scale = 2;
  f.in(synack, Feed::syn_sent());
  Tcb e = Feed::est();
  e.snd_wnd = 1000;  // the SYN-ACK's window, unscaled
  f.out(make_segment(kAck, kIss + 1, kIrs + 1, 1000), e);  // our edge: IRS + 1 + 8000
  f.end(e);
  REQUIRE_CLEAN(f);
  // The peer's 3 octets with window 100: SND.WND = 100 << 2.
  f.in(make_segment(kAck, kIrs + 1, kIss + 1, 100, 3), e);
  Tcb a = e;
  a.rcv_nxt = kIrs + 4;
  a.snd_wl1 = kIrs + 1;
  SECTION("SND.WND = SEG.WND << Snd.Wind.Shift: clean") {
    a.snd_wnd = 400;
    // RCV.NXT moved by 3: 999 << 3 puts the edge 5 octets left of the first one,
    // within one 2^3 step (RFC 7323 2.4).
    f.out(make_segment(kAck, kIss + 1, kIrs + 4, 999), a);
    f.end(a);
    CHECK_CLEAN(f);
  }
  SECTION("the window taken unscaled: fires") {
    a.snd_wnd = 100;
    f.out(make_segment(kAck, kIss + 1, kIrs + 4, 999), a);
    f.end(a);
    CHECK(f.sink.has("seqack.send-window-provenance"));
  }
  SECTION("a retraction of a whole step or more: fires") {
    a.snd_wnd = 400;
    f.out(make_segment(kAck, kIss + 1, kIrs + 4, 998), a);  // 13 octets left
    f.end(a);
    CHECK(f.sink.has("seqack.right-edge-left"));
  }
}

TEST_CASE("seqack with RFC 7323 timestamps: PAWS may drop an older segment, not a newer one",
          "[oracle][timestamps]") {
  Feed f;
  Segment syn = make_segment(kSyn, kIss);
  syn.options.timestamps = Timestamps{100, 0};
  f.out(syn, Feed::syn_sent());
  f.end(Feed::syn_sent());
  Segment synack = make_segment(kSyn | kAck, kIrs, kIss + 1);
  synack.options.timestamps = Timestamps{5000, 100};
  f.in(synack, Feed::syn_sent());
  const Tcb e = Feed::est();
  f.out(make_segment(kAck, kIss + 1, kIrs + 1), e);
  f.end(e);
  REQUIRE_CLEAN(f);
  auto data = [](uint32_t tsval) {
    Segment d = make_segment(kAck, kIrs + 1, kIss + 1, 65535, 100);
    d.options.timestamps = Timestamps{tsval, 100};
    return d;
  };
  SECTION("TSval older than one the peer sent: dropping it is PAWS, clean") {
    f.in(data(4999), e);
    f.out(make_segment(kAck, kIss + 1, kIrs + 1), e);
    f.end(e);
    CHECK_CLEAN(f);
  }
  SECTION("TSval current: dropping it fires") {
    f.in(data(5000), e);
    f.out(make_segment(kAck, kIss + 1, kIrs + 1), e);
    f.end(e);
    CHECK(f.sink.has("seqack.acceptable-data-dropped"));
  }
  SECTION("TSval after the newest the peer sent but before an older one: PAWS, clean") {
    // Serial order is not transitive across 2^31: 5000 < M < X, yet X < 5000. A
    // receiver whose TS.Recent is still 5000 (M came on a segment it did not
    // take) drops X as old.
    const uint32_t m = 5000u + (1u << 31) - 1000u;
    const uint32_t x = m + 2000u;
    Segment ack = make_segment(kAck, kIrs + 1, kIss + 1);
    ack.options.timestamps = Timestamps{m, 100};
    f.in(ack, e);
    f.end(e);
    REQUIRE_CLEAN(f);
    f.in(data(x), e);
    f.out(make_segment(kAck, kIss + 1, kIrs + 1), e);
    f.end(e);
    CHECK_CLEAN(f);
  }
  SECTION("past 64 distinct TSvals the checker stops judging them: a drop is clean") {
    // The checker keeps a bounded set; once it overflows, any TSval may be older
    // than the TS.Recent it no longer knows, so PAWS drops are all allowed.
    for (uint32_t i = 1; i <= 64; ++i) {
      Segment ack = make_segment(kAck, kIrs + 1, kIss + 1);
      ack.options.timestamps = Timestamps{5000 + i, 100};
      f.in(ack, e);
      f.end(e);
    }
    REQUIRE_CLEAN(f);
    f.in(data(5000 + 65 + 1000), e);  // after every TSval sent
    f.out(make_segment(kAck, kIss + 1, kIrs + 1), e);
    f.end(e);
    CHECK_CLEAN(f);
  }
  SECTION("TSval after every one the peer sent: dropping it fires") {
    const uint32_t m = 5000u + (1u << 30);
    Segment ack = make_segment(kAck, kIrs + 1, kIss + 1);
    ack.options.timestamps = Timestamps{m, 100};
    f.in(ack, e);
    f.end(e);
    REQUIRE_CLEAN(f);
    f.in(data(m + 1), e);
    f.out(make_segment(kAck, kIss + 1, kIrs + 1), e);
    f.end(e);
    CHECK(f.sink.has("seqack.acceptable-data-dropped"));
  }
  SECTION("no TSopt, not required by Config: dropping it fires") {
    f.in(make_segment(kAck, kIrs + 1, kIss + 1, 65535, 100), e);
    f.out(make_segment(kAck, kIss + 1, kIrs + 1), e);
    f.end(e);
    CHECK(f.sink.has("seqack.acceptable-data-dropped"));
  }
}

TEST_CASE("seqack.rst-form: host replies and ABORT resets", "[oracle]") {
  Feed f;
  SECTION("no TCB, ACK on: <SEQ=SEG.ACK><CTL=RST>") {
    f.in0(make_segment(kAck, 7000, 4242));
    f.out0(make_segment(kRst, 4242, 0, 0));
    CHECK_CLEAN(f);
    f.in0(make_segment(kAck, 7000, 4242));
    f.out0(make_segment(kRst, 4243, 0, 0));
    CHECK(f.sink.has("seqack.rst-form"));
  }
  SECTION("no TCB, ACK off: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>") {
    f.in0(make_segment(kSyn | kFin, 7000, 0, 65535, 5));
    f.out0(make_segment(kRst | kAck, 0, 7007, 0));
    CHECK_CLEAN(f);
    f.in0(make_segment(kSyn, 7000));
    f.out0(make_segment(kRst, 0, 0, 0));
    CHECK(f.sink.has("seqack.rst-form"));
  }
  SECTION("no TCB: a RST answering a RST") {
    f.in0(make_segment(kRst, 7000));
    f.out0(make_segment(kRst | kAck, 0, 7000, 0));
    CHECK(f.sink.has("seqack.rst-form"));
  }
  SECTION("ABORT: <SEQ=SND.NXT><CTL=RST>") {
    f.establish();
    f.out(make_segment(kRst, kIss + 1, 0, 0), Feed::est());
    CHECK_CLEAN(f);
    f.out(make_segment(kRst, kIss + 2, 0, 0), Feed::est());
    CHECK(f.sink.has("seqack.rst-form"));
  }
  SECTION("bad ACK in SYN-SENT: <SEQ=SEG.ACK><CTL=RST>") {
    f.out(make_segment(kSyn, kIss), Feed::syn_sent());
    f.end(Feed::syn_sent());
    f.in(make_segment(kSyn | kAck, kIrs, kIss + 50), Feed::syn_sent());
    f.out(make_segment(kRst, kIss + 51, 0, 0), Feed::syn_sent());
    f.end(Feed::syn_sent());
    CHECK(f.sink.has("seqack.rst-form"));
  }
}

TEST_CASE("seqack.rst-accepted-inexact and rst-accepted-syn-sent", "[oracle]") {
  SECTION("RFC 5961 on: a RST 10 into the window must not reset") {
    Feed f;
    f.establish();
    f.in(make_segment(kRst, kIrs + 11), Feed::est());
    f.transition(State::kEstablished, State::kClosed, Cause::kRecvRst);
    CHECK(f.sink.has("seqack.rst-accepted-inexact"));
  }
  SECTION("RFC 5961 on: the exact RST may") {
    Feed f;
    f.establish();
    f.in(make_segment(kRst, kIrs + 1), Feed::est());
    f.transition(State::kEstablished, State::kClosed, Cause::kRecvRst);
    Tcb a = Feed::est();
    a.state = State::kClosed;
    f.end(a);
    CHECK_CLEAN(f);
  }
  SECTION("RFC 5961 off: in window may, outside may not") {
    Config cfg;
    cfg.rfc5961_rst = false;
    Feed f(cfg);
    f.establish();
    f.in(make_segment(kRst, kIrs + 11), Feed::est());
    f.transition(State::kEstablished, State::kClosed, Cause::kRecvRst);
    CHECK_CLEAN(f);
    Feed g(cfg);
    g.establish();
    g.in(make_segment(kRst, kIrs + 1 + 70000), Feed::est());
    g.transition(State::kEstablished, State::kClosed, Cause::kRecvRst);
    CHECK(g.sink.has("seqack.rst-accepted-inexact"));
  }
  SECTION("SYN-SENT: a RST without an ACK of our SYN must not reset") {
    Feed f;
    f.out(make_segment(kSyn, kIss), Feed::syn_sent());
    f.end(Feed::syn_sent());
    f.in(make_segment(kRst, kIrs), Feed::syn_sent());
    f.transition(State::kSynSent, State::kClosed, Cause::kRecvRst);
    CHECK(f.sink.has("seqack.rst-accepted-syn-sent"));
  }
  SECTION("SYN-SENT: RST,ACK of our SYN may") {
    Feed f;
    f.out(make_segment(kSyn, kIss), Feed::syn_sent());
    f.end(Feed::syn_sent());
    f.in(make_segment(kRst | kAck, 0, kIss + 1), Feed::syn_sent());
    f.transition(State::kSynSent, State::kClosed, Cause::kRecvRst);
    CHECK_CLEAN(f);
  }
}

TEST_CASE("seqack.rst-ignored: an exact RST must reset", "[oracle]") {
  Feed f;
  f.establish();
  f.in(make_segment(kRst, kIrs + 1), Feed::est());
  SECTION("still ESTABLISHED fires") {
    f.end(Feed::est());
    CHECK(f.sink.has("seqack.rst-ignored"));
  }
  SECTION("CLOSED is right") {
    Tcb a = Feed::est();
    a.state = State::kClosed;
    f.transition(State::kEstablished, State::kClosed, Cause::kRecvRst);
    f.end(a);
    CHECK_CLEAN(f);
  }
}

TEST_CASE("seqack.rst-ignored: not in TIME-WAIT with RFC 1337", "[oracle]") {
  Feed f;
  f.establish();
  Tcb tw = Feed::est();
  tw.state = State::kTimeWait;
  f.end(tw);
  f.in(make_segment(kRst, kIrs + 1), tw);
  f.end(tw);
  CHECK_CLEAN(f);
}

TEST_CASE("seqack.challenge-ack-missing: RFC 5961 challenge ACKs", "[oracle]") {
  Feed f;
  f.establish();
  const Tcb b = Feed::est();
  SECTION("an in-window inexact RST without a challenge ACK fires") {
    f.in(make_segment(kRst, kIrs + 11), b);
    f.end(b);
    CHECK(f.sink.has("seqack.challenge-ack-missing"));
  }
  SECTION("with the challenge ACK it is right") {
    f.in(make_segment(kRst, kIrs + 11), b);
    f.out(make_segment(kAck, kIss + 1, kIrs + 1), b);
    f.end(b);
    CHECK_CLEAN(f);
  }
  SECTION("a SYN in ESTABLISHED without a challenge ACK fires") {
    f.in(make_segment(kSyn, kIrs + 20), b);
    Tcb a = b;
    a.state = State::kClosed;
    f.end(a);
    CHECK(f.sink.has("seqack.challenge-ack-missing"));
  }
  SECTION("a SYN answered by a challenge ACK is right") {
    f.in(make_segment(kSyn, kIrs + 20), b);
    f.out(make_segment(kAck, kIss + 1, kIrs + 1), b);
    f.end(b);
    CHECK_CLEAN(f);
  }
}

TEST_CASE("seqack.ack-range: acknowledgments of unsent or ancient data", "[oracle]") {
  Feed f;
  f.establish();
  const Tcb b = Feed::est();
  SECTION("an ACK past SND.NXT processed as data fires") {
    f.in(make_segment(kAck, kIrs + 1, kIss + 500, 65535, 10), b);
    Tcb a = b;
    a.rcv_nxt = kIrs + 11;
    f.out(make_segment(kAck, kIss + 1, kIrs + 11), a);
    f.end(a);
    CHECK(f.sink.has("seqack.ack-range"));
  }
  SECTION("an ACK past SND.NXT discarded and answered is right") {
    f.in(make_segment(kAck, kIrs + 1, kIss + 500, 65535, 10), b);
    f.out(make_segment(kAck, kIss + 1, kIrs + 1), b);
    f.end(b);
    CHECK_CLEAN(f);
  }
  SECTION("RFC 5961 5.2: an ACK below SND.UNA - MAX.SND.WND without a reply fires") {
    f.in(make_segment(kAck, kIrs + 1, kIss + 1 - 70000), b);
    f.end(b);
    CHECK(f.sink.has("seqack.ack-range"));
  }
}

TEST_CASE("seqack.data-beyond-window: data past SND.UNA + SND.WND", "[oracle]") {
  Feed f;
  f.establish();
  f.app_send(10);
  SECTION("10 bytes into a 5-byte window fire") {
    Tcb t = f.peer_window(5);
    t.snd_nxt = t.snd_max = kIss + 11;
    f.out(make_segment(kAck, kIss + 1, kIrs + 1, 65535, 10, 0), t);
    CHECK(f.sink.has("seqack.data-beyond-window"));
  }
  SECTION("5 bytes fit") {
    Tcb t = f.peer_window(5);
    t.snd_nxt = t.snd_max = kIss + 6;
    f.out(make_segment(kAck, kIss + 1, kIrs + 1, 65535, 5, 0), t);
    CHECK_CLEAN(f);
  }
  SECTION("a one-byte probe of a zero window is allowed") {
    Tcb t = f.peer_window(0);
    t.snd_nxt = t.snd_max = kIss + 2;
    f.out(make_segment(kAck, kIss + 1, kIrs + 1, 65535, 1, 0), t);
    CHECK_CLEAN(f);
  }
}

TEST_CASE("seqack.send-window-provenance: SND.WND comes from the peer's segments", "[oracle]") {
  Feed f;
  f.establish();
  SECTION("a new window in a step without a segment fires") {
    Tcb t = Feed::est();
    t.snd_wnd = 100000;
    f.end(t);
    CHECK(f.sink.has("seqack.send-window-provenance"));
  }
  SECTION("a window taken from the segment processed is right") {
    Tcb b = Feed::est();
    Tcb a = b;
    a.snd_wnd = 300;
    a.snd_wl1 = kIrs + 1;
    f.in(make_segment(kAck, kIrs + 1, kIss + 1, 300), b);
    f.end(a);
    CHECK_CLEAN(f);
  }
  SECTION("SND.UNA set to a number the segment does not carry fires") {
    Tcb b = Feed::est();
    Tcb a = b;
    a.snd_una = kIss + 1;
    f.app_send(100);
    Tcb s = b;
    s.snd_nxt = s.snd_max = kIss + 101;
    f.out(make_segment(kAck, kIss + 1, kIrs + 1, 65535, 100), s);
    f.in(make_segment(kAck, kIrs + 1, kIss + 51), s);
    a = s;
    a.snd_una = kIss + 61;
    f.end(a);
    CHECK(f.sink.has("seqack.send-window-provenance"));
  }
}

TEST_CASE("seqack: each violation is reported once per connection", "[oracle]") {
  Feed f;
  f.establish();
  f.app_send(10);
  Tcb t = Feed::est();
  t.snd_nxt = t.snd_max = kIss + 11;
  for (int i = 0; i < 5; ++i) f.out(make_segment(kAck, kIss + 1, kIrs + 1, 65535, 10, 3), t);
  CHECK(f.sink.count("seqack.data-mismatch") == 1);
}
