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

}  // namespace
