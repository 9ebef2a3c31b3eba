#include "harness/link.h"

#include <algorithm>

namespace synfin::harness {
namespace {

// How long a reordered frame may be held when fewer later frames come by.
constexpr Duration kMaxReorderHold = Duration::millis(200);

void report_fault(const LinkContext& ctx, FaultKind kind, uint64_t param, Instant now) {
  if (ctx.observer) ctx.observer->on_fault(ctx.from_host, kind, param, now);
}

// Applies one fault to a frame and passes on what survives. Shared by the
// scripted and the random stages, so a fault means the same thing either way.
class FaultApplier {
 public:
  explicit FaultApplier(const LinkContext& ctx) : ctx_(ctx) {}
  const LinkContext& context() const { return ctx_; }

  struct Held {
    Frame frame;
    uint64_t remaining;  // later frames still to pass before release
    Instant release_by;
  };

  void apply(FaultKind kind, uint64_t param, Frame&& f, FrameSink* next, std::deque<Held>& held) {
    const Instant now = ctx_.now(f.at);
    report_fault(ctx_, kind, param, now);
    switch (kind) {
      case FaultKind::kDrop:
        return;
      case FaultKind::kDuplicate: {
        Frame copy{f.at + Duration{static_cast<int64_t>(param)}, f.bytes};
        next->accept(std::move(f));
        next->accept(std::move(copy));
        return;
      }
      case FaultKind::kDelay:
        f.at = f.at + Duration{static_cast<int64_t>(param)};
        next->accept(std::move(f));
        return;
      case FaultKind::kReorder: {
        const Instant release_by = f.at + kMaxReorderHold;
        held.push_back(Held{std::move(f), std::max<uint64_t>(param, 1), release_by});
        return;
      }
      case FaultKind::kCorrupt:
        if (!f.bytes.empty()) {
          const uint64_t bit = param % (f.bytes.size() * 8);
          f.bytes[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
        }
        next->accept(std::move(f));
        return;
      case FaultKind::kTruncate:
        if (!f.bytes.empty()) f.bytes.resize(param % f.bytes.size());
        next->accept(std::move(f));
        return;
    }
  }

 private:
  LinkContext ctx_;
};

// Holds reordered frames until enough later frames have passed (or the hold
// time runs out), then lets them follow.
class ReorderBuffer {
 public:
  std::deque<FaultApplier::Held> held;

  // A later frame passed: count it against the frames held before it arrived
  // (the first `held_before`), then release the due ones after it.
  void after_frame(Instant now, FrameSink* next, size_t held_before) {
    for (size_t i = 0; i < held_before && i < held.size(); ++i) {
      if (held[i].remaining > 0) --held[i].remaining;
    }
    release(now, next, /*all=*/false);
  }
  void release(Instant now, FrameSink* next, bool all) {
    while (!held.empty()) {
      auto it = std::find_if(held.begin(), held.end(), [&](const FaultApplier::Held& h) {
        return all || h.remaining == 0 || h.release_by <= now;
      });
      if (it == held.end()) break;
      Frame f = std::move(it->frame);
      f.at = std::max(f.at, now);
      held.erase(it);
      next->accept(std::move(f));
    }
  }
  std::optional<Instant> next_deadline() const {
    std::optional<Instant> best;
    for (const auto& h : held) {
      if (!best || h.release_by < *best) best = h.release_by;
    }
    return best;
  }
};

}  // namespace

// The scenario's explicit faults, each applied to the next frame in order.
class ScriptedFaults final : public LinkStage {
 public:
  explicit ScriptedFaults(const LinkContext& ctx) : applier_(ctx) {}
  void add(FaultKind kind, uint64_t param) { pending_.push_back({kind, param}); }
  void accept(Frame&& f) override {
    const Instant now = applier_.context().now(f.at);
    const size_t held_before = reorder_.held.size();
    if (pending_.empty()) {
      next_->accept(std::move(f));
    } else {
      auto [kind, param] = pending_.front();
      pending_.pop_front();
      applier_.apply(kind, param, std::move(f), next_, reorder_.held);
    }
    reorder_.after_frame(now, next_, held_before);
  }
  std::optional<Instant> next_deadline() const override { return reorder_.next_deadline(); }
  void on_timer(Instant now) override { reorder_.release(now, next_, false); }
  void calm() override { pending_.clear(); }

 private:
  FaultApplier applier_;
  std::deque<std::pair<FaultKind, uint64_t>> pending_;
  ReorderBuffer reorder_;
};

// Drops everything while a partition lasts.
class Partition final : public LinkStage {
 public:
  explicit Partition(const LinkContext& ctx) : ctx_(ctx) {}
  void until(Instant end) { end_ = std::max(end_, end); }
  void accept(Frame&& f) override {
    // A frame put on the link while the partition lasts is lost, whatever delay
    // an earlier fault gave it.
    const Instant now = ctx_.now(f.at);
    if (now < end_) {
      if (ctx_.observer) ctx_.observer->on_link_drop(ctx_.from_host, "partition", now);
      return;
    }
    next_->accept(std::move(f));
  }
  void calm() override { end_ = Instant{}; }

