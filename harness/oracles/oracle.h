// The base of every checker, and the set that runs them all.
//
// Rule of independence: a checker never calls the stack's logic (its sequence
// comparisons, acceptability test or state tables). It re-derives what must hold
// from the wire, the app calls and the TCB snapshots, with its own small code
// (oracles/serial.h), so one mistake cannot hide itself in both places.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "harness/oracles/checker_arena.h"
#include "harness/oracles/violation.h"
#include "harness/run_observer.h"
#include "harness/scenario.h"

namespace synfin::harness {

// What every checker knows about the run it watches.
struct OracleContext {
  ScenarioHeader header;  // mode, family, Config (MSL, RTO bounds, retries, toggles)
  ViolationSink* sink = nullptr;
  const uint64_t* event_counter = nullptr;  // maintained by OracleSet
};

class Oracle : public RunObserver {
 public:
  explicit Oracle(const OracleContext& ctx) : ctx_(ctx) {}
  // Checks that can only be made once the run is over (liveness, leaks).
  // `quiet`: the network went quiet before the simulator's bound.
  virtual void finish(bool quiet, Instant now) {}
  // Checkers note when packets move, not what they hold: they see the segments
  // themselves through on_segment_in/out. One that reads wire bytes says so.
  bool needs_wire_bytes() const override { return false; }

 protected:
  void fail(const char* id, int host, ConnId conn, Instant at, std::string explanation) {
    Violation v;
    v.id = id;
    v.host = host;
    v.conn = conn;
    v.at = at;
    v.event_index = ctx_.event_counter ? *ctx_.event_counter : 0;
    v.explanation = std::move(explanation);
    if (ctx_.sink) ctx_.sink->report(std::move(v));
  }
  const Config& config() const { return ctx_.header.config; }
  bool endpoint_mode() const { return ctx_.header.mode == Mode::kEndpoint; }

  OracleContext ctx_;
};

// Every checker, fed every event in order; counts events for violation reports.
class OracleSet final : public RunObserver {
 public:
  // Builds the full set of checkers for a scenario.
  OracleSet(const ScenarioHeader& header, ViolationSink* sink);
  ~OracleSet() override;
  OracleSet(const OracleSet&) = delete;
  OracleSet& operator=(const OracleSet&) = delete;

  void finish(bool quiet, Instant now);

  void on_created(int h, ConnId id, ConnId p, const FourTuple& t, Instant n) override;
  void on_transition(int h, ConnId id, State f, State t, Cause c, Instant n) override;
  void on_segment_in(int h, ConnId id, const FourTuple& t, const Segment& s, const TcbSnapshot& b,
                     Instant n) override;
  void on_segment_out(int h, ConnId id, const FourTuple& t, const Segment& s, const TcbSnapshot& b,
                      Instant n) override;
  void on_timer(int h, ConnId id, TimerKind k, TimerAction a, Instant d, Instant n) override;
  void on_deliver(int h, ConnId id, std::span<const uint8_t> b, Instant n) override;
  void on_send_accepted(int h, ConnId id, std::span<const uint8_t> b, Instant n) override;
  void on_user_event(int h, ConnId id, UserEvent e, Instant n) override;
  void on_step_end(int h, ConnId id, const TcbSnapshot& t, Instant n) override;
  void on_released(int h, ConnId id, Instant n) override;
  void on_wire_send(int h, std::span<const uint8_t> b, Instant n) override;
  void on_wire_deliver(int h, std::span<const uint8_t> b, Instant n) override;
  void on_fault(int h, FaultKind k, uint64_t p, Instant n) override;
  void on_link_drop(int h, const char* r, Instant n) override;
  void on_decode_error(int h, const absl::Status& e, Instant n) override;
  void on_app_call(int h, const AppCall& c, Instant n) override;
  void on_inject(int h, const IpPacket& p, Instant n) override;
  void on_run_end(Instant n) override;

  // Another observer to feed after the checkers, in the order added: a run whose
  // only observer is the set saves every event a hop through an outer list.
  void add_observer(RunObserver* o) { fanout_.add(o); }

  size_t checker_count() const { return checkers_.size(); }
  // Whether every checker fit in the set's own buffer (none came from the heap).
  bool checkers_in_place() const { return arena_.overflowed() == 0; }
  bool needs_wire_bytes() const override { return fanout_.needs_wire_bytes(); }

 private:
  uint64_t events_ = 0;
  RunObserverList fanout_;
  // The checkers live in arena_ and are destroyed by ~OracleSet: building a set
  // allocates nothing.
  CheckerArena arena_;
  absl::InlinedVector<Oracle*, 6> checkers_;
};

}  // namespace synfin::harness
