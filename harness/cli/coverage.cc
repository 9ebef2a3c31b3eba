// `synfin coverage`: which states and RFC transitions a corpus reaches.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include "absl/strings/str_format.h"
#include "harness/cli/commands.h"
#include "harness/transition_catalog.h"

namespace synfin::cli {
namespace {

class TransitionCounter final : public harness::RunObserver {
 public:
  std::map<harness::TransitionKey, uint64_t> transitions;
  uint64_t states[kNumStates] = {};

  void on_transition(int, ConnId, State from, State to, Cause cause, Instant) override {
    ++transitions[{from, to, cause}];
    ++states[static_cast<int>(to)];
  }
  void on_created(int, ConnId, ConnId parent, const FourTuple&, Instant) override {
    if (parent != kNoConn) ++states[static_cast<int>(State::kListen)];
  }
};

std::vector<std::string> expand(const std::vector<std::string>& args, std::string& error) {
  std::vector<std::string> files;
  for (const std::string& a : args) {
    std::error_code ec;
    if (std::filesystem::is_directory(a, ec)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(a)) {
        if (e.is_regular_file()) files.push_back(e.path().string());
      }
    } else if (std::filesystem::is_regular_file(a, ec)) {
      files.push_back(a);
    } else {
      error = a + ": no such file or directory";
      return {};
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string dot_graph(const TransitionCounter& c) {
  uint64_t most = 1;
  for (const auto& [k, n] : c.transitions) most = std::max(most, n);
  std::string out = "digraph tcp {\n  rankdir=TB;\n  node [shape=box, style=rounded];\n";
  for (int s = 0; s < kNumStates; ++s) {
    const bool hit = c.states[s] > 0;
    absl::StrAppendFormat(&out, "  \"%s\" [color=%s];\n", to_string(static_cast<State>(s)),
                          hit ? "black" : "red");
  }
  for (const harness::TransitionKey& k : harness::rfc_transitions()) {
    auto it = c.transitions.find(k);
    const uint64_t n = it == c.transitions.end() ? 0 : it->second;
    const double w = n == 0 ? 1.0 : 1.0 + 5.0 * static_cast<double>(n) / static_cast<double>(most);
    absl::StrAppendFormat(&out, "  \"%s\" -> \"%s\" [label=\"%s (%d)\", penwidth=%.2f, color=%s%s];\n",
                          to_string(k.from), to_string(k.to), to_string(k.cause), n, w,
                          n == 0 ? "red" : "darkgreen", n == 0 ? ", style=dashed" : "");
  }
  out += "}\n";
  return out;
}

}  // namespace

int cmd_coverage(const std::vector<std::string>& args, const Flags& flags) {
  auto target = parse_target(flags.target);
  if (!target.ok()) {
    std::fprintf(stderr, "synfin coverage: %s\n", std::string(target.status().message()).c_str());
    return 2;
  }
  std::string error;
  const std::vector<std::string> files = expand(args, error);
  if (!error.empty() || files.empty()) {
    std::fprintf(stderr, "synfin coverage: %s\n", error.empty() ? "no inputs" : error.c_str());
    return 2;
  }
  TransitionCounter counter;
  size_t bad = 0;
  for (const std::string& f : files) {
    auto l = load_scenario(f, *target);
    if (!l.ok()) {
      ++bad;
      std::fprintf(stderr, "%s\n", std::string(l.status().message()).c_str());
      continue;
    }
    harness::CheckedRunOptions options;
    options.oracles = false;
    options.observers.push_back(&counter);
    harness::run_checked(l->scenario, options);
  }
  int states_hit = 0;
  std::printf("states (%zu inputs):\n", files.size() - bad);
  for (int s = 0; s < kNumStates; ++s) {
    states_hit += counter.states[s] > 0;
    std::printf("  %-13s %10llu%s\n", to_string(static_cast<State>(s)),
                static_cast<unsigned long long>(counter.states[s]),
                counter.states[s] ? "" : "   NEVER REACHED");
  }
  size_t reached = 0;
  std::printf("RFC transitions:\n");
  for (const harness::TransitionKey& k : harness::rfc_transitions()) {
    auto it = counter.transitions.find(k);
    const uint64_t n = it == counter.transitions.end() ? 0 : it->second;
    reached += n > 0;
    std::printf("  %-13s -> %-13s %-18s %10llu%s\n", to_string(k.from), to_string(k.to),
                to_string(k.cause), static_cast<unsigned long long>(n), n ? "" : "   never");
  }
  const size_t total = harness::rfc_transitions().size();
  for (const auto& [k, n] : counter.transitions) {
    if (!std::binary_search(harness::rfc_transitions().begin(), harness::rfc_transitions().end(), k) &&
        std::find(harness::rfc_transitions().begin(), harness::rfc_transitions().end(), k) ==
            harness::rfc_transitions().end()) {
      std::printf("  outside the catalogue: %s -> %s (%s) x%llu\n", to_string(k.from),
                  to_string(k.to), to_string(k.cause), static_cast<unsigned long long>(n));
    }
  }
  std::printf("summary: %d/%d states, %zu/%zu RFC transitions (%.1f%%)\n", states_hit, kNumStates,
              reached, total, 100.0 * static_cast<double>(reached) / static_cast<double>(total));
  if (!flags.dot.empty()) {
    absl::Status st = write_file_atomically(flags.dot, dot_graph(counter));
    if (!st.ok()) {
      std::fprintf(stderr, "synfin coverage: %s\n", std::string(st.message()).c_str());
      return 2;
    }
    if (flags.png) {
      const std::string png = flags.dot + ".png";
      const std::string cmd = "dot -Tpng -o '" + png + "' '" + flags.dot + "'";
      if (std::system(cmd.c_str()) != 0) {
        std::fprintf(stderr, "synfin coverage: rendering with Graphviz failed (is `dot` installed?)\n");
        return 2;
      }
      std::printf("wrote %s and %s\n", flags.dot.c_str(), png.c_str());
    }
  }
  return bad ? 2 : 0;
}

}  // namespace synfin::cli
