// The fuzzers' structure-aware mutator: what it makes is a scenario of bounded
// size, the same seed makes the same thing, and its moves reach what they are
// for (every op kind, the await-and-aim pairs with the header that gives an
// aimed SYN its meaning).
#include <catch2/catch.hpp>

#include <set>
#include <vector>

#include "fuzz/scenario_mutator.h"
#include "harness/scenario_binary.h"

using namespace synfin;
using namespace synfin::harness;

namespace {

// A stand-in for LLVMFuzzerMutate: flips one bit, chosen by the data itself.
size_t flip_one_bit(uint8_t* data, size_t size, size_t) {
  if (size > 0) data[data[0] % size] ^= 1;
  return size;
}

std::vector<uint8_t> start_scenario(Mode mode) {
  Scenario s;
  s.header.mode = mode;
  Op listen;
  listen.kind = OpKind::kListen;
  listen.host = mode == Mode::kConnection ? 1 : 0;
  Op connect;
  connect.kind = OpKind::kConnect;
  s.ops = {listen, connect};
  return encode_scenario(s);
}

}  // namespace

TEST_CASE("mutator: outputs fit the size bound and the same seed gives the same output",
          "[fuzz][mutator]") {
  for (Mode mode : {Mode::kEndpoint, Mode::kConnection}) {
    std::vector<uint8_t> x = start_scenario(mode);
    for (unsigned seed = 1; seed <= 2000; ++seed) {
      const std::vector<uint8_t> a = fuzz::mutate_scenario(x, 512, seed, mode, &flip_one_bit);
      const std::vector<uint8_t> b = fuzz::mutate_scenario(x, 512, seed, mode, &flip_one_bit);
      REQUIRE(a == b);
      REQUIRE(a.size() <= 512);
      x = a;
    }
  }
}

TEST_CASE("mutator: a chain of mutations reaches every op kind and aims SYNs after awaits",
          "[fuzz][mutator]") {
  const Mode mode = Mode::kConnection;
  std::set<OpKind> kinds;
  bool aimed_syn = false, aimed_syn_with_header = false;
  std::vector<uint8_t> x = start_scenario(mode);
  for (unsigned seed = 1; seed <= 20000; ++seed) {
    x = fuzz::mutate_scenario(x, 2048, seed, mode, &flip_one_bit);
    if (seed % 500 == 0) x = start_scenario(mode);  // restart now and then, as a corpus does
    const Scenario s = decode_scenario(x);
    for (size_t i = 0; i < s.ops.size(); ++i) {
      kinds.insert(s.ops[i].kind);
      if (i == 0 || s.ops[i - 1].kind != OpKind::kAwait || s.ops[i].kind != OpKind::kInject) continue;
      const InjectedSegment& g = s.ops[i].segment;
      if (!g.flags.syn() || g.seq_base != SeqBase::kRcvNxt) continue;
      aimed_syn = true;
      if (!s.header.config.rfc5961_syn ||
          s.header.config.time_wait_syn == TimeWaitSynPolicy::kReuseIfSeqGreater) {
        aimed_syn_with_header = true;
      }
    }
  }
  // Expectations belong to endpoint scripts; every other kind shows up.
  for (int k = 0; k < kNumOpKinds; ++k) {
    if (static_cast<OpKind>(k) == OpKind::kExpect) continue;
    INFO("op kind " << to_string(static_cast<OpKind>(k)));
    CHECK(kinds.count(static_cast<OpKind>(k)) == 1);
  }
  CHECK(aimed_syn);
  CHECK(aimed_syn_with_header);
}
