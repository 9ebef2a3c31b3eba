// RFC 6675 loss recovery with the peer's SACK blocks (the data sender's side of
// RFC 2018): the scoreboard on its own, then a synfin host that loses three
// segments of a flight and retransmits exactly those.
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "stack/sack_scoreboard.h"
#include "tests/rfc_endpoint.h"

using namespace synfin;
using namespace synfin::testing;

namespace {

constexpr uint32_t kS = 1460;  // SMSS

// ---- The scoreboard ----

TEST_CASE("RFC 6675 scoreboard: blocks merge, holes lie below the highest SACKed octet", "[sack][scoreboard]") {
  SackScoreboard b;
  const SeqNum una(1000);
  const SeqNum max = una + SeqLen(10000);
  b.clear(una);
  CHECK(b.empty());
  CHECK(b.high_sacked() == una);
  CHECK_FALSE(b.next_hole(una).has_value());

  const SackBlock blocks[] = {{una + SeqLen(2000), una + SeqLen(3000)}, {una + SeqLen(5000), una + SeqLen(6000)}};
  b.update(una, max, blocks);
  CHECK(b.sacked_bytes() == 2000);
  CHECK(b.high_sacked() == una + SeqLen(6000));
  CHECK(b.is_sacked(una + SeqLen(2500)));
  CHECK_FALSE(b.is_sacked(una + SeqLen(3000)));
  auto h = b.next_hole(una);
  REQUIRE(h);
  CHECK(h->seq == una);
  CHECK(h->len == 2000);
  h = b.next_hole(una + SeqLen(2500));
  REQUIRE(h);
  CHECK(h->seq == una + SeqLen(3000));
  CHECK(h->len == 2000);
  CHECK_FALSE(b.next_hole(una + SeqLen(5500)).has_value());  // nothing SACKed above
  CHECK(b.hole_bytes_from(una) == 4000);

  // A block bridging the two merges all three.
  const SackBlock bridge[] = {{una + SeqLen(2900), una + SeqLen(5100)}};
  b.update(una, max, bridge);
  CHECK(b.sacked_bytes() == 4000);
  CHECK(b.hole_bytes_from(una) == 2000);

  // SND.UNA moves into the range: what it covers leaves the board.
  b.update(una + SeqLen(2500), max, {});
  CHECK(b.sacked_bytes() == 3500);
  CHECK_FALSE(b.next_hole(una + SeqLen(2500)).has_value());
}

TEST_CASE("RFC 6675 scoreboard: blocks below SND.UNA (D-SACK), past SND.MAX or reversed count only "
          "between SND.UNA and SND.MAX",
          "[sack][scoreboard]") {
  SackScoreboard b;
  const SeqNum una(0xFFFFF000);  // the window straddles the wrap
  const SeqNum max = una + SeqLen(8000);
  b.clear(una);
  const SackBlock blocks[] = {
      {una - SeqLen(500), una - SeqLen(100)},        // RFC 2883 D-SACK: below SND.UNA
      {una + SeqLen(7000), una + SeqLen(9000)},      // runs past SND.MAX: cut there
      {una + SeqLen(3000), una + SeqLen(2000)},      // reversed: ignored
      {una + SeqLen(4000), una + SeqLen(5000)},      // across 2^32
  };
  b.update(una, max, blocks);
  CHECK(b.sacked_bytes() == 2000);
  CHECK(b.high_sacked() == max);
  CHECK(b.is_sacked(una + SeqLen(4500)));
  CHECK_FALSE(b.is_sacked(una - SeqLen(200)));
  CHECK(b.check_invariants(max).ok());
  // Checked against a smaller SND.MAX the board reaches past it: the check fires.
  const absl::Status st = b.check_invariants(una + SeqLen(7500));
  CHECK_FALSE(st.ok());
  CHECK(std::string(st.message()).find("past the highest number sent") != std::string::npos);
}

TEST_CASE("RFC 6675 IsLost: three separate SACKed ranges, or more than two segments' worth, above "
          "a sequence number mark it lost",
          "[sack][scoreboard]") {
  SackScoreboard b;
  const SeqNum una(5000);
  const SeqNum max = una + SeqLen(20 * kS);
  b.clear(una);
  CHECK_FALSE(b.is_lost(una, kS, 3));
  // Two small ranges above SND.UNA: neither DupThresh ranges nor 2 * SMSS octets.
  const SackBlock two[] = {{una + SeqLen(2 * kS), una + SeqLen(2 * kS + 100)},
                           {una + SeqLen(4 * kS), una + SeqLen(4 * kS + 100)}};
  b.update(una, max, two);
  CHECK_FALSE(b.is_lost(una, kS, 3));
  // A third separate range: DupThresh discontiguous SACKed sequences.
  const SackBlock third[] = {{una + SeqLen(6 * kS), una + SeqLen(6 * kS + 100)}};
  b.update(una, max, third);
  CHECK(b.is_lost(una, kS, 3));
  // Above the second range only one range is left: not lost there.
  CHECK_FALSE(b.is_lost(una + SeqLen(5 * kS), kS, 3));

  // By octets: exactly (DupThresh - 1) * SMSS SACKed above is not "more than".
  b.clear(una);
  const SackBlock exact[] = {{una + SeqLen(kS), una + SeqLen(3 * kS)}};
  b.update(una, max, exact);
  CHECK_FALSE(b.is_lost(una, kS, 3));
  const SackBlock one_more[] = {{una + SeqLen(3 * kS), una + SeqLen(3 * kS + 1)}};
  b.update(una, max, one_more);
  CHECK(b.is_lost(una, kS, 3));
  // Only octets strictly above the number count: from inside the range, fewer.
  CHECK_FALSE(b.is_lost(una + SeqLen(kS + 1), kS, 3));
}

// ---- A host against a scripted peer ----

SegSpec sack_ack(uint32_t cum, std::vector<std::pair<uint32_t, uint32_t>> blocks) {
  // Offsets in units of octets of our stream.
  SegSpec s{.seq = kIrs + 1, .ack = kIss + 1 + cum, .flags = kAck};
  for (auto [l, r] : blocks) s.sack.emplace_back(kIss + 1 + l, kIss + 1 + r);
  return s;
}

// "1 4 6": the segments sent more than once; "4x2" one sent three times.
std::string describe(const std::map<uint32_t, int>& m) {
  std::string out;
  for (auto [n, k] : m) out += (out.empty() ? "" : " ") + std::to_string(n) + (k > 1 ? "x" + std::to_string(k) : "");
  return out;
}

struct Sender {
  explicit Sender(bool sack) : t(config()) {
    auto s = t.host().connect(t.now(), EndpointFixture::peer_address(), kRemotePort, kLocalPort);
    REQUIRE(s.ok());
    t.set_socket(*s);
    (void)t.take_tx();
    t.deliver({.seq = kIrs, .ack = kIss + 1, .flags = kSyn | kAck, .mss = 1460, .sack_permitted = sack});
    (void)t.take_tx();
    REQUIRE(t.state() == State::kEstablished);
  }
  static Config config() {
    Config c;
    c.initial_window_segments = 10;
    return c;
  }
  // Collects what the host sent: first transmissions and retransmissions, by
  // segment number (offset / SMSS).
  void collect() {
    for (const Segment& s : t.take_tx()) {
      if (s.payload.empty()) continue;
      const uint32_t n = (s.seq.raw - (kIss + 1)) / kS;
      UNSCOPED_INFO("tx " << n << " off " << (s.seq.raw - (kIss + 1)) << " len " << s.payload.size());
      if (!sent.insert(n).second) ++retransmitted[n];
    }
  }
  RfcEndpoint t;
  std::set<uint32_t> sent;
  std::map<uint32_t, int> retransmitted;
};

TEST_CASE("RFC 6675: SACK recovery retransmits exactly the holes, each once", "[sack][cc][data]") {
  Sender s(/*sack=*/true);
  REQUIRE(*s.t.host().send(s.t.now(), s.t.sock(), pattern(0, 40 * kS)) == 40 * kS);
  s.collect();
  REQUIRE(s.sent.size() == 10);            // IW10: segments 0..9
  s.t.deliver(sack_ack(kS, {}));           // segment 0 arrives
  s.collect();                             // cwnd 11: segments 10, 11
  // Segments 1, 4 and 6 are lost; every other one arrives and is SACKed.
  std::vector<std::pair<uint32_t, uint32_t>> held;
  auto arrives = [&](uint32_t n) {
    bool merged = false;
    for (auto& [l, r] : held) {
      if (r == n * kS) { r += kS; merged = true; }
      if (l == (n + 1) * kS) { l -= kS; merged = true; }
    }
    if (!merged) held.emplace_back(n * kS, (n + 1) * kS);
    // Most recent first (RFC 2018 4), at most 4 blocks.
    std::vector<std::pair<uint32_t, uint32_t>> blocks;
    for (auto it = held.rbegin(); it != held.rend() && blocks.size() < 4; ++it) blocks.push_back(*it);
    s.t.deliver(sack_ack(kS, blocks));
  };
  arrives(2);
  arrives(3);
  s.collect();
  CHECK(s.retransmitted.empty());  // two duplicates: nothing yet
  arrives(5);                      // the third: fast retransmit of segment 1
  s.collect();
  CHECK(describe(s.retransmitted) == "1");
  for (uint32_t n : {7u, 8u, 9u, 10u, 11u}) arrives(n);
  s.collect();
  // The holes below the highest SACKed octet, as the pipe allows: 4 and 6.
  CHECK(describe(s.retransmitted) == "1 4 6");
  // The retransmissions arrive: partial ACKs, then everything. No hole goes twice.
  s.t.deliver(sack_ack(4 * kS, {{5 * kS, 6 * kS}, {7 * kS, 12 * kS}}));
  s.t.deliver(sack_ack(6 * kS, {{7 * kS, 12 * kS}}));
  s.collect();
  CHECK(describe(s.retransmitted) == "1 4 6");
  const uint32_t highest = static_cast<uint32_t>(distance(SeqNum(kIss + 1), s.t.tcb().snd_max).raw);
  s.t.deliver(sack_ack(highest, {}));
  s.collect();
  CHECK(describe(s.retransmitted) == "1 4 6");
}

TEST_CASE("Without SACK, NewReno finds one hole per round trip: partial ACKs retransmit again",
          "[sack][cc][data]") {
  // The same losses without SACK information: after the fast retransmit each
  // partial ACK names the next missing segment, so the holes go one by one.
  Sender s(/*sack=*/false);
  REQUIRE(*s.t.host().send(s.t.now(), s.t.sock(), pattern(0, 40 * kS)) == 40 * kS);
  s.collect();
  s.t.deliver(sack_ack(kS, {}));
  s.collect();
  for (int i = 0; i < 8; ++i) s.t.deliver(sack_ack(kS, {}));  // 2, 3, 5, 7..11 arrive
  s.collect();
  CHECK(describe(s.retransmitted) == "1");
  s.t.deliver(sack_ack(4 * kS, {}));  // partial: segment 4 goes now
  s.collect();
  CHECK(describe(s.retransmitted) == "1 4");
  s.t.deliver(sack_ack(6 * kS, {}));  // partial: segment 6
  s.collect();
  CHECK(describe(s.retransmitted) == "1 4 6");
}


TEST_CASE("RFC 6675 5 (2): a duplicate ACK whose SACK blocks mark SND.UNA lost starts recovery at once",
          "[sack][cc][data]") {
  // "If DupAcks < DupThresh but IsLost (HighACK + 1) returns true -- indicating
  // at least three segments have arrived above the current cumulative
  // acknowledgment point, which is taken to indicate loss -- go to step (4)."
  // A receiver that acknowledges every other segment (or a path that thins
  // ACKs) reports three segments past the hole in its first duplicate.
  Sender s(/*sack=*/true);
  REQUIRE(*s.t.host().send(s.t.now(), s.t.sock(), pattern(0, 40 * kS)) == 40 * kS);
  s.collect();
  s.t.deliver(sack_ack(kS, {}));  // segment 0
  s.collect();
  s.t.deliver(sack_ack(kS, {{2 * kS, 4 * kS}}));  // two segments past the hole: not yet
  s.collect();
  CHECK(s.retransmitted.empty());
  s.t.deliver(sack_ack(kS, {{2 * kS, 5 * kS}}));  // the second duplicate shows three
  s.collect();
  CHECK(describe(s.retransmitted) == "1");
}

TEST_CASE("RFC 6675 NextSeg (4): the lost tail of a flight gets one rescue retransmission, not a "
          "timeout",
          "[sack][cc][data]") {
  // Ten segments and nothing more to send. Segment 2 and segment 9 (the last)
  // are lost. Segment 2 shows as a hole; segment 9 lies above every SACK block,
  // so no SACK can ever report it: the rescue retransmission sends it once.
  Sender s(/*sack=*/true);
  REQUIRE(*s.t.host().send(s.t.now(), s.t.sock(), pattern(0, 10 * kS)) == 10 * kS);
  s.collect();
  REQUIRE(s.sent.size() == 10);
  s.t.deliver(sack_ack(kS, {}));
  s.t.deliver(sack_ack(2 * kS, {}));  // segments 0 and 1
  s.collect();
  for (uint32_t last = 4; last <= 9; ++last) s.t.deliver(sack_ack(2 * kS, {{3 * kS, last * kS}}));
  s.collect();
  CHECK(describe(s.retransmitted) == "2 9");
  // More duplicates in the same recovery: no second rescue.
  s.t.deliver(sack_ack(2 * kS, {{3 * kS, 9 * kS}}));
  s.collect();
  CHECK(describe(s.retransmitted) == "2 9");
  // Both retransmissions arrive: everything is acknowledged, nothing timed out.
  s.t.deliver(sack_ack(10 * kS, {}));
  s.collect();
  CHECK(s.t.tcb().snd_una == s.t.tcb().snd_max);
  CHECK(describe(s.retransmitted) == "2 9");
}

TEST_CASE("RFC 6675 NextSeg (2) before (4): with unsent data the peer admits, new data goes, not a "
          "rescue",
          "[sack][cc][data]") {
  // The same losses with more data queued: the sender's next segment is new
  // data, and the tail is not retransmitted while new data keeps the ACK clock.
  Sender s(/*sack=*/true);
  REQUIRE(*s.t.host().send(s.t.now(), s.t.sock(), pattern(0, 40 * kS)) == 40 * kS);
  s.collect();
  s.t.deliver(sack_ack(kS, {}));
  s.t.deliver(sack_ack(2 * kS, {}));
  s.collect();
  for (uint32_t last = 4; last <= 9; ++last) s.t.deliver(sack_ack(2 * kS, {{3 * kS, last * kS}}));
  s.collect();
  CHECK(describe(s.retransmitted) == "2");
}

}  // namespace
