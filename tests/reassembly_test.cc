// The receive side's hole list (stack/reassembly.h) and the buffer that keeps the
// held octets (stack/recv_buffer.h), against RFC 9293 3.10.7.4's seventh step:
// "Segments with higher beginning sequence numbers may be held for later
// processing", and "if a segment's contents straddle the boundary between old and
// new, only the new parts are processed".
//
// The model-based test drives a RecvBuffer the way Connection does and compares
// it, after every step, with a model too simple to be wrong: one flag and one
// byte per stream position. Seeds are fixed, so every failure replays.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "stack/reassembly.h"
#include "stack/recv_buffer.h"

using namespace synfin;
using Range = Reassembly::Range;

namespace {

std::vector<Range> ranges_of(const Reassembly& r) {
  return std::vector<Range>(r.ranges().begin(), r.ranges().end());
}

// A byte of one copy of the stream: `copy` tells retransmissions apart, so the
// test can see which copy of an octet was kept.
uint8_t stream_byte(uint64_t pos, uint32_t copy) {
  return static_cast<uint8_t>((pos * 131 + 7) ^ (copy * 0x5b));
}

// The trivially correct receiver: held[p] and value[p] per stream position p.
class BitmapModel {
 public:
  BitmapModel(size_t stream_len, size_t limit, size_t max_ranges)
      : held_(stream_len, false), value_(stream_len, 0), limit_(limit), max_ranges_(max_ranges) {}

  size_t front() const { return front_; }
  size_t window() const { return limit_ - readable_.size(); }

  // Octets [b, e) in stream positions, already trimmed to [front, front + window).
  void insert(size_t b, size_t e, uint32_t copy) {
    std::vector<bool> before(held_.begin() + front_, held_.begin() + front_ + window());
    std::vector<uint8_t> old_values(value_.begin() + front_, value_.begin() + front_ + window());
    for (size_t p = b; p < e; ++p) {
      if (held_[p]) continue;  // the octet held first stays
      held_[p] = true;
      value_[p] = stream_byte(p, copy);
    }
    std::vector<std::pair<size_t, size_t>> runs = runs_from_front();
    size_t counted = runs.size() - (!runs.empty() && runs[0].first == 0 ? 1 : 0);
    if (counted > max_ranges_) {
      // Over the limit: the furthest run goes. If that is the new one, nothing changes.
      const auto [rb, re] = runs.back();
      if (rb == b - front_ && re == e - front_) {
        std::copy(before.begin(), before.end(), held_.begin() + front_);
        std::copy(old_values.begin(), old_values.end(), value_.begin() + front_);
      } else {
        for (size_t p = front_ + rb; p < front_ + re; ++p) held_[p] = false;
      }
    }
    while (front_ < held_.size() && held_[front_]) {
      readable_.push_back(value_[front_]);
      held_[front_] = false;
      ++front_;
    }
  }

  std::vector<uint8_t> read(size_t n) {
    n = std::min(n, readable_.size());
    std::vector<uint8_t> out(readable_.begin(), readable_.begin() + static_cast<long>(n));
    readable_.erase(readable_.begin(), readable_.begin() + static_cast<long>(n));
    return out;
  }

  size_t readable() const { return readable_.size(); }

  // Held runs as offsets from the front.
  std::vector<std::pair<size_t, size_t>> runs_from_front() const {
    std::vector<std::pair<size_t, size_t>> runs;
    const size_t end = std::min(held_.size(), front_ + window());
    for (size_t p = front_; p < end; ++p) {
      if (!held_[p]) continue;
      const size_t b = p;
      while (p < end && held_[p]) ++p;
      runs.emplace_back(b - front_, p - front_);
    }
    return runs;
  }

