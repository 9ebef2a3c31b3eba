// A connection's timers as deadlines, one per kind, with the earliest kept up to
// date on every change: the simulator asks a connection for its next deadline at
// every step and the timers change far less often. Every change goes through
// set() and clear(), so the kept answer cannot drift from the deadlines.
#pragma once

#include <array>
#include <optional>

#include "stack/observer.h"
#include "stack/time.h"

namespace synfin {

class TimerSet {
 public:
  std::optional<Instant> get(TimerKind k) const { return at_[index(k)]; }
  void set(TimerKind k, Instant deadline) {
    at_[index(k)] = deadline;
    refresh();
  }
  void clear(TimerKind k) {
    at_[index(k)].reset();
    refresh();
  }
  // The earliest deadline; without `idle_probes`, the keep-alive timer aside.
  std::optional<Instant> earliest(bool idle_probes = true) const { return earliest_[idle_probes ? 1 : 0]; }

 private:
  static int index(TimerKind k) { return static_cast<int>(k); }
  void refresh() {
    std::optional<Instant> all, active;
    for (int k = 0; k < kNumTimerKinds; ++k) {
      const std::optional<Instant>& t = at_[k];
      if (!t) continue;
      if (!all || *t < *all) all = t;
      if (static_cast<TimerKind>(k) != TimerKind::kKeepalive && (!active || *t < *active)) active = t;
    }
    earliest_ = {active, all};
  }

  std::array<std::optional<Instant>, kNumTimerKinds> at_{};
  std::array<std::optional<Instant>, 2> earliest_{};  // without, with keep-alive
};

}  // namespace synfin
