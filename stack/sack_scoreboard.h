// The data sender's SACK scoreboard (RFC 6675 2, 4): which octets above SND.UNA
// the peer has reported holding in SACK blocks. Loss recovery asks it for the
// holes (unSACKed octets below the highest SACKed one) so it retransmits only
// what is missing.
//
// Ranges are kept as offsets from SND.UNA, so comparisons are plain integers
// within the window and nothing depends on where the sequence space wraps.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "stack/segment.h"
#include "stack/seq.h"

namespace synfin {

class SackScoreboard {
 public:
  struct Hole {
    SeqNum seq;
    uint32_t len;  // up to the next SACKed range
  };

  // Forgets everything (a timeout: RFC 2018 8, the receiver may renege).
  void clear(SeqNum una);
  // SND.UNA is now `una`; SACK blocks from this ACK, only their parts within
  // (una, snd_max] count (a D-SACK block below SND.UNA, RFC 2883, says nothing
  // about what is missing).
  void update(SeqNum una, SeqNum snd_max, std::span<const SackBlock> blocks);

  bool empty() const { return ranges_.empty(); }
  uint32_t sacked_bytes() const;
  // Just past the highest SACKed octet (SND.UNA when nothing is SACKed).
  SeqNum high_sacked() const;
  // The first unSACKed octets at or after `from` and below the highest SACKed
  // octet (RFC 6675 NextSeg's rule (3) candidates), if any.
  std::optional<Hole> next_hole(SeqNum from) const;
  // UnSACKed octets in [from, high_sacked()): holes not yet retransmitted.
  uint32_t hole_bytes_from(SeqNum from) const;
  bool is_sacked(SeqNum s) const;
  // RFC 6675 4 IsLost(SeqNum): "true when either DupThresh discontiguous SACKed
  // sequences have arrived above 'SeqNum' or more than (DupThresh - 1) * SMSS
  // bytes with sequence numbers greater than 'SeqNum' have been SACKed".
  bool is_lost(SeqNum seq, uint32_t smss, uint32_t dup_thresh) const;
  // Ranges sorted, disjoint and not touching, none empty, at most kMaxRanges,
  // and none past `snd_max` (what was never sent cannot have been SACKed).
  absl::Status check_invariants(SeqNum snd_max) const;

  // At most this many separate ranges are kept: a peer sends at most 4 blocks
  // per ACK, and the oldest information past this goes (the sender then merely
  // retransmits a little more than needed).
  static constexpr size_t kMaxRanges = 16;

 private:
  struct Range {
    uint32_t begin, end;  // offsets from base_, begin < end
  };
  void add(uint32_t begin, uint32_t end);

  SeqNum base_;
  absl::InlinedVector<Range, 4> ranges_;  // sorted, disjoint, not adjacent
};

}  // namespace synfin
