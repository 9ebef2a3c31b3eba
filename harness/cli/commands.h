// The synfin subcommands. Each returns the process exit code: 0 clean, 1 a
// violation or failed expectation, 2 bad input.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "harness/checked_run.h"
#include "harness/scenario.h"

namespace synfin::cli {

struct Flags {
  bool trace = false;
  std::string pcap, pcap_rx;
  std::string target = "as-is";
  bool oracles = true;
  std::string to, out;
  uint64_t seed = 1, runs = 100;
  std::string dot;
  bool png = false;
};

int cmd_run(const std::vector<std::string>& files, const Flags& flags);
int cmd_fmt(const std::vector<std::string>& files, const Flags& flags);
int cmd_soak(const std::vector<std::string>& files, const Flags& flags);
int cmd_coverage(const std::vector<std::string>& files, const Flags& flags);

// Shared by the commands: read a scenario file, text or binary.
struct LoadedScenario {
  harness::Scenario scenario;
  bool binary = false;
};
absl::StatusOr<LoadedScenario> load_scenario(const std::string& path, harness::Target target);
absl::StatusOr<harness::Target> parse_target(const std::string& name);
// Writes `bytes` to `path` atomically (temporary file, then rename).
absl::Status write_file_atomically(const std::string& path, const std::string& bytes);

}  // namespace synfin::cli