 private:
  std::vector<bool> held_;
  std::vector<uint8_t> value_;
  std::vector<uint8_t> readable_;
  size_t front_ = 0;
  size_t limit_;
  size_t max_ranges_;
};

struct ModelRun {
  size_t limit;
  size_t max_ranges;
  uint32_t seed;
};

void run_against_model(const ModelRun& run) {
  constexpr size_t kStream = 300000;
  std::mt19937 rng(run.seed);
  auto below = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  BitmapModel model(kStream, run.limit, run.max_ranges);
  RecvBuffer buf(run.limit, run.max_ranges);
  size_t front = 0;  // the buffer's RCV.NXT, as a stream position
  uint32_t copies = 0;
  for (int step = 0; step < 4000 && front + run.limit + 100 < kStream; ++step) {
    INFO("seed " << run.seed << " limit " << run.limit << " max_ranges " << run.max_ranges
                 << " step " << step << " front " << front);
    if (below(5) == 0) {
      // The application reads some of what is in order.
      const size_t n = below(run.limit / 2 + 1);
      std::vector<uint8_t> got(n);
      got.resize(buf.read(got));
      REQUIRE(got == model.read(n));
    } else {
      // A segment somewhere around the window: old, straddling RCV.NXT, inside,
      // straddling the right edge or beyond it; sometimes a duplicate of a
      // recent one, sometimes huge.
      const size_t window = buf.free_space();
      const size_t start = front + below(window + 40) - std::min<size_t>(front, 20);
      const size_t len = below(8) == 0 ? below(window + 1) : below(60);
      const uint32_t copy = ++copies;
      // Trimmed as Connection trims: the old part, then what lies past the window.
      const size_t b = std::max(start, front);
      const size_t e = std::min(start + len, front + window);
      if (b < e) {
        std::vector<uint8_t> data(e - b);
        for (size_t p = b; p < e; ++p) data[p - b] = stream_byte(p, copy);
        buf.insert(static_cast<uint32_t>(b - front), data);
        const uint32_t n = buf.ready();
        buf.commit(n);
        front += n;
        model.insert(b, e, copy);
      }
    }
    REQUIRE(front == model.front());
    REQUIRE(buf.readable() == model.readable());
    std::vector<Range> want;
    for (const auto& [b, e] : model.runs_from_front()) {
      want.push_back(Range{static_cast<uint32_t>(b), static_cast<uint32_t>(e)});
    }
    REQUIRE(ranges_of(buf.held()) == want);
    const absl::Status st = buf.check_invariants(static_cast<uint32_t>(buf.free_space()));
    INFO(st.ToString());
    REQUIRE(st.ok());
  }
  // Drain: everything read matches what the model kept.
  std::vector<uint8_t> rest(buf.readable());
  rest.resize(buf.read(rest));
  CHECK(rest == model.read(rest.size() + 1));
}

}  // namespace

TEST_CASE("reassembly against a bitmap model: random orders, overlaps and duplicates",
          "[reassembly][model]") {
  // Roomy limits (never reached), tight ones (the eviction rule at work) and none
  // (out-of-order octets never held), over small and large buffers.
  const ModelRun runs[] = {
      {1000, 1000, 1}, {1000, 1000, 2}, {4096, 1000, 3}, {1000, 3, 4}, {1000, 3, 5},
      {4096, 1, 6},    {300, 0, 7},     {300, 0, 8},     {65535, 32, 9}, {1500, 2, 10},
  };
  for (const ModelRun& r : runs) run_against_model(r);
}

TEST_CASE("reassembly: ranges merge when they overlap or touch, stay apart across a hole",
          "[reassembly]") {
  Reassembly r(8);
  CHECK(r.add(100, 200));
  CHECK(r.add(300, 400));
  CHECK(ranges_of(r) == std::vector<Range>{{100, 200}, {300, 400}});
  CHECK(r.add(200, 250));  // touches the first: one range
  CHECK(ranges_of(r) == std::vector<Range>{{100, 250}, {300, 400}});
  CHECK(r.add(120, 130));  // a duplicate inside: nothing changes
  CHECK(ranges_of(r) == std::vector<Range>{{100, 250}, {300, 400}});
  CHECK(r.add(240, 310));  // bridges the hole
  CHECK(ranges_of(r) == std::vector<Range>{{100, 400}});
  CHECK(r.add(50, 500));  // covers everything
  CHECK(ranges_of(r) == std::vector<Range>{{50, 500}});
  CHECK(r.ready() == 0);  // nothing at the front yet
  CHECK(r.add(0, 50));
  CHECK(r.ready() == 500);
  CHECK(r.held_bytes() == 500);
  CHECK(r.check_invariants(500).ok());
  CHECK_FALSE(r.check_invariants(499).ok());  // a held octet outside the window
}

TEST_CASE("reassembly: the gaps of a new segment are where only the new parts go",
          "[reassembly]") {
  Reassembly r(8);
  r.add(10, 20);
  r.add(30, 40);
  std::vector<Range> gaps;
  r.for_each_gap(5, 45, [&](uint32_t b, uint32_t e) { gaps.push_back({b, e}); });
  CHECK(gaps == std::vector<Range>{{5, 10}, {20, 30}, {40, 45}});
  gaps.clear();
  r.for_each_gap(12, 18, [&](uint32_t b, uint32_t e) { gaps.push_back({b, e}); });
  CHECK(gaps.empty());  // a pure duplicate brings nothing new
  gaps.clear();
  r.for_each_gap(15, 35, [&](uint32_t b, uint32_t e) { gaps.push_back({b, e}); });
  CHECK(gaps == std::vector<Range>{{20, 30}});
}

