#include "fuzz/transitions_seen.h"

#include <span>

namespace synfin::fuzz {

TransitionsSeen::TransitionsSeen() : seen_(harness::rfc_transitions().size(), false) {}

void TransitionsSeen::mark(State from, State to, Cause cause) {
  // 59 edges, a handful of transitions per run: a scan is cheaper than a table.
  const std::span<const harness::TransitionKey> all = harness::rfc_transitions();
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i].from == from && all[i].to == to && all[i].cause == cause) {
      if (!seen_[i]) {
        seen_[i] = true;
        ++count_;
      }
      return;
    }
  }
}

std::vector<size_t> TransitionsSeen::missing() const {
  std::vector<size_t> out;
  for (size_t i = 0; i < seen_.size(); ++i) {
    if (!seen_[i]) out.push_back(i);
  }
  return out;
}

TransitionsSeen& transitions_seen_in_process() {
  static TransitionsSeen seen;
  return seen;
}

}  // namespace synfin::fuzz
