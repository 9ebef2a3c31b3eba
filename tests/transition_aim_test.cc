// The mutator's aim at one RFC 9293 edge: behind a scenario that brings a
// connection to the edge's starting state, the aimed ops (and the header knob the
// edge needs) take that edge. And the mutator aims mostly at edges not yet seen.
#include <catch2/catch.hpp>

#include <string>

#include "fuzz/scenario_mutator.h"
#include "fuzz/transition_aim.h"
#include "fuzz/transitions_seen.h"
#include "harness/scenario_binary.h"
#include "harness/scenario_text.h"
#include "harness/simulation.h"

using namespace synfin;
using namespace synfin::harness;
using synfin::fuzz::TransitionAim;

namespace {

struct EdgeWatch : RunObserver {
  EdgeWatch(int watched_host, TransitionKey watched_edge) : host(watched_host), edge(watched_edge) {}
  void on_transition(int h, ConnId, State f, State t, Cause c, Instant) override {
    if (h == host && f == edge.from && t == edge.to && c == edge.cause) reached = true;
  }
  int host;
  TransitionKey edge;
  bool reached = false;
};

Scenario parse(const std::string& text) {
  auto s = parse_scenario_text(text);
  REQUIRE(s.ok());
  return *s;
}

// Client (host 0, socket 0) and server (host 1, listener socket 0, accepted 1),
// established, then `closing` lines.
Scenario established_then(const std::string& closing) {
  return parse(std::string("--mode=connection\n+0 s listen 80\n+0 c connect 80\n+0.1 s accept\n") +
               closing);
}

// The aim at `edge` for `host`, drawn from seed `seed`, appended to `base`.
bool aim_reaches(Scenario base, TransitionKey edge, uint8_t host, uint64_t seed,
                 TransitionAim* used = nullptr) {
  Rng r(seed);
  const TransitionAim aim = fuzz::aim_at(edge, host, r);
  base.ops.insert(base.ops.end(), aim.ops.begin(), aim.ops.end());
  fuzz::apply_aim_header(aim, base.header);
  EdgeWatch watch(host, edge);
  Simulation(std::move(base), &watch).run();
  if (used) *used = aim;
  return watch.reached;
}

// App calls name a socket the aim draws; these tests take the first draw that
// names the connection's own socket.
uint64_t seed_naming_socket(TransitionKey edge, uint8_t host, uint8_t socket) {
  for (uint64_t seed = 1;; ++seed) {
    Rng r(seed);
    const TransitionAim aim = fuzz::aim_at(edge, host, r);
    if (aim.ops.back().socket == socket) return seed;
  }
}

// Shutdowns, not closes: after CLOSE the app holds no handle to abort with.
const char* kPassiveClose = "+0 c shutdown 0\n+0.1 s shutdown 1\n";  // server ends in LAST-ACK
const char* kSimultaneousClose = "+0 c shutdown 0\n+0 s shutdown 1\n";  // both pass CLOSING
const char* kServerClosesFirst = "+0 s shutdown 1\n+0.1 c shutdown 0\n";  // server in TIME-WAIT

}  // namespace

TEST_CASE("aim: every catalogue edge gets an await for its state and then its cause",
          "[mutator]") {
  for (const TransitionKey& e : rfc_transitions()) {
    Rng r(7);
    const TransitionAim aim = fuzz::aim_at(e, 1, r);
    INFO(to_string(e.from) << " -> " << to_string(e.to) << " on " << to_string(e.cause));
    REQUIRE_FALSE(aim.ops.empty());
    if (e.from == State::kClosed) {
      CHECK(aim.ops.front().kind != OpKind::kAwait);
    } else if (e.from == State::kClosing && e.cause == Cause::kRetransmitGiveUp) {
      CHECK(aim.ops.front().state == State::kFinWait1);  // the cut must precede the peer's ACK
    } else {
      CHECK(aim.ops.front().kind == OpKind::kAwait);
      CHECK(aim.ops.front().state == e.from);
    }
    for (const Op& op : aim.ops) CHECK((op.kind == OpKind::kWait || op.kind == OpKind::kPartition || op.host == 1));
    CHECK(aim.rfc5961_syn_off == (e.cause == Cause::kRecvSynInWindow));
    CHECK(aim.time_wait_reuse == (e.cause == Cause::kNewIncarnation));
    CHECK(aim.keepalive_short == (e.cause == Cause::kKeepaliveTimeout));
  }
}

TEST_CASE("aim: an in-window SYN in LAST-ACK resets it (RFC 793, RFC 5961 off)", "[mutator]") {
  const TransitionKey edge{State::kLastAck, State::kClosed, Cause::kRecvSynInWindow};
  TransitionAim aim;
  CHECK(aim_reaches(established_then(kPassiveClose), edge, 1, 1, &aim));
  CHECK(aim.ops.back().segment.flags.syn());
  // The same SYN with RFC 5961's check on gets a challenge ACK, not a reset.
  Scenario base = established_then(kPassiveClose);
  base.ops.insert(base.ops.end(), aim.ops.begin(), aim.ops.end());
  EdgeWatch watch(1, edge);
  Simulation(std::move(base), &watch).run();
  CHECK_FALSE(watch.reached);
}

TEST_CASE("aim: an in-window SYN in CLOSING and in TIME-WAIT", "[mutator]") {
  CHECK(aim_reaches(established_then(kSimultaneousClose),
                    {State::kClosing, State::kClosed, Cause::kRecvSynInWindow}, 0, 1));
  CHECK(aim_reaches(established_then(kServerClosesFirst),
                    {State::kTimeWait, State::kClosed, Cause::kRecvSynInWindow}, 1, 1));
}

