// The seeded discrete-event simulator that runs a Scenario.
//
// Virtual time advances to the earliest of: the next packet arrival (queue ordered
// by time, then insertion order), any host's next timer deadline, any link's next
// release. Arrivals at an instant are handled before timers at that instant. Ops
// run in order; a kWait op lets the network run for its duration. After the last
// op, faults stop and the network runs until it is quiet (nothing in flight, no
// timer armed) or a bound computed from the Config has passed.
//
// Connection mode runs two synfin hosts over two links. Endpoint mode runs host 0
// against the scenario's scripted peer: injected segments arrive at once, and what
// host 0 sends is checked against the scenario's expectations.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "harness/injector.h"
#include "harness/link.h"
#include "harness/run_observer.h"
#include "harness/scenario.h"
#include "stack/host.h"
#include "stack/isn.h"

namespace synfin::harness {

struct RunLimits {
  // Hard stops that keep a fuzz input from running forever.
  uint64_t max_events = 200000;
  Duration max_virtual_time = Duration::seconds(24 * 3600);
  // Bytes one send op may ask for.
  uint64_t max_send_bytes = 1 << 20;
};

struct RunResult {
  bool expectations_ok = true;
  int failed_op = -1;           // index of the first failing expectation
  std::string failure;          // what failed, in words
  Instant end;                  // virtual time at the end of the run
  uint64_t events = 0;          // arrivals, timer firings and ops processed
  uint64_t packets = 0;         // packets put on a wire (or to the scripted peer)
  bool quiet = false;           // the network went quiet before the bound
  bool hit_limit = false;       // max_events or max_virtual_time stopped the run
};

class Simulation {
 public:
  // `observer` may be null (the fastest run: no trace, no oracle). Whether it
  // needs_wire_bytes() is asked here, once: a list must be complete by now.
  // Takes the scenario by value: a caller done with it moves it in and no copy of
  // its op list is made.
  Simulation(Scenario scenario, RunObserver* observer, RunLimits limits = {});
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  RunResult run();

  // Step by step, for tests and tools: run ops [0, n) (or all), then settle.
  void run_op(size_t index);
  void settle();
  RunResult result() const { return result_; }

  int host_count() const { return static_cast<int>(hosts_.size()); }
  Host& host(int i) { return *hosts_[i]; }
  Instant now() const { return now_; }
  // The bound on the fault-free tail: every retry at the largest RTO, plus 2*MSL.
  Duration quiet_bound() const;

 private:
  struct Arrival {
    Instant at;
    uint64_t order;
    int to_host;
    std::vector<uint8_t> bytes;
  };
  struct Later {
    bool operator()(const Arrival& a, const Arrival& b) const {
      return a.at != b.at ? a.at > b.at : a.order > b.order;
    }
  };
  struct Socket {
    SocketId handle = 0;
    bool listener = false;
    uint64_t sent = 0;  // stream offset of the next byte to send
  };
  class LinkOutput;

  void advance_to(Instant target);
  // Runs until host h has a connection in `state` or `deadline` passes.
  void await(int h, State state, Instant deadline);
  bool step(Instant target);  // one instant's worth of events; false if none before target
  void deliver(int to_host, const std::vector<uint8_t>& bytes);
  void drain(int host);
  void execute(size_t index, const Op& op);
  void app_call(int host, const Op& op);
  void inject(int host, const Op& op);
  void expect(size_t index, const Op& op);
  void fail_expectation(size_t index, const std::string& what);
  InjectionTarget target_for(int host, int peer) const;
  int peer_of(int host) const { return host == 0 ? 1 : 0; }
  bool wire_bytes_wanted() const { return wire_bytes_wanted_; }
  // Without `idle_probes`, keep-alive timers aside.
  std::optional<Instant> next_event_time(bool idle_probes = true) const;

  Scenario scenario_;
  RunObserver* observer_;
  bool wire_bytes_wanted_;  // asked of the observer once, when the simulation is built
  RunLimits limits_;
  Rfc6528IsnGenerator isn_;
  // A run has one host or two. Adapters live in place (hosts keep pointers to
  // them); building a run used to allocate for each of these.
  std::optional<HostObserverAdapter> adapters_[2];
  absl::InlinedVector<std::unique_ptr<Host>, 2> hosts_;
  std::vector<std::unique_ptr<LinkOutput>> link_outputs_;
  std::vector<std::unique_ptr<Link>> links_;  // links_[h]: from host h
  std::array<std::vector<Socket>, 2> sockets_;  // per host, in creation order
  std::array<std::optional<TcbSnapshot>, 2> last_tcb_;  // per host: last injection target

  std::priority_queue<Arrival, std::vector<Arrival>, Later> arrivals_;
  uint64_t next_order_ = 0;
  Instant now_;
  RunResult result_;

  // Endpoint mode: segments host 0 sent that no expectation has consumed yet.
  struct Sent {
    Instant at;
    Segment seg;
  };
  // First in, first out; unlike std::deque it allocates only once used, and only
  // scripted endpoint runs use it.
  class SentQueue {
   public:
    bool empty() const { return head_ == items_.size(); }
    const Sent& front() const { return items_[head_]; }
    void push_back(Sent s) { items_.push_back(std::move(s)); }
    Sent pop_front() {
      Sent s = std::move(items_[head_++]);
      if (empty()) {
        items_.clear();
        head_ = 0;
      }
      return s;
    }

   private:
    std::vector<Sent> items_;
    size_t head_ = 0;
  };
  SentQueue unexpected_;
  bool strict_ = false;  // the scenario has expectations
  std::vector<uint8_t> wire_;  // reused encode buffer
  std::vector<uint8_t> app_buf_;  // reused app send/read buffer
};

// Runs a scenario start to end. `observer` may be null.
RunResult run_scenario(const Scenario& scenario, RunObserver* observer, RunLimits limits = {});

}  // namespace synfin::harness
