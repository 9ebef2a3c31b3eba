// A checker's records keyed by (host, 4-tuple).
//
// A run almost always sees one or two 4-tuples per host, and the checkers look
// one up on every injected and received segment. Hashing a (host, 4-tuple) key
// (two 16-byte addresses) and probing a hash table cost more than comparing it
// with the few keys there are, so the first entries are found by a scan of an
// inline list; a run that spreads over more tuples (a fuzzer varying ports) gets
// an index beside the list once the scan would grow long.
//
// Entries are never removed. Like the hash map this replaces, inserting may move
// the others: hold no reference across an insertion.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "stack/ip.h"

namespace synfin::harness {

template <class V>
class TupleMap {
 public:
  using Key = std::pair<int, FourTuple>;

  // The value of (h, t), or nullptr when there is none.
  V* find(int h, const FourTuple& t) {
    const size_t i = index_of(h, t);
    return i == kAbsent ? nullptr : &entries_[i].value;
  }
  const V* find(int h, const FourTuple& t) const {
    return const_cast<TupleMap*>(this)->find(h, t);
  }

  // The value of (h, t), made from `args` when absent; second: whether it was.
  template <class... Args>
  std::pair<V*, bool> try_emplace(int h, const FourTuple& t, Args&&... args) {
    const size_t i = index_of(h, t);
    if (i != kAbsent) return {&entries_[i].value, false};
    entries_.push_back(Entry{h, t, V(std::forward<Args>(args)...)});
    const size_t added = entries_.size() - 1;
    if (!index_.empty()) {
      index_.emplace(Key{h, t}, added);
    } else if (entries_.size() > kScanLimit) {
      for (size_t j = 0; j < entries_.size(); ++j) index_.emplace(Key{entries_[j].h, entries_[j].t}, j);
    }
    return {&entries_[added].value, true};
  }

  // The value of (h, t), default-made when absent.
  V& operator()(int h, const FourTuple& t) { return *try_emplace(h, t).first; }

  size_t size() const { return entries_.size(); }

 private:
  static constexpr size_t kAbsent = ~size_t{0};
  // Past this many entries a lookup goes through the index instead of the scan.
  static constexpr size_t kScanLimit = 8;

  struct Entry {
    int h;
    FourTuple t;
    V value;
  };

  size_t index_of(int h, const FourTuple& t) const {
    if (index_.empty()) {
      for (size_t i = 0; i < entries_.size(); ++i) {
        if (entries_[i].h == h && entries_[i].t == t) return i;
      }
      return kAbsent;
    }
    const auto it = index_.find(Key{h, t});
    return it == index_.end() ? kAbsent : it->second;
  }

  absl::InlinedVector<Entry, 2> entries_;
  absl::flat_hash_map<Key, size_t> index_;  // empty until entries_ outgrows the scan
};

}  // namespace synfin::harness
