#include "stack/reassembly.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace synfin {

bool Reassembly::add(uint32_t begin, uint32_t end) {
  if (begin >= end) return true;
  // Room for the counted ranges, the front range the limit leaves out and the
  // new one before the limit is applied: nothing allocates after this.
  if (ranges_.capacity() == 0) ranges_.reserve(max_ranges_ + 2);
  // The first range that ends at or after `begin` (touching counts: it merges).
  size_t first = 0;
  while (first < ranges_.size() && ranges_[first].end < begin) ++first;
  // One past the last range that starts at or before `end`.
  size_t last = first;
  while (last < ranges_.size() && ranges_[last].begin <= end) ++last;
  if (first == last) {
    // Touches nothing: a range of its own.
    ranges_.insert(ranges_.begin() + static_cast<std::ptrdiff_t>(first), Range{begin, end});
  } else {
    Range& merged = ranges_[first];
    merged.begin = std::min(merged.begin, begin);
    merged.end = std::max(ranges_[last - 1].end, end);
    ranges_.erase(ranges_.begin() + static_cast<std::ptrdiff_t>(first) + 1,
                  ranges_.begin() + static_cast<std::ptrdiff_t>(last));
    return true;  // merging never adds a range
  }
  if (counted() <= max_ranges_) return true;
  // Over the limit by exactly the new range. Drop the furthest.
  const bool new_is_furthest = first == ranges_.size() - 1;
  ranges_.pop_back();
  return !new_is_furthest;
}

void Reassembly::advance(uint32_t n) {
  if (n == 0) return;
  size_t gone = 0;
  while (gone < ranges_.size() && ranges_[gone].end <= n) ++gone;
  ranges_.erase(ranges_.begin(), ranges_.begin() + static_cast<std::ptrdiff_t>(gone));
  for (Range& r : ranges_) {
    r.begin = r.begin > n ? r.begin - n : 0;
    r.end -= n;
  }
}

void Reassembly::truncate(uint32_t offset) {
  while (!ranges_.empty() && ranges_.back().begin >= offset) ranges_.pop_back();
  if (!ranges_.empty() && ranges_.back().end > offset) ranges_.back().end = offset;
}

uint32_t Reassembly::held_bytes() const {
  uint32_t n = 0;
  for (const Range& r : ranges_) n += r.end - r.begin;
  return n;
}

absl::Status Reassembly::check_invariants(uint32_t window) const {
  for (size_t i = 0; i < ranges_.size(); ++i) {
    const Range& r = ranges_[i];
    if (r.begin >= r.end) {
      return absl::InternalError(absl::StrCat("reassembly: range ", i, " [", r.begin, ", ", r.end,
                                              ") is empty"));
    }
    if (i > 0 && ranges_[i - 1].end >= r.begin) {
      return absl::InternalError(absl::StrCat("reassembly: range ", i - 1, " ends at ",
                                              ranges_[i - 1].end, ", not before range ", i,
                                              " begins at ", r.begin,
                                              " (ranges must be sorted, disjoint and merged)"));
    }
  }
  if (!ranges_.empty() && ranges_.back().end > window) {
    return absl::InternalError(absl::StrCat("reassembly: octets held up to offset ",
                                            ranges_.back().end, ", past the window of ", window));
  }
  if (counted() > max_ranges_) {
    return absl::InternalError(absl::StrCat("reassembly: ", counted(), " ranges held, limit ",
                                            max_ranges_));
  }
  return absl::OkStatus();
}

}  // namespace synfin
