// A human-readable timeline of a run: one line per event, tcpdump-like, with the
// virtual time in a fixed-width column first. Deterministic: no pointers, no wall
// clock, only values the run itself produced.
//
//      0.010000 h0 > 10.0.0.1:49152 > 10.0.0.2:80 S 1000:1000(0) win 65535 <mss 1460>
//      0.020000 h1 < 10.0.0.1:49152 > 10.0.0.2:80 S 1000:1000(0) win 65535 <mss 1460>
//      0.020000 h1 conn 2 created (child of 1) 10.0.0.2:80 <-> 10.0.0.1:49152
//      0.020000 h1 conn 2 LISTEN -> SYN-RECEIVED (rcv-syn)
//      0.020000 h1 conn 2 timer retransmit set 1.020000
//      0.030000 link h1->h0 fault drop
//
// Segment lines: '>' a host sent it, '<' a host received it; then source > destination,
// flags, seq:end(payload length), ack, win, urg and options as segment_to_string
// writes them. on_step_end, on_send_accepted and the wire events are left out unless
// the writer is verbose (wire lines then give the packet length).
//
// All formatting happens inside the callbacks, so a run without a TraceWriter pays
// nothing for it. With a line limit, only the last `limit` lines are kept (a ring),
// which is what a violation report's "trace tail" needs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "harness/run_observer.h"

namespace synfin::harness {

class TraceWriter final : public RunObserver {
 public:
  struct Options {
    // 0: keep every line; else keep only the last `line_limit` lines.
    size_t line_limit = 0;
    // Also trace on_step_end, on_send_accepted and on_wire_send/on_wire_deliver.
    bool verbose = false;
  };

  TraceWriter() : TraceWriter(Options{}) {}
  explicit TraceWriter(Options options);

  // The kept lines, each ending in '\n'. With a line limit this is assembled on
  // demand from the ring (the reference stays valid until the next event or call).
  const std::string& text() const;
  // The last `n` kept lines (fewer if fewer were kept), each ending in '\n'.
  std::string tail(size_t n) const;
  // Forgets every line (the count of lines written included).
  void clear();
  // Lines written since construction or clear(), including those the ring dropped.
  uint64_t lines_written() const { return lines_written_; }
  // Lines currently kept.
  size_t lines_kept() const;

  // The time column: "%4d.%06d", right-aligned in 11 characters ("   0.010000").
  static std::string format_time(Instant t);

  void on_created(int host, ConnId id, ConnId parent, const FourTuple& tuple,
                  Instant now) override;
  void on_transition(int host, ConnId id, State from, State to, Cause cause,
                     Instant now) override;
  void on_segment_in(int host, ConnId id, const FourTuple& tuple, const Segment& seg,
                     const TcbSnapshot& before, Instant now) override;
  void on_segment_out(int host, ConnId id, const FourTuple& tuple, const Segment& seg,
                      const TcbSnapshot& tcb, Instant now) override;
  void on_timer(int host, ConnId id, TimerKind kind, TimerAction action, Instant deadline,
                Instant now) override;
  void on_deliver(int host, ConnId id, std::span<const uint8_t> bytes, Instant now) override;
  void on_send_accepted(int host, ConnId id, std::span<const uint8_t> bytes,
                        Instant now) override;
  void on_user_event(int host, ConnId id, UserEvent event, Instant now) override;
  void on_step_end(int host, ConnId id, const TcbSnapshot& tcb, Instant now) override;
  void on_released(int host, ConnId id, Instant now) override;

  void on_wire_send(int from_host, std::span<const uint8_t> bytes, Instant now) override;
  void on_wire_deliver(int to_host, std::span<const uint8_t> bytes, Instant now) override;
  void on_fault(int from_host, FaultKind kind, uint64_t param, Instant now) override;
  void on_link_drop(int from_host, const char* reason, Instant now) override;
  void on_decode_error(int to_host, const absl::Status& error, Instant now) override;
  void on_app_call(int host, const AppCall& call, Instant now) override;
  void on_inject(int host, const IpPacket& packet, Instant now) override;
  void on_expectation_failed(int op_index, const std::string& what, Instant now) override;
  void on_run_end(Instant now) override;

 private:
  // Starts a line in line_ with the time column and a space.
  std::string& begin(Instant now);
  // Appends line_ (plus '\n') to the text or the ring.
  void commit();

  Options options_;
  std::string line_;  // the line being built, reused
  uint64_t lines_written_ = 0;

  // Unlimited: every line, in order.
  std::string text_;
  // Limited: ring_[(first_ + i) % limit] for i in [0, kept_).
  std::vector<std::string> ring_;
  size_t first_ = 0;
  size_t kept_ = 0;
  mutable std::string assembled_;
  mutable bool assembled_valid_ = false;
};

}  // namespace synfin::harness
