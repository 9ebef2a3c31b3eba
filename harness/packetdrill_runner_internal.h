// The script runner's state, shared by its source files:
// packetdrill_runner.cc (time, packets, the event loop), packetdrill_syscalls.cc
// (socket calls and options) and packetdrill_commands.cc (shell commands and
// Python blocks). Not for other callers.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "harness/checked_run.h"
#include "harness/oracles/oracle.h"
#include "harness/packetdrill_runner.h"
#include "harness/run_observer.h"
#include "stack/host.h"
#include "stack/isn.h"

namespace synfin::harness::pd {

// Every TCB the host has, with its state (the host has no iterator over them).
class TcbTracker final : public RunObserver {
 public:
  void on_created(int, ConnId id, ConnId, const FourTuple&, Instant) override { states_[id] = State::kClosed; }
  void on_transition(int, ConnId id, State, State to, Cause, Instant) override { states_[id] = to; }
  void on_released(int, ConnId id, Instant) override { states_.erase(id); }
  const std::map<ConnId, State>& states() const { return states_; }

 private:
  std::map<ConnId, State> states_;
};

// Records the line being run when an oracle fires.
class LineSink final : public ViolationSink {
 public:
  void report(Violation v) override {
    if (!first) first = Found{std::move(v), line};
  }
  struct Found {
    Violation violation;
    int line;
  };
  std::optional<Found> first;
  int line = 0;
};

struct FdEntry {
  enum class Kind : uint8_t { kFresh, kListener, kConnection };
  Kind kind = Kind::kFresh;
  SocketId handle = 0;
  bool nonblocking = false;
  bool error_reported = false;  // SO_ERROR / a call already returned the end's errno
  bool reset_seen = false;      // a call returned ECONNRESET once; later ones see EPIPE / 0
  bool connect_reported = false;  // a nonblocking connect's outcome was returned
  uint16_t bound_port = 0;
  int64_t reuseaddr = 0, nodelay = 0, keepalive = 0;
  int64_t linger_on = 0, linger_secs = 0;
  std::optional<int64_t> rcvbuf, sndbuf, maxseg;  // set by setsockopt
  uint64_t written = 0;  // stream offset of the next byte this socket sends
};

class Runner {
 public:
  Runner(const Script& script, const RunOptions& options);
  ScriptResult run();

  // ---- Verdict helpers: each returns false (stop the script) ----
  bool fail(int line, std::string message);
  bool skip(int line, std::string why);
  // A protocol feature the stack lacks: skipped, or noted and continued (lax).
  bool missing(int line, const std::string& feature);

  // ---- packetdrill_runner.cc ----
  bool setup();
  bool ensure_host(int line);
  void advance_to(Instant t);
  void collect();
  bool run_event(size_t index);
  bool inbound(const Event& e, const PacketSpec& pk);
  bool outbound(const Event& e, const PacketSpec& pk, Instant at, std::optional<Instant> until);
  bool check_unexpected(int line, Instant before);
  void deliver(IpPacket& p);
  void notify_app_call(OpKind kind, SocketId handle, bool ok, uint64_t result);
  std::optional<State> under_test_state() const;
  // TCP_NODELAY and SO_KEEPALIVE as the descriptor holds them, onto its socket.
  void apply_socket_options(const FdEntry& f);
  // Which option kinds the stack never sends (probed once from its own SYNs).
  const std::vector<OptionSpec::Kind>& lacking_options();
  // Timestamps: what a '>' line's TS val stands for, and an inbound TS ecr's live value.
  void note_ts_val(const PacketSpec& want, const Segment& got);
  uint32_t live_ts_ecr(uint32_t script_ecr) const;

  // ---- packetdrill_syscalls.cc ----
  struct Outcome {
    bool done = true;     // false: the call would block
    int64_t value = 0;
    std::string err;      // errno name, empty on success
    std::vector<std::pair<size_t, int64_t>> out_args;  // (arg index, value written)
  };
  bool syscall(const Event& e, const SyscallSpec& sc, Instant start);
  // Runs the call once; nullopt with the verdict set when the script must stop.
  std::optional<Outcome> attempt(int line, const SyscallSpec& sc);
  bool check_outcome(int line, const SyscallSpec& sc, const Outcome& o);
  bool poll_pending();
  FdEntry* fd(int64_t n);
  int64_t new_fd();
  int64_t so_error(FdEntry& f);

  // ---- packetdrill_commands.cc ----
  bool command(const Event& e, const CommandSpec& c);
  bool code(const Event& e, const CodeSpec& c);

  const Script& script_;
  RunOptions opt_;
  ScriptResult result_;
  bool stopped_ = false;
  IpFamily family_ = IpFamily::kV4;

  KnobState knobs_;
  std::optional<int> config_changed_line_;  // a knob changed after the host started

  std::unique_ptr<Rfc6528IsnGenerator> isn_;
  std::unique_ptr<Host> host_;
  RunObserverList observers_;
  std::unique_ptr<HostObserverAdapter> adapter_;
  std::unique_ptr<OracleSet> oracles_;
  LineSink sink_;
  TcbTracker tcbs_;
  uint64_t timer_events_ = 0;

  Instant now_;
  Instant script_time_;  // the previous event's script time
  int line_ = 0;         // the event being run

  struct Sent {
    Instant at;
    IpPacket packet;
  };
  std::deque<Sent> sent_;

  // The connection the scripted peer talks to (packetdrill's socket under test).
  FourTuple tuple_;
  bool tuple_is_listener_ = false;  // tuple_ names a listener; a SYN makes a child
  uint32_t local_iss_ = 0;
  bool iss_known_ = false;
  uint32_t peer_isn_ = 0;
  uint16_t next_remote_port_ = 40000;
  uint16_t port_ = 8080;  // packetdrill's --bind_port / --connect_port
  uint16_t peer_mss_ = 0;  // the MSS option of the peer's last SYN (0: none)

  std::map<int64_t, FdEntry> fds_;

  struct Pending {
    int line = 0;
    SyscallSpec call;
    Instant start;
    std::optional<Instant> end;  // "start...end"
  };
  // A value an argument spells: nullopt for "...", an error for what synfin
  // cannot evaluate.
  absl::StatusOr<std::optional<int64_t>> value_of(const Expr& e) const;
  std::optional<Pending> pending_;

  std::optional<std::vector<OptionSpec::Kind>> lacking_;
  std::map<uint32_t, uint32_t> ts_val_map_;                // script TS val -> the stack's
  std::optional<std::pair<uint32_t, uint32_t>> first_ts_;  // the first such pair
};

}  // namespace synfin::harness::pd
