// The checkers' per-connection table: map semantics over (host, id), iteration in
// (host, id) order, records reset when erased and re-created.
#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "harness/oracles/conn_table.h"

using synfin::ConnId;
using synfin::harness::ConnTable;

namespace {

struct Record {
  int hits = 0;
  std::string note;
};

std::vector<std::pair<int, ConnId>> keys_of(ConnTable<Record>& t) {
  std::vector<std::pair<int, ConnId>> keys;
  t.for_each([&](int h, ConnId id, Record&) { keys.emplace_back(h, id); });
  return keys;
}

}  // namespace

TEST_CASE("ConnTable: a record is created on first use and found after", "[oracle]") {
  ConnTable<Record> t;
  CHECK(t.find(0, 3) == nullptr);
  CHECK_FALSE(t.contains(0, 3));
  t(0, 3).hits = 2;
  t(0, 3).hits += 1;
  REQUIRE(t.find(0, 3) != nullptr);
  CHECK(t.find(0, 3)->hits == 3);
  CHECK(t.find(1, 3) == nullptr);  // hosts are separate
  CHECK(t.find(0, 2) == nullptr);  // the gap below is not a record
  CHECK(t.find(-1, 3) == nullptr);
  CHECK(t.find(7, 3) == nullptr);
}

TEST_CASE("ConnTable: erase drops the record and a new one starts afresh", "[oracle]") {
  ConnTable<Record> t;
  t(1, 5) = Record{4, "old"};
  CHECK(t.erase(1, 5));
  CHECK_FALSE(t.erase(1, 5));
  CHECK(t.find(1, 5) == nullptr);
  const Record& again = t(1, 5);
  CHECK(again.hits == 0);
  CHECK(again.note.empty());
}

TEST_CASE("ConnTable: iteration is by host, then id, skipping erased records", "[oracle]") {
  ConnTable<Record> t;
  for (auto [h, id] : std::vector<std::pair<int, ConnId>>{{1, 2}, {0, 9}, {1, 1}, {0, 4}, {0, 40}}) {
    t(h, id).hits = 1;
  }
  t.erase(0, 9);
  using Keys = std::vector<std::pair<int, ConnId>>;
  CHECK(keys_of(t) == Keys{{0, 4}, {0, 40}, {1, 1}, {1, 2}});
  CHECK(t.host_limit() == 2);
  CHECK(t.id_limit(0) > 40);
  CHECK(t.id_limit(5) == 0);
}

TEST_CASE("ConnTable: records survive the growth other creations cause", "[oracle]") {
  ConnTable<Record> t;
  t(0, 1).note = "first";
  for (ConnId id = 2; id < 500; ++id) t(0, id).hits = static_cast<int>(id);
  REQUIRE(t.find(0, 1) != nullptr);
  CHECK(t.find(0, 1)->note == "first");
  CHECK(t.find(0, 499)->hits == 499);
  // Past the two hosts a run has, the table spills to the heap like past the ids.
  t(4, 3).note = "far host";
  CHECK(t.find(0, 1)->note == "first");
  CHECK(t.find(4, 3)->note == "far host");
  CHECK(t.find(3, 3) == nullptr);
  CHECK(t.host_limit() == 5);
}

TEST_CASE("ConnTable: fresh gives a default record, even over an existing one", "[oracle]") {
  ConnTable<Record> t;
  t.fresh(0, 2).hits = 5;
  CHECK(t.find(0, 2)->hits == 5);
  t(0, 2).note = "kept";
  const Record& again = t.fresh(0, 2);
  CHECK(again.hits == 0);
  CHECK(again.note.empty());
}
