// The observer fan-out: each event reaches exactly the observers that handle it,
// in the order they joined, and an observer's handled set is read off the
// handlers it declares.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "harness/run_observer.h"

using namespace synfin;
using namespace synfin::harness;

namespace {

// Records "<name>:<event>" for every event it is handed, whatever it declares.
class Recorder : public RunObserver {
 public:
  Recorder(std::string name, std::vector<std::string>* log) : name_(std::move(name)), log_(log) {}
  void on_transition(int, ConnId, State, State, Cause, Instant) override { note("transition"); }
  void on_wire_send(int, std::span<const uint8_t>, Instant) override { note("wire_send"); }
  void on_run_end(Instant) override { note("run_end"); }

 protected:
  void note(const char* event) { log_->push_back(name_ + ":" + event); }

 private:
  std::string name_;
  std::vector<std::string>* log_;
};

// Declares one handler and inherits Recorder's three.
class Derived final : public Recorder {
 public:
  using Recorder::Recorder;
  void on_deliver(int, ConnId, std::span<const uint8_t>, Instant) override { note("deliver"); }
};

// Claims to handle nothing but still implements handlers: the list must not call them.
class DeclaresNothing final : public Recorder {
 public:
  using Recorder::Recorder;
  uint32_t handled_events() const override { return 0; }
};

struct Declared final : RunObserver {
  void on_segment_out(int, ConnId, const FourTuple&, const Segment&, const TcbSnapshot&,
                      Instant) override {}
  void on_inject(int, const IpPacket&, Instant) override {}
};

void fire_three(RunObserver& o) {
  o.on_transition(0, 1, State::kClosed, State::kSynSent, Cause::kUserConnect, Instant{});
  o.on_wire_send(0, {}, Instant{});
  o.on_run_end(Instant{});
}

}  // namespace

TEST_CASE("events_overridden_by: the handlers a class declares, and no others", "[harness]") {
  CHECK(events_overridden_by<Declared>() == (kEvSegmentOut | kEvInject));
  CHECK(events_overridden_by<Recorder>() == (kEvTransition | kEvWireSend | kEvRunEnd));
  // Handlers inherited from a class between T and RunObserver are T's too.
  CHECK(events_overridden_by<Derived>() ==
        (kEvTransition | kEvWireSend | kEvRunEnd | kEvDeliver));
  CHECK(events_overridden_by<RunObserver>() == 0);
}

TEST_CASE("RunObserverList: an event reaches only the observers that handle it, in order",
          "[harness]") {
  std::vector<std::string> log;
  Recorder all("all", &log);
  DeclaresNothing none("none", &log);
  struct OnlyRunEnd final : Recorder {
    using Recorder::Recorder;
    uint32_t handled_events() const override { return kEvRunEnd; }
  } end_only("end", &log);
  Recorder all_again("again", &log);

  RunObserverList list;
  list.add(&all);
  list.add(nullptr);  // skipped
  list.add(&none);
  list.add(&end_only);
  list.add(&all_again);
  fire_three(list);

  CHECK(log == std::vector<std::string>{"all:transition", "again:transition", "all:wire_send",
                                        "again:wire_send", "all:run_end", "end:run_end",
                                        "again:run_end"});
}

TEST_CASE("RunObserverList: a list handles what its members handle", "[harness]") {
  std::vector<std::string> log;
  struct OnlyWire final : Recorder {
    using Recorder::Recorder;
    uint32_t handled_events() const override { return kEvWireSend; }
  } wire("wire", &log);
  RunObserverList inner;
  CHECK(inner.handled_events() == 0);
  inner.add(&wire);
  CHECK(inner.handled_events() == kEvWireSend);

  // Nested: the outer list passes the inner one only what it handles.
  RunObserverList outer;
  outer.add(&inner);
  fire_three(outer);
  CHECK(log == std::vector<std::string>{"wire:wire_send"});
}
