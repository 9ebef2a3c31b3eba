// Next deadlines, as the simulator reads them: a connection's TimerSet keeps its
// earliest timer (with and without the keep-alive) through every change, and the
// Host's cached answer is checked against a fresh scan in check_invariants.
#include <catch2/catch.hpp>

#include <string>

#include "stack/timer_set.h"
#include "tests/rfc_endpoint.h"

using namespace synfin;
using namespace synfin::testing;

namespace {

Instant at(int64_t ms) { return Instant{} + Duration::millis(ms); }

}  // namespace

TEST_CASE("timers: the earliest deadline follows every set, re-set and clear", "[timers]") {
  TimerSet t;
  CHECK_FALSE(t.earliest().has_value());
  t.set(TimerKind::kRetransmit, at(300));
  t.set(TimerKind::kDelayedAck, at(200));
  CHECK(t.earliest() == at(200));
  t.set(TimerKind::kDelayedAck, at(500));  // re-armed later: the other one is now first
  CHECK(t.earliest() == at(300));
  t.clear(TimerKind::kRetransmit);
  CHECK(t.earliest() == at(500));
  t.clear(TimerKind::kDelayedAck);
  CHECK_FALSE(t.earliest().has_value());
  CHECK_FALSE(t.get(TimerKind::kDelayedAck).has_value());
}

TEST_CASE("timers: without idle probes the keep-alive timer is left out", "[timers]") {
  TimerSet t;
  t.set(TimerKind::kKeepalive, at(100));
  t.set(TimerKind::kPersist, at(700));
  CHECK(t.earliest(/*idle_probes=*/true) == at(100));
  CHECK(t.earliest(/*idle_probes=*/false) == at(700));
  t.clear(TimerKind::kPersist);
  CHECK(t.earliest(true) == at(100));
  CHECK_FALSE(t.earliest(false).has_value());
}

TEST_CASE("host: its cached next deadline follows the connections through its own calls", "[timers]") {
  Config cfg;
  cfg.keepalive_idle = Duration::seconds(10);
  RfcEndpoint t(cfg);
  t.established(Open::kActive);
  CHECK_FALSE(t.host().next_deadline().has_value());  // idle, keep-alive off: nothing armed
  REQUIRE(t.host().set_keepalive(t.now(), t.sock(), true).ok());
  CHECK(t.host().next_deadline() == t.now() + Duration::seconds(10));
  CHECK(t.host().check_invariants().ok());
}

TEST_CASE("host: a timer changed behind the host's back makes its cached deadline stale, and "
          "check_invariants says so",
          "[timers]") {
  // Every change to a connection goes through a Host call, which forgets the
  // cached answer; reaching past the Host (what a future code path might do by
  // mistake) is exactly what the check is there to catch.
  Config cfg;
  cfg.keepalive_idle = Duration::seconds(10);
  RfcEndpoint t(cfg);
  t.established(Open::kActive);
  CHECK_FALSE(t.host().next_deadline().has_value());  // cached: nothing armed
  const_cast<Connection*>(t.host().connection(t.sock()))->set_keepalive(t.now(), true);
  const absl::Status st = t.host().check_invariants();
  REQUIRE_FALSE(st.ok());
  CHECK(std::string(st.message()).find("cached next deadline") != std::string::npos);
}
