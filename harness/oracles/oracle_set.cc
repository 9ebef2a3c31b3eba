#include "harness/oracles/checkers.h"
#include "harness/oracles/oracle.h"

namespace synfin::harness {

OracleSet::OracleSet(const ScenarioHeader& header, ViolationSink* sink) {
  OracleContext ctx{header, sink, &events_};
  for (auto make : {make_seqack_checker_in, make_stream_checker_in, make_state_checker_in,
                    make_timewait_checker_in, make_timer_checker_in, make_liveness_checker_in}) {
    Oracle* o = make(arena_, ctx);
    fanout_.add(o);
    checkers_.push_back(o);
  }
}

OracleSet::~OracleSet() {
  for (Oracle* o : checkers_) o->~Oracle();
}

void OracleSet::finish(bool quiet, Instant now) {
  for (auto& c : checkers_) c->finish(quiet, now);
}

void OracleSet::on_created(int h, ConnId id, ConnId p, const FourTuple& t, Instant n) {
  ++events_;
  fanout_.on_created(h, id, p, t, n);
}
void OracleSet::on_transition(int h, ConnId id, State f, State t, Cause c, Instant n) {
  ++events_;
  fanout_.on_transition(h, id, f, t, c, n);
}
void OracleSet::on_segment_in(int h, ConnId id, const FourTuple& t, const Segment& s,
                              const TcbSnapshot& b, Instant n) {
  ++events_;
  fanout_.on_segment_in(h, id, t, s, b, n);
}
void OracleSet::on_segment_out(int h, ConnId id, const FourTuple& t, const Segment& s,
                               const TcbSnapshot& b, Instant n) {
  ++events_;
  fanout_.on_segment_out(h, id, t, s, b, n);
}
void OracleSet::on_timer(int h, ConnId id, TimerKind k, TimerAction a, Instant d, Instant n) {
  ++events_;
  fanout_.on_timer(h, id, k, a, d, n);
}
void OracleSet::on_deliver(int h, ConnId id, std::span<const uint8_t> b, Instant n) {
  ++events_;
  fanout_.on_deliver(h, id, b, n);
}
void OracleSet::on_send_accepted(int h, ConnId id, std::span<const uint8_t> b, Instant n) {
  ++events_;
  fanout_.on_send_accepted(h, id, b, n);
}
void OracleSet::on_user_event(int h, ConnId id, UserEvent e, Instant n) {
  ++events_;
  fanout_.on_user_event(h, id, e, n);
}
void OracleSet::on_step_end(int h, ConnId id, const TcbSnapshot& t, Instant n) {
  ++events_;
  fanout_.on_step_end(h, id, t, n);
}
void OracleSet::on_released(int h, ConnId id, Instant n) {
  ++events_;
  fanout_.on_released(h, id, n);
}
void OracleSet::on_wire_send(int h, std::span<const uint8_t> b, Instant n) {
  ++events_;
  fanout_.on_wire_send(h, b, n);
}
void OracleSet::on_wire_deliver(int h, std::span<const uint8_t> b, Instant n) {
  ++events_;
  fanout_.on_wire_deliver(h, b, n);
}
void OracleSet::on_fault(int h, FaultKind k, uint64_t p, Instant n) {
  ++events_;
  fanout_.on_fault(h, k, p, n);
}
void OracleSet::on_link_drop(int h, const char* r, Instant n) {
  ++events_;
  fanout_.on_link_drop(h, r, n);
}
void OracleSet::on_decode_error(int h, const absl::Status& e, Instant n) {
  ++events_;
  fanout_.on_decode_error(h, e, n);
}
void OracleSet::on_app_call(int h, const AppCall& c, Instant n) {
  ++events_;
  fanout_.on_app_call(h, c, n);
}
void OracleSet::on_inject(int h, const IpPacket& p, Instant n) {
  ++events_;
  fanout_.on_inject(h, p, n);
}
void OracleSet::on_run_end(Instant n) {
  ++events_;
  fanout_.on_run_end(n);
}

}  // namespace synfin::harness