TEST_CASE("reassembly: advancing RCV.NXT shifts offsets; truncation forgets the tail",
          "[reassembly]") {
  Reassembly r(8);
  r.add(0, 10);
  r.add(20, 30);
  r.add(40, 50);
  r.advance(10);  // the front range was delivered
  CHECK(ranges_of(r) == std::vector<Range>{{10, 20}, {30, 40}});
  r.advance(15);  // RCV.NXT lands inside a range: its head is gone
  CHECK(ranges_of(r) == std::vector<Range>{{0, 5}, {15, 25}});
  r.truncate(20);  // a FIN at offset 20: nothing held past it
  CHECK(ranges_of(r) == std::vector<Range>{{0, 5}, {15, 20}});
  r.truncate(15);
  CHECK(ranges_of(r) == std::vector<Range>{{0, 5}});
}

TEST_CASE("reassembly: at the limit the range furthest from RCV.NXT gives way", "[reassembly]") {
  Reassembly r(2);
  CHECK(r.add(100, 110));
  CHECK(r.add(200, 210));
  // A third range past both is the furthest: refused, nothing changes.
  CHECK_FALSE(r.add(300, 310));
  CHECK(ranges_of(r) == std::vector<Range>{{100, 110}, {200, 210}});
  // A third range nearer RCV.NXT is kept; the furthest held one is forgotten.
  CHECK(r.add(50, 60));
  CHECK(ranges_of(r) == std::vector<Range>{{50, 60}, {100, 110}});
  // Merging never needs room.
  CHECK(r.add(60, 100));
  CHECK(ranges_of(r) == std::vector<Range>{{50, 110}});
  // The front range is about to be delivered and is not counted.
  CHECK(r.add(200, 210));
  CHECK(r.add(0, 10));
  CHECK(ranges_of(r) == std::vector<Range>{{0, 10}, {50, 110}, {200, 210}});
  CHECK(r.check_invariants(1000).ok());
}

TEST_CASE("reassembly: with no ranges allowed only in-order octets pass", "[reassembly]") {
  Reassembly r(0);
  CHECK_FALSE(r.add(10, 20));
  CHECK(r.empty());
  CHECK(r.add(0, 20));
  CHECK(r.ready() == 20);
}

TEST_CASE("receive buffer: octets already held win over a later, different copy",
          "[reassembly][recv-buffer]") {
  // RFC 9293 3.10.7.4 processes "only the new parts" of a segment; the octets of
  // the first copy to arrive are the ones delivered.
  RecvBuffer buf(100, 4);
  const std::vector<uint8_t> first(10, 0xAA), second(30, 0xBB);
  buf.insert(10, first);               // offsets 10..19
  buf.insert(0, second);               // offsets 0..29: only 0..9 and 20..29 are new
  REQUIRE(buf.ready() == 30);
  buf.commit(30);
  std::vector<uint8_t> got(30);
  REQUIRE(buf.read(got) == 30);
  std::vector<uint8_t> want(30, 0xBB);
  std::fill(want.begin() + 10, want.begin() + 20, 0xAA);
  CHECK(got == want);
}

TEST_CASE("receive buffer: held octets survive the ring growing and wrapping",
          "[reassembly][recv-buffer]") {
  // The ring starts small and doubles; octets written past its tail must keep
  // their offsets through every growth and through reads that wrap the head.
  RecvBuffer buf(5000, 8);
  std::vector<uint8_t> stream(20000);
  for (size_t i = 0; i < stream.size(); ++i) stream[i] = stream_byte(i, 0);
  size_t front = 0;
  size_t read_pos = 0;
  for (int round = 0; round < 12; ++round) {
    const size_t w = buf.free_space();
    // A few octets in the middle of the window, then the rest of its back half
    // (the ring grows under the held octets), then the front half.
    const size_t half = w / 2;
    buf.insert(static_cast<uint32_t>(half),
               std::span<const uint8_t>(stream).subspan(front + half, 10));
    buf.insert(static_cast<uint32_t>(half + 10),
               std::span<const uint8_t>(stream).subspan(front + half + 10, w - half - 10));
    CHECK(buf.ready() == 0);
    buf.insert(0, std::span<const uint8_t>(stream).subspan(front, half));
    REQUIRE(buf.ready() == w);
    buf.commit(static_cast<uint32_t>(w));
    front += w;
    std::vector<uint8_t> got(w - w / 3);
    got.resize(buf.read(got));
    CHECK(std::equal(got.begin(), got.end(), stream.begin() + static_cast<long>(read_pos)));
    read_pos += got.size();
  }
}
