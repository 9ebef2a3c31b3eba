// The set that runs every checker: what a violation cites as its event number,
// and the observers that hang off the set in a checked run.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "harness/checked_run.h"
#include "harness/scenario_text.h"
#include "tests/oracle_test_util.h"

using namespace synfin;
using namespace synfin::harness;
using namespace synfin::oracle_test;

namespace {

constexpr Instant kT0 = Instant::from_millis(100);

// Writes down each event it is handed, as "<host> <kind>".
class EventLog final : public RunObserver {
 public:
  void on_created(int h, ConnId, ConnId, const FourTuple&, Instant) override { note(h, "created"); }
  void on_transition(int h, ConnId, State f, State t, Cause, Instant) override {
    note(h, std::string("transition ") + to_string(f) + ">" + to_string(t));
  }
  void on_segment_in(int h, ConnId, const FourTuple&, const Segment&, const TcbSnapshot&,
                     Instant) override {
    note(h, "segment_in");
  }
  void on_segment_out(int h, ConnId, const FourTuple&, const Segment&, const TcbSnapshot&,
                      Instant) override {
    note(h, "segment_out");
  }
  void on_timer(int h, ConnId, TimerKind, TimerAction, Instant, Instant) override { note(h, "timer"); }
  void on_step_end(int h, ConnId, const TcbSnapshot&, Instant) override { note(h, "step_end"); }
  void on_wire_send(int h, std::span<const uint8_t>, Instant) override { note(h, "wire_send"); }
  void on_wire_deliver(int h, std::span<const uint8_t>, Instant) override { note(h, "wire_deliver"); }
  void on_fault(int h, FaultKind, uint64_t, Instant) override { note(h, "fault"); }
  void on_app_call(int h, const AppCall&, Instant) override { note(h, "app_call"); }
  void on_run_end(Instant) override { note(-1, "run_end"); }

  std::vector<std::string> events;
  // Violations the run's sink held when each event arrived (see the order test).
  std::vector<size_t> violations_seen;
  const AllViolations* sink = nullptr;

 private:
  void note(int h, const std::string& what) {
    events.push_back(std::to_string(h) + " " + what);
    violations_seen.push_back(sink ? sink->all().size() : 0);
  }
};

}  // namespace

TEST_CASE("OracleSet: a violation cites how many events the set had been handed",
          "[oracle]") {
  AllViolations sink;
  ScenarioHeader header;
  header.mode = Mode::kConnection;
  OracleSet set(header, &sink);
  const FourTuple t = tuple_of_host(0, 50000, 80);
  set.on_created(0, 1, kNoConn, t, kT0);                                                 // 1
  set.on_transition(0, 1, State::kClosed, State::kSynSent, Cause::kUserConnect, kT0);  // 2
  // Events no checker acts on still count: the number places the violation in
  // the run's whole timeline.
  set.on_fault(0, FaultKind::kDrop, 0, kT0);                                             // 3
  set.on_link_drop(0, "mtu", kT0);                                                        // 4
  REQUIRE(sink.all().empty());
  // SYN-SENT straight to FIN-WAIT-2 is no edge of the diagram.
  set.on_transition(0, 1, State::kSynSent, State::kFinWait2, Cause::kRecvAck, kT0);      // 5
  REQUIRE(sink.has("state.illegal-transition"));
  for (const Violation& v : sink.all()) CHECK(v.event_index == 5);
}

TEST_CASE("OracleSet: an added observer gets each event after the checkers", "[oracle]") {
  AllViolations sink;
  ScenarioHeader header;
  header.mode = Mode::kConnection;
  OracleSet set(header, &sink);
  EventLog log;
  log.sink = &sink;
  set.add_observer(&log);
  CHECK(set.checker_count() == 6);  // an observer is not a checker

  const FourTuple t = tuple_of_host(0, 50000, 80);
  set.on_created(0, 1, kNoConn, t, kT0);
  set.on_transition(0, 1, State::kClosed, State::kSynSent, Cause::kUserConnect, kT0);
  set.on_transition(0, 1, State::kSynSent, State::kFinWait2, Cause::kRecvAck, kT0);
  set.on_run_end(kT0);
  CHECK(log.events == std::vector<std::string>{"0 created", "0 transition CLOSED>SYN-SENT",
                                               "0 transition SYN-SENT>FIN-WAIT-2", "-1 run_end"});
  // The checkers had judged the bad transition before the observer heard of it.
  REQUIRE(log.violations_seen.size() == 4);
  CHECK(log.violations_seen[1] == 0);
  CHECK(log.violations_seen[2] > 0);
}

TEST_CASE("run_checked: observers see the same events with the oracles on or off", "[oracle]") {
  auto parsed = parse_scenario_text(
      "+0 s listen 80\n+0 c connect 80\n+0.1 s accept\n+0 fault c>s drop\n+0 c send 0 3000\n"
      "+0 c shutdown 0\n+3 s shutdown 1\n+0.1 wait\n");
  REQUIRE(parsed.ok());
  auto run = [&](bool oracles) {
    EventLog log;
    CheckedRunOptions options;
    options.oracles = oracles;
    options.observers.push_back(&log);
    CheckedRunResult r = run_checked(*parsed, options);
    CHECK(r.violations.empty());
    return log.events;
  };
  const std::vector<std::string> with = run(true);
  const std::vector<std::string> without = run(false);
  CHECK(with.size() > 50);
  CHECK(with == without);
}
