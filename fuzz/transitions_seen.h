// Which RFC 9293 transitions (harness/transition_catalog.h) a fuzzing process
// has reached so far. The transition feedback marks them as runs take them; the
// scenario mutator reads them to aim its next operations at the ones still
// missing, the way a directed fuzzer aims at unreached code.
#pragma once

#include <cstddef>
#include <vector>

#include "harness/transition_catalog.h"

namespace synfin::fuzz {

class TransitionsSeen {
 public:
  TransitionsSeen();

  // Marks (from, to, cause) when it is a catalogue edge; other triples are ignored.
  void mark(State from, State to, Cause cause);
  bool seen(size_t catalogue_index) const { return seen_[catalogue_index]; }
  size_t count() const { return count_; }
  size_t size() const { return seen_.size(); }
  // Catalogue indices not seen yet, in catalogue order.
  std::vector<size_t> missing() const;

 private:
  std::vector<bool> seen_;
  size_t count_ = 0;
};

// This process's record: filled by TransitionFeedback, read by the mutator hooks.
// A fuzzing process is one campaign, so what it has seen is process-wide by
// nature (the engine keeps its own coverage the same way).
TransitionsSeen& transitions_seen_in_process();

}  // namespace synfin::fuzz
