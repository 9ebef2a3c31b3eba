// One direction of a simulated link, built as a chain of stages (decorators): each
// stage takes a frame and passes zero, one or more frames on to the next. The
// chain, in order:
//
//   scripted faults -> partition -> random fault mix -> MTU -> queue/bandwidth -> delay
//
// Scripted faults are the scenario's explicit "do this to the next packet"
// operations; the random mix draws per-packet faults from a seeded stream. Frames
// a stage holds back (reordering) are released by the link's own deadline, which
// the simulator includes in its clock, so nothing waits forever.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "harness/rng.h"
#include "harness/run_observer.h"
#include "harness/scenario.h"
#include "stack/time.h"

namespace synfin::harness {

struct Frame {
  Instant at;  // when the frame reaches the far end (stages add delay to it)
  std::vector<uint8_t> bytes;
};

class FrameSink {
 public:
  virtual ~FrameSink() = default;
  virtual void accept(Frame&& f) = 0;
};

class LinkStage : public FrameSink {
 public:
  void set_next(FrameSink* next) { next_ = next; }
  // Frames held back: the earliest time one must be released, if any.
  virtual std::optional<Instant> next_deadline() const { return std::nullopt; }
  virtual void on_timer(Instant now) {}
  // Turns off everything random or scripted, for the fault-free tail of a run.
  virtual void calm() {}

 protected:
  FrameSink* next_ = nullptr;
};

struct LinkContext {
  int from_host = 0;
  RunObserver* observer = nullptr;  // may be null
  // The simulator's clock. Frames carry their arrival time, which delay faults
  // have already pushed into the future; what a stage decides (a drop, a fault)
  // happens now, and is reported and judged at this time.
  const Instant* clock = nullptr;
  Instant now(Instant fallback) const { return clock ? *clock : fallback; }
};

class Link {
 public:
  // `out` receives frames with their arrival time, in the order they leave.
  Link(const LinkSettings& settings, uint64_t seed, const LinkContext& ctx, FrameSink* out);
  ~Link();

  void transmit(Instant now, std::vector<uint8_t>&& bytes);
  void add_scripted_fault(FaultKind kind, uint64_t param);
  void partition_until(Instant end);
  std::optional<Instant> next_deadline() const;
  void on_timer(Instant now);
  void calm();

 private:
  std::vector<std::unique_ptr<LinkStage>> stages_;
  class ScriptedFaults* scripted_ = nullptr;
  class Partition* partition_ = nullptr;
};

}  // namespace synfin::harness
