// The arena OracleSet builds its checkers in: objects get their own aligned,
// non-overlapping memory, in the buffer while it lasts and from the heap after.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "harness/oracles/checker_arena.h"
#include "harness/oracles/oracle.h"

using synfin::harness::CheckerArena;

namespace {

struct alignas(16) Wide {
  explicit Wide(int v) : value(v) {}
  int value;
  char pad[200];
};

struct Counted {
  explicit Counted(int* live) : live_(live) { ++*live_; }
  ~Counted() { --*live_; }
  int* live_;
  std::string text = std::string(100, 'x');  // owns heap memory of its own
};

}  // namespace

TEST_CASE("CheckerArena: objects are aligned, distinct and keep their values", "[oracle]") {
  CheckerArena arena;
  std::vector<Wide*> made;
  for (int i = 0; i < 20; ++i) {
    arena.make<char>('a');  // knock the next slot off alignment
    made.push_back(arena.make<Wide>(i));
  }
  for (int i = 0; i < 20; ++i) {
    CHECK(reinterpret_cast<uintptr_t>(made[i]) % 16 == 0);
    CHECK(made[i]->value == i);
    if (i > 0) CHECK(reinterpret_cast<char*>(made[i]) >= reinterpret_cast<char*>(made[i - 1]) + sizeof(Wide));
  }
  CHECK(arena.overflowed() == 0);
  CHECK(arena.used() >= 20 * sizeof(Wide));
}

TEST_CASE("CheckerArena: past its buffer it takes memory from the heap", "[oracle]") {
  CheckerArena arena;
  const size_t fits = CheckerArena::capacity() / sizeof(Wide);
  std::vector<Wide*> made;
  for (size_t i = 0; i < fits + 5; ++i) made.push_back(arena.make<Wide>(static_cast<int>(i)));
  CHECK(arena.overflowed() == 5);
  for (size_t i = 0; i < made.size(); ++i) {
    CHECK(made[i]->value == static_cast<int>(i));
    CHECK(reinterpret_cast<uintptr_t>(made[i]) % alignof(Wide) == 0);
  }
}

TEST_CASE("CheckerArena: the caller runs destructors; the memory goes with the arena", "[oracle]") {
  int live = 0;
  {
    CheckerArena arena;
    Counted* a = arena.make<Counted>(&live);
    Counted* b = arena.make<Counted>(&live);
    CHECK(live == 2);
    a->~Counted();
    b->~Counted();
    CHECK(live == 0);
  }
  CHECK(live == 0);
}

TEST_CASE("OracleSet: its six checkers fit in its own buffer", "[oracle]") {
  synfin::harness::ScenarioHeader header;
  for (auto mode : {synfin::harness::Mode::kEndpoint, synfin::harness::Mode::kConnection}) {
    header.mode = mode;
    synfin::harness::OracleSet set(header, nullptr);
    CHECK(set.checker_count() == 6);
    CHECK(set.checkers_in_place());
  }
}
