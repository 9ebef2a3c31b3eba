// kAwait: "let time pass until a connection of this host is in STATE". An op
// behind it meets the state however long the run took to get there, which is how
// a scenario (or the fuzzers' mutator) reaches the transitions out of states that
// last a round trip or less.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "harness/scenario_binary.h"
#include "harness/scenario_text.h"
#include "harness/simulation.h"

using namespace synfin;
using namespace synfin::harness;

namespace {

struct Transitions : RunObserver {
  std::vector<std::string> seen;
  std::vector<Instant> when;
  void on_transition(int h, ConnId, State f, State t, Cause, Instant now) override {
    seen.push_back(std::to_string(h) + ":" + to_string(f) + "->" + to_string(t));
    when.push_back(now);
  }
  bool has(const std::string& s) const { return std::find(seen.begin(), seen.end(), s) != seen.end(); }
  // When the first such transition happened (the end of time when it did not).
  Instant at(const std::string& s) const {
    const auto it = std::find(seen.begin(), seen.end(), s);
    return it == seen.end() ? Instant{} + Duration::seconds(1 << 30) : when[it - seen.begin()];
  }
};

Scenario parse(const std::string& text) {
  auto s = parse_scenario_text(text);
  REQUIRE(s.ok());
  return *s;
}

// Both apps close at once, as in RFC 9293 Figure 13: each side passes through
// CLOSING for about one link delay.
const char* kSimultaneousClose = R"(--mode=connection
+0 s listen 80
+0 c connect 80
+0.1 s accept
+0 c shutdown 0
+0 s shutdown 1
)";

}  // namespace

TEST_CASE("await: an abort right behind 'await CLOSING' aborts the connection in CLOSING",
          "[await]") {
  Transitions t;
  Simulation sim(parse(std::string(kSimultaneousClose) + "+0 c await CLOSING 1s\n+0 c abort 0\n"), &t);
  sim.run();
  CHECK(t.has("0:FIN-WAIT-1->CLOSING"));
  CHECK(t.has("0:CLOSING->CLOSED"));
  CHECK_FALSE(t.has("0:CLOSING->TIME-WAIT"));
}

TEST_CASE("await: the same abort after a fixed wait of two link delays finds TIME-WAIT instead",
          "[await]") {
  // The control for the test above: without the await the abort lands after
  // CLOSING has already ended.
  Transitions t;
  Simulation sim(parse(std::string(kSimultaneousClose) + "+0.05 c abort 0\n"), &t);
  sim.run();
  CHECK(t.has("0:CLOSING->TIME-WAIT"));
  CHECK_FALSE(t.has("0:CLOSING->CLOSED"));
}

TEST_CASE("await: a state that never comes is a wait of the full duration", "[await]") {
  Transitions t;
  Simulation sim(parse("--mode=connection\n+0 s listen 80\n+0 s await ESTABLISHED 2500ms\n"
                       "+0 c connect 80\n+1 wait\n"),
                 &t);
  sim.run();
  // The connect came only after the full 2.5 s (nothing could reach ESTABLISHED
  // before it), and the handshake then took a round trip.
  CHECK(t.at("0:CLOSED->SYN-SENT") == Instant{} + Duration::millis(2500));
  CHECK(t.has("1:SYN-RECEIVED->ESTABLISHED"));
}

TEST_CASE("await: a state already held returns at once, and CLOSED means no connection left",
          "[await]") {
  Transitions t;
  Simulation sim(parse("--mode=connection\n+0 s listen 80\n+0 s await LISTEN 5s\n"
                       "+0 s await CLOSED 5s\n+0 c connect 80\n+0 c await ESTABLISHED 60s\n"
                       "+0 c abort 0\n"),
                 &t);
  sim.run();
  // Neither the LISTEN nor the CLOSED await (only a listener) took any time, and
  // the last await ended the moment the client was established: the abort came
  // at that same instant.
  CHECK(t.at("0:CLOSED->SYN-SENT") == Instant{});
  CHECK(t.at("0:ESTABLISHED->CLOSED") == t.at("0:SYN-SENT->ESTABLISHED"));
  CHECK(t.at("0:ESTABLISHED->CLOSED") < Instant{} + Duration::millis(100));
}

TEST_CASE("await: text and binary forms round-trip", "[await][binary]") {
  const Scenario s = parse(std::string(kSimultaneousClose) + "+0 c await LAST-ACK 250ms\n");
  REQUIRE(s.ops.back().kind == OpKind::kAwait);
  CHECK(s.ops.back().state == State::kLastAck);
  CHECK(s.ops.back().amount == 250000);
  CHECK(decode_scenario(encode_scenario(s)) == s);
  CHECK(check_text_representable(s).ok());
  CHECK(parse(print_scenario_text(s)) == s);
  // Endpoint form, no host prefix.
  const Scenario e = parse("+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 listen(3, 1) = 0\n"
                           "+0 await SYN-RECEIVED 3s\n");
  CHECK(e.ops.back().kind == OpKind::kAwait);
  CHECK(e.ops.back().state == State::kSynReceived);
  CHECK(parse(print_scenario_text(e)) == e);
}

TEST_CASE("await: a misspelt state is an error naming the line and the states", "[await]") {
  auto s = parse_scenario_text("--mode=connection\n+0 c await CLOSE_WAIT 1s\n", "x.txt");
  REQUIRE_FALSE(s.ok());
  CHECK(std::string(s.status().message()).find("x.txt:2:") != std::string::npos);
  CHECK(std::string(s.status().message()).find("CLOSE-WAIT") != std::string::npos);
}