 private:
  LinkContext ctx_;
  Instant end_;
};

// Per-packet random faults with the scenario's (or the seed's) probabilities.
class RandomFaults final : public LinkStage {
 public:
  RandomFaults(const LinkContext& ctx, const FaultMix& mix, uint64_t seed)
      : applier_(ctx), mix_(mix), rng_(seed) {}
  void accept(Frame&& f) override {
    const Instant now = applier_.context().now(f.at);
    const size_t held_before = reorder_.held.size();
    std::optional<std::pair<FaultKind, uint64_t>> fault;
    if (!calm_ && !mix_.empty()) {
      // One draw per fault kind, in a fixed order, so the stream of draws (and so
      // the run) depends only on the seed and the packets.
      if (rng_.chance(mix_.drop)) fault = {FaultKind::kDrop, 0};
      else if (rng_.chance(mix_.corrupt)) fault = {FaultKind::kCorrupt, rng_.next() & 0xffff};
      else if (rng_.chance(mix_.truncate)) fault = {FaultKind::kTruncate, rng_.next() & 0xffff};
      else if (rng_.chance(mix_.duplicate)) fault = {FaultKind::kDuplicate, rng_.below(20000)};
      else if (rng_.chance(mix_.reorder)) fault = {FaultKind::kReorder, 1 + rng_.below(3)};
    }
    if (fault) {
      applier_.apply(fault->first, fault->second, std::move(f), next_, reorder_.held);
    } else {
      next_->accept(std::move(f));
    }
    reorder_.after_frame(now, next_, held_before);
  }
  std::optional<Instant> next_deadline() const override { return reorder_.next_deadline(); }
  void on_timer(Instant now) override { reorder_.release(now, next_, false); }
  void calm() override { calm_ = true; }

 private:
  FaultApplier applier_;
  FaultMix mix_;
  Rng rng_;
  ReorderBuffer reorder_;
  bool calm_ = false;
};

// Drops IP packets larger than the MTU (synfin's hosts set DF; nothing fragments).
class Mtu final : public LinkStage {
 public:
  Mtu(const LinkContext& ctx, uint32_t mtu) : ctx_(ctx), mtu_(mtu) {}
  void accept(Frame&& f) override {
    if (mtu_ != 0 && f.bytes.size() > mtu_) {
      if (ctx_.observer) ctx_.observer->on_link_drop(ctx_.from_host, "mtu", ctx_.now(f.at));
      return;
    }
    next_->accept(std::move(f));
  }

 private:
  LinkContext ctx_;
  uint32_t mtu_;
};

// A sender-side queue drained at the link's bandwidth; past its length, tail drop.
class Bottleneck final : public LinkStage {
 public:
  Bottleneck(const LinkContext& ctx, uint32_t kbps, uint32_t queue)
      : ctx_(ctx), kbps_(kbps), queue_(queue) {}
  void accept(Frame&& f) override {
    if (kbps_ == 0) {
      next_->accept(std::move(f));
      return;
    }
    // Frames still queued are those whose transmission ends after this one arrives.
    while (!departures_.empty() && departures_.front() <= f.at) departures_.pop_front();
    if (queue_ != 0 && departures_.size() >= queue_) {
      if (ctx_.observer) ctx_.observer->on_link_drop(ctx_.from_host, "queue", ctx_.now(f.at));
      return;
    }
    const Duration tx{static_cast<int64_t>(f.bytes.size()) * 8 * 1000 / kbps_};
    const Instant start = std::max(f.at, busy_until_);
    busy_until_ = start + tx;
    departures_.push_back(busy_until_);
    f.at = busy_until_;
    next_->accept(std::move(f));
  }

 private:
  LinkContext ctx_;
  uint32_t kbps_;
  uint32_t queue_;
  Instant busy_until_;
  std::deque<Instant> departures_;
};

// Propagation delay plus seeded jitter.
class Delay final : public LinkStage {
 public:
  Delay(Duration delay, Duration jitter, uint64_t seed) : delay_(delay), jitter_(jitter), rng_(seed) {}
  void accept(Frame&& f) override {
    f.at = f.at + delay_;
    if (jitter_.us > 0) f.at = f.at + Duration{static_cast<int64_t>(rng_.below(jitter_.us + 1))};
    next_->accept(std::move(f));
  }

 private:
  Duration delay_, jitter_;
  Rng rng_;
};

Link::Link(const LinkSettings& s, uint64_t seed, const LinkContext& ctx, FrameSink* out) {
  auto scripted = std::make_unique<ScriptedFaults>(ctx);
  scripted_ = scripted.get();
  auto partition = std::make_unique<Partition>(ctx);
  partition_ = partition.get();
  stages_.push_back(std::move(scripted));
  stages_.push_back(std::move(partition));
  stages_.push_back(std::make_unique<RandomFaults>(ctx, s.mix, derive_seed(seed, 1)));
  stages_.push_back(std::make_unique<Mtu>(ctx, s.mtu));
  stages_.push_back(std::make_unique<Bottleneck>(ctx, s.bandwidth_kbps, s.queue_packets));
  stages_.push_back(std::make_unique<Delay>(s.delay, s.jitter, derive_seed(seed, 2)));
  for (size_t i = 0; i + 1 < stages_.size(); ++i) stages_[i]->set_next(stages_[i + 1].get());
  stages_.back()->set_next(out);
}

Link::~Link() = default;

void Link::transmit(Instant now, std::vector<uint8_t>&& bytes) {
  stages_.front()->accept(Frame{now, std::move(bytes)});
}

void Link::add_scripted_fault(FaultKind kind, uint64_t param) { scripted_->add(kind, param); }

void Link::partition_until(Instant end) { partition_->until(end); }

std::optional<Instant> Link::next_deadline() const {
  std::optional<Instant> best;
  for (const auto& s : stages_) {
    auto d = s->next_deadline();
    if (d && (!best || *d < *best)) best = d;
  }
  return best;
}

void Link::on_timer(Instant now) {
  for (auto& s : stages_) {
    auto d = s->next_deadline();
    if (d && *d <= now) s->on_timer(now);
  }
}

void Link::calm() {
  for (auto& s : stages_) s->calm();
}

}  // namespace synfin::harness
