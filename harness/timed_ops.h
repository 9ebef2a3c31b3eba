// Collects scenario ops stamped with the time they should run, then lays them
// out as an op list with kWait ops between them. Ops at the same time keep the
// order of their keys, so a fault can be slotted just before the op whose packet
// it is meant for.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "harness/scenario.h"
#include "stack/time.h"

namespace synfin::harness {

class TimedOps {
 public:
  // Appends `op` at `at`; returns a handle for place_before.
  size_t add(Instant at, const Op& op) {
    next_key_ += 2;
    ops_.push_back(Entry{at, next_key_, op});
    return ops_.size() - 1;
  }
  // Puts `op` at the same time as the op `handle` names, just before it.
  void place_before(size_t handle, const Op& op) {
    const Entry& e = ops_[handle];
    ops_.push_back(Entry{e.at, e.key - 1, op});
  }
  // The ops in time order, with waits for the gaps; the run starts at the
  // earliest op.
  std::vector<Op> finish() && {
    std::stable_sort(ops_.begin(), ops_.end(), [](const Entry& a, const Entry& b) {
      return a.at != b.at ? a.at < b.at : a.key < b.key;
    });
    std::vector<Op> out;
    out.reserve(ops_.size() * 2);
    Instant now = ops_.empty() ? Instant{} : ops_.front().at;
    for (Entry& e : ops_) {
      if (e.at > now) {
        Op wait;
        wait.kind = OpKind::kWait;
        wait.amount = static_cast<uint64_t>((e.at - now).us);
        out.push_back(wait);
        now = e.at;
      }
      out.push_back(std::move(e.op));
    }
    return out;
  }

 private:
  struct Entry {
    Instant at;
    uint64_t key;
    Op op;
  };
  std::vector<Entry> ops_;
  uint64_t next_key_ = 0;
};

}  // namespace synfin::harness
