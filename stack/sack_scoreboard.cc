#include "stack/sack_scoreboard.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace synfin {

void SackScoreboard::clear(SeqNum una) {
  base_ = una;
  ranges_.clear();
}

void SackScoreboard::update(SeqNum una, SeqNum snd_max, std::span<const SackBlock> blocks) {
  // Move the base up to the new SND.UNA: what it acknowledged is no longer
  // on the board.
  if (seq_gt(una, base_)) {
    const uint32_t shift = distance(base_, una).raw;
    size_t keep = 0;
    for (Range r : ranges_) {
      if (r.end <= shift) continue;
      r.begin = r.begin > shift ? r.begin - shift : 0;
      r.end -= shift;
      ranges_[keep++] = r;
    }
    ranges_.resize(keep);
    base_ = una;
  }
  const uint32_t limit = seq_gt(snd_max, base_) ? distance(base_, snd_max).raw : 0;
  for (const SackBlock& b : blocks) {
    // Only the part of a block inside (SND.UNA, SND.MAX] means anything; a
    // block with its edges the wrong way round means nothing at all.
    if (!seq_lt(b.left, b.right)) continue;
    const SeqNum left = seq_lt(b.left, base_) ? base_ : b.left;
    if (!seq_lt(left, b.right) || !seq_lt(left, base_ + SeqLen(limit))) continue;
    const uint32_t begin = distance(base_, left).raw;
    const uint32_t end = std::min(distance(base_, b.right).raw, limit);
    if (begin < end) add(begin, end);
  }
}

void SackScoreboard::add(uint32_t begin, uint32_t end) {
  // Merge with every range it touches or overlaps.
  auto first = std::lower_bound(ranges_.begin(), ranges_.end(), begin,
                                [](const Range& r, uint32_t b) { return r.end < b; });
  auto last = first;
  while (last != ranges_.end() && last->begin <= end) {
    begin = std::min(begin, last->begin);
    end = std::max(end, last->end);
    ++last;
  }
  first = ranges_.erase(first, last);
  ranges_.insert(first, Range{begin, end});
  // Past the cap the highest range goes: the lowest holes are what recovery
  // needs first.
  if (ranges_.size() > kMaxRanges) ranges_.pop_back();
}

absl::Status SackScoreboard::check_invariants(SeqNum snd_max) const {
  if (ranges_.size() > kMaxRanges) {
    return absl::InternalError(absl::StrCat("SACK scoreboard holds ", ranges_.size(), " ranges"));
  }
  uint32_t prev_end = 0;
  for (size_t i = 0; i < ranges_.size(); ++i) {
    const Range& r = ranges_[i];
    if (r.begin >= r.end || (i > 0 && r.begin <= prev_end)) {
      return absl::InternalError(absl::StrCat("SACK scoreboard range ", i, " [", r.begin, ", ", r.end,
                                              ") is empty, unsorted or touches the one before"));
    }
    prev_end = r.end;
  }
  if (!ranges_.empty() && seq_gt(high_sacked(), snd_max)) {
    return absl::InternalError(absl::StrCat("SACK scoreboard reaches ", high_sacked().raw,
                                            ", past the highest number sent, ", snd_max.raw));
  }
  return absl::OkStatus();
}

uint32_t SackScoreboard::sacked_bytes() const {
  uint32_t n = 0;
  for (const Range& r : ranges_) n += r.end - r.begin;
  return n;
}

SeqNum SackScoreboard::high_sacked() const {
  return ranges_.empty() ? base_ : base_ + SeqLen(ranges_.back().end);
}

bool SackScoreboard::is_sacked(SeqNum s) const {
  if (seq_lt(s, base_)) return false;
  const uint32_t at = distance(base_, s).raw;
  for (const Range& r : ranges_) {
    if (at < r.begin) return false;
    if (at < r.end) return true;
  }
  return false;
}

bool SackScoreboard::is_lost(SeqNum seq, uint32_t smss, uint32_t dup_thresh) const {
  const uint32_t at = seq_gt(seq, base_) ? distance(base_, seq).raw : 0;
  uint32_t ranges = 0;
  uint64_t bytes = 0;
  for (const Range& r : ranges_) {
    if (r.end <= at + 1) continue;  // octets strictly above `seq` only
    ++ranges;
    bytes += r.end - std::max(r.begin, at + 1);
  }
  return ranges >= dup_thresh || bytes > uint64_t{dup_thresh - 1} * smss;
}

std::optional<SackScoreboard::Hole> SackScoreboard::next_hole(SeqNum from) const {
  const uint32_t at = seq_gt(from, base_) ? distance(base_, from).raw : 0;
  uint32_t pos = at;
  for (const Range& r : ranges_) {
    if (pos < r.begin) return Hole{base_ + SeqLen(pos), r.begin - pos};
    pos = std::max(pos, r.end);
  }
  return std::nullopt;  // nothing unSACKed below the highest SACKed octet
}

uint32_t SackScoreboard::hole_bytes_from(SeqNum from) const {
  const uint32_t at = seq_gt(from, base_) ? distance(base_, from).raw : 0;
  uint32_t pos = at, n = 0;
  for (const Range& r : ranges_) {
    if (pos < r.begin) n += r.begin - pos;
    pos = std::max(pos, r.end);
  }
  return n;
}

}  // namespace synfin