TEST_CASE("aim: a SYN above RCV.NXT opens a new incarnation out of TIME-WAIT", "[mutator]") {
  CHECK(aim_reaches(established_then(kServerClosesFirst),
                    {State::kTimeWait, State::kClosed, Cause::kNewIncarnation}, 1, 1));
}

TEST_CASE("aim: an abort in LAST-ACK and in CLOSING", "[mutator]") {
  const TransitionKey last_ack{State::kLastAck, State::kClosed, Cause::kUserAbort};
  CHECK(aim_reaches(established_then(kPassiveClose), last_ack, 1, seed_naming_socket(last_ack, 1, 1)));
  const TransitionKey closing{State::kClosing, State::kClosed, Cause::kUserAbort};
  CHECK(aim_reaches(established_then(kSimultaneousClose), closing, 0, seed_naming_socket(closing, 0, 0)));
}

TEST_CASE("aim: a partition outlasts the retries of a FIN in CLOSING", "[mutator]") {
  CHECK(aim_reaches(established_then(kSimultaneousClose),
                    {State::kClosing, State::kClosed, Cause::kRetransmitGiveUp}, 0, 1));
}

TEST_CASE("aim: unanswered keep-alives end an idle connection", "[mutator]") {
  CHECK(aim_reaches(established_then(""),
                    {State::kEstablished, State::kClosed, Cause::kKeepaliveTimeout}, 0, 1));
}

TEST_CASE("aim: from ESTABLISHED alone, the closing path leads to the edge's state",
          "[mutator]") {
  // The app calls draw their sockets, so not every draw hits the connection's;
  // runs are deterministic, so the count over fixed seeds is too.
  struct Case {
    TransitionKey edge;
    uint8_t host;
  };
  const Case cases[] = {
      {{State::kLastAck, State::kClosed, Cause::kRecvSynInWindow}, 1},
      {{State::kLastAck, State::kClosed, Cause::kUserAbort}, 1},
      {{State::kClosing, State::kClosed, Cause::kRecvSynInWindow}, 0},
      {{State::kClosing, State::kClosed, Cause::kUserAbort}, 0},
      {{State::kClosing, State::kClosed, Cause::kRetransmitGiveUp}, 1},
      {{State::kTimeWait, State::kClosed, Cause::kNewIncarnation}, 1},
      {{State::kFinWait2, State::kClosed, Cause::kRecvRst}, 0},
  };
  for (const Case& c : cases) {
    int reached = 0, reached_without_path = 0;
    for (uint64_t seed = 1; seed <= 40; ++seed) {
      for (bool path : {true, false}) {
        Rng r(seed);
        const TransitionAim aim = fuzz::aim_at(c.edge, c.host, r, path);
        Scenario s = established_then("");
        s.ops.insert(s.ops.end(), aim.ops.begin(), aim.ops.end());
        fuzz::apply_aim_header(aim, s.header);
        EdgeWatch watch(c.host, c.edge);
        Simulation(std::move(s), &watch).run();
        (path ? reached : reached_without_path) += watch.reached;
      }
    }
    INFO(to_string(c.edge.from) << " -> " << to_string(c.edge.to) << " on "
                                << to_string(c.edge.cause) << ": " << reached << " of 40");
    CHECK(reached >= 5);
    CHECK(reached_without_path == 0);  // nothing else brings ESTABLISHED there
  }
}

TEST_CASE("TransitionsSeen: marks catalogue edges once, ignores the rest", "[mutator]") {
  fuzz::TransitionsSeen seen;
  CHECK(seen.count() == 0);
  CHECK(seen.missing().size() == rfc_transitions().size());
  seen.mark(State::kClosed, State::kListen, Cause::kUserListen);
  seen.mark(State::kClosed, State::kListen, Cause::kUserListen);
  seen.mark(State::kClosed, State::kTimeWait, Cause::kRecvAck);  // not an RFC edge
  CHECK(seen.count() == 1);
  CHECK(seen.missing().size() == rfc_transitions().size() - 1);
  CHECK(seen.seen(0));  // the catalogue starts with CLOSED -> LISTEN
}

TEST_CASE("mutator: with one edge left unseen, aims go mostly at that edge", "[mutator]") {
  // Everything seen but LAST-ACK -> CLOSED by an in-window SYN.
  fuzz::TransitionsSeen seen;
  for (const TransitionKey& e : rfc_transitions()) {
    if (!(e.from == State::kLastAck && e.cause == Cause::kRecvSynInWindow)) {
      seen.mark(e.from, e.to, e.cause);
    }
  }
  REQUIRE(seen.missing().size() == 1);
  const std::vector<uint8_t> base = encode_scenario(established_then(kPassiveClose));
  auto count_aims = [&](const fuzz::TransitionsSeen* s) {
    int aimed = 0;
    for (unsigned seed = 0; seed < 3000; ++seed) {
      const Scenario m = decode_scenario(
          fuzz::mutate_scenario(base, 4096, seed, Mode::kConnection, nullptr, s));
      for (size_t i = 0; i + 1 < m.ops.size(); ++i) {
        if (m.ops[i].kind == OpKind::kAwait && m.ops[i].state == State::kLastAck &&
            m.ops[i].amount >= 1000000 && m.ops[i + 1].kind == OpKind::kInject &&
            m.ops[i + 1].segment.flags.syn() && !m.header.config.rfc5961_syn) {
          ++aimed;
          break;
        }
      }
    }
    return aimed;
  };
  const int directed = count_aims(&seen);
  const int undirected = count_aims(nullptr);
  INFO("directed " << directed << ", undirected " << undirected);
  // One move in twelve aims; three aims in four take the unseen edge.
  CHECK(directed > 100);
  CHECK(directed > 5 * undirected);
}
