// The checkers' (host, 4-tuple) records: map semantics whether a lookup scans the
// few entries a run usually has or goes through the index a wide run gets.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "harness/oracles/tuple_map.h"
#include "stack/ip.h"

using synfin::FourTuple;
using synfin::IpAddr;
using synfin::harness::TupleMap;

namespace {

FourTuple tuple(uint16_t local_port, uint16_t remote_port, uint8_t last_octet = 2) {
  return FourTuple{IpAddr::v4(10, 0, 0, 1), IpAddr::v4(10, 0, 0, last_octet), local_port,
                   remote_port};
}

}  // namespace

TEST_CASE("TupleMap: a value is made on first use and found after", "[oracle]") {
  TupleMap<std::string> m;
  CHECK(m.find(0, tuple(80, 4000)) == nullptr);
  m(0, tuple(80, 4000)) = "a";
  m(0, tuple(80, 4000)) += "b";
  REQUIRE(m.find(0, tuple(80, 4000)) != nullptr);
  CHECK(*m.find(0, tuple(80, 4000)) == "ab");
  // Every part of the key counts: host, either port, an address.
  CHECK(m.find(1, tuple(80, 4000)) == nullptr);
  CHECK(m.find(0, tuple(4000, 80)) == nullptr);
  CHECK(m.find(0, tuple(80, 4001)) == nullptr);
  CHECK(m.find(0, tuple(80, 4000, 3)) == nullptr);
  CHECK(m.size() == 1);
}

TEST_CASE("TupleMap: try_emplace keeps what is there and says so", "[oracle]") {
  TupleMap<int> m;
  auto [first, made] = m.try_emplace(1, tuple(80, 4000), 7);
  CHECK(made);
  CHECK(*first == 7);
  auto [again, made_again] = m.try_emplace(1, tuple(80, 4000), 9);
  CHECK_FALSE(made_again);
  CHECK(*again == 7);
}

TEST_CASE("TupleMap: lookups agree before and after the index takes over", "[oracle]") {
  TupleMap<int> m;
  // Far more keys than the scan handles, on two hosts, inserted in a scrambled
  // order; each is checked after every insertion, so both lookup paths and the
  // switch between them are covered.
  int inserted = 0;
  for (int i = 0; i < 200; ++i) {
    const uint16_t port = static_cast<uint16_t>((i * 37) % 200 + 1000);
    const int host = i % 2;
    m(host, tuple(80, port)) = i;
    ++inserted;
    for (int j = 0; j <= i; ++j) {
      const uint16_t pj = static_cast<uint16_t>((j * 37) % 200 + 1000);
      const int* v = m.find(j % 2, tuple(80, pj));
      REQUIRE(v != nullptr);
      REQUIRE(*v == j);
      REQUIRE(m.find(1 - j % 2, tuple(80, pj)) == nullptr);
    }
  }
  CHECK(m.size() == static_cast<size_t>(inserted));
  // An existing key is found through the index, not added twice.
  m(0, tuple(80, 1000)) += 1;
  CHECK(*m.find(0, tuple(80, 1000)) == 1);
  CHECK(m.size() == static_cast<size_t>(inserted));
}
