// A checker's per-connection records, found by (host, connection id) in O(1).
//
// The stack numbers each host's connections 1, 2, 3, ... (stack/host.h), so a
// vector per host indexed by the id replaces a map. Every checker looks its
// record up on every event, and a hash or tree lookup per checker per event
// added up to a few percent of a fuzz run.
//
// Iteration goes host by host, ids ascending: the order of the ordered maps it
// replaces, so reports made while iterating keep a fixed order. Like those maps,
// creating a record may move the others: hold no reference across a creation.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "stack/observer.h"

namespace synfin::harness {

template <class T>
class ConnTable {
  struct Slot {
    bool live = false;
    T value{};
  };
  // A run has one or two hosts and a handful of connections each (the stack's ids
  // start at 1, so slot 0 stays unused). Keeping that many in the table itself
  // saves each checker two allocations per host per run; more hosts or
  // connections spill to the heap. About 512 bytes of slots per host stay inline,
  // at least four slots.
  static constexpr size_t kInlineSlots = std::max<size_t>(4, 512 / sizeof(Slot));
  using Slots = absl::InlinedVector<Slot, kInlineSlots>;

 public:
  // The record of (h, id), created default-initialised when absent.
  T& operator()(int h, ConnId id) {
    if (T* v = find(h, id)) return *v;
    return create(h, id);
  }

  // A new connection's record: default-initialised, whatever (h, id) held before
  // (ids are not reused, so in practice it is always a fresh slot).
  T& fresh(int h, ConnId id) {
    if (T* v = find(h, id)) {
      *v = T{};
      return *v;
    }
    return create(h, id);
  }

  // The record of (h, id), or nullptr when there is none.
  T* find(int h, ConnId id) {
    if (h < 0 || static_cast<size_t>(h) >= hosts_.size()) return nullptr;
    Slots& slots = hosts_[h];
    if (id >= slots.size() || !slots[id].live) return nullptr;
    return &slots[id].value;
  }
  const T* find(int h, ConnId id) const { return const_cast<ConnTable*>(this)->find(h, id); }

  bool contains(int h, ConnId id) const { return find(h, id) != nullptr; }

  // Drops the record (its memory is kept for the run). Returns whether there was one.
  bool erase(int h, ConnId id) {
    T* v = find(h, id);
    if (!v) return false;
    hosts_[h][id].live = false;
    *v = T{};  // release what the record holds now, not at the end of the run
    return true;
  }

  // Hosts that have had a record, and one past the highest id a host has had:
  // bounds for loops that need to stop early (find() skips the gaps).
  int host_limit() const { return static_cast<int>(hosts_.size()); }
  ConnId id_limit(int h) const {
    if (h < 0 || static_cast<size_t>(h) >= hosts_.size()) return 0;
    return static_cast<ConnId>(hosts_[h].size());
  }

  // f(int host, ConnId id, T& record) for every record, in (host, id) order.
  template <class F>
  void for_each(F&& f) {
    for (int h = 0; h < host_limit(); ++h) {
      for (ConnId id = 0; id < id_limit(h); ++id) {
        if (T* v = find(h, id)) f(h, id, *v);
      }
    }
  }

 private:
  // Out of line: creation is rare next to lookups, which stay small enough to inline.
  // A slot not in use always holds a default record (fresh, or reset by erase),
  // so creating one only marks it.
  [[gnu::noinline]] T& create(int h, ConnId id) {
    Slots& slots = host_slots(h);
    if (id >= slots.size()) slots.resize(static_cast<size_t>(id) + 1);
    Slot& s = slots[id];
    s.live = true;
    return s.value;
  }

  Slots& host_slots(int h) {
    // Host indices come from the simulator and start at 0: a negative one is a
    // harness bug, and no record may be filed under a wrong host.
    if (h < 0) {
      std::fprintf(stderr, "synfin: ConnTable: negative host index %d\n", h);
      std::abort();
    }
    const size_t i = static_cast<size_t>(h);
    if (i >= hosts_.size()) hosts_.resize(i + 1);
    return hosts_[i];
  }

  absl::InlinedVector<Slots, 2> hosts_;
};

}  // namespace synfin::harness
