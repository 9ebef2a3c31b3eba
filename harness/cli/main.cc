// synfin: run, convert and soak scenarios; see `synfin help`.
//
// Exit codes: 0 clean; 1 an oracle violation or failed expectation; 2 bad input
// (a message names the file and, for text, line and column).
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "harness/cli/commands.h"
#include "harness/cli/pcap2corpus.h"
#include "harness/cli/pd.h"

ABSL_FLAG(bool, trace, false, "run: print the timeline of each run");
ABSL_FLAG(std::string, pcap, "", "run: write the packets as sent (sender's view) to this pcap");
ABSL_FLAG(std::string, pcap_rx, "", "run: write the packets as received (after faults) to this pcap");
ABSL_FLAG(std::string, target, "as-is",
          "run/coverage: read binary inputs as a fuzz target does: as-is, endpoint, connection");
ABSL_FLAG(bool, oracles, true, "run/soak: check every invariant (--nooracles to turn off)");
ABSL_FLAG(std::string, to, "", "fmt: output form, text or binary (default: the other form)");
ABSL_FLAG(std::string, o, "", "fmt: output file (default: standard output)");
ABSL_FLAG(uint64_t, seed, 1, "soak: first seed");
ABSL_FLAG(uint64_t, runs, 100, "soak: number of seeds to run");
ABSL_FLAG(std::string, dot, "", "coverage: write the state diagram, edges weighted by hits, here");
ABSL_FLAG(bool, png, false, "coverage: also render the --dot file to PNG with Graphviz");

namespace {

struct Command {
  const char* name;
  const char* usage;
  int (*run)(const std::vector<std::string>& args, const synfin::cli::Flags& flags);
};

const Command kCommands[] = {
    {"run",
     "synfin run FILE... [--trace] [--pcap OUT] [--pcap_rx OUT] [--target as-is|endpoint|connection]\n"
     "  Runs scenario files (text or binary, detected) with every oracle on. Exit 0 when every\n"
     "  run is clean, 1 on a violation or failed expectation, 2 on bad input.",
     synfin::cli::cmd_run},
    {"fmt",
     "synfin fmt FILE [--to text|binary] [--o OUT] [--target as-is|endpoint|connection]\n"
     "  Converts a scenario between its binary and text forms (text is printed canonically).\n"
     "  --target shows a binary input as that fuzz target runs it (its mode, no expectations).",
     synfin::cli::cmd_fmt},
    {"soak",
     "synfin soak [--seed N] [--runs M]\n"
     "  Runs M random lifecycle scenarios with seeded fault mixes, seeds N..N+M-1; prints\n"
     "  progress and a summary; each failing seed is printed with the command that replays it.",
     synfin::cli::cmd_soak},
    {"coverage",
     "synfin coverage DIR_OR_FILE... [--target ...] [--dot FILE] [--png]\n"
     "  Replays a corpus and reports which of the 11 states and which RFC 9293 transitions\n"
     "  (from, to, cause) were reached, how often, and which never were.",
     synfin::cli::cmd_coverage},
    {"pd", synfin::cli::kPdUsage, synfin::cli::cmd_pd},
    {"pcap2corpus", synfin::cli::kPcap2corpusUsage, synfin::cli::cmd_pcap2corpus},
};

void print_help() {
  std::printf("synfin: a deterministic TCP stack, simulator and oracles\n\nCommands:\n");
  for (const Command& c : kCommands) std::printf("\n%s\n", c.usage);
  std::printf("\n`synfin COMMAND --help` shows one command's flags.\n");
}

// Flags are declared with underscores (absl's rule); `--keep-going` and
// `--keep_going` are the same flag, so the dashed spelling users type (and
// the issue tracker's docs use) works too. Only the name is rewritten, never
// the value after '=', and never a positional argument or the `--` marker.
std::string underscore_flag_name(const char* arg) {
  std::string a(arg);
  if (a.size() < 3 || a[0] != '-' || a[1] != '-') return a;
  const size_t end = std::min(a.find('='), a.size());
  for (size_t i = 2; i < end; ++i) {
    if (a[i] == '-') a[i] = '_';
  }
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "help") || !std::strcmp(argv[1], "--help") ||
      !std::strcmp(argv[1], "-h")) {
    print_help();
    return argc < 2 ? 2 : 0;
  }
  const Command* cmd = nullptr;
  for (const Command& c : kCommands) {
    if (!std::strcmp(argv[1], c.name)) cmd = &c;
  }
  if (!cmd) {
    std::fprintf(stderr, "synfin: unknown command '%s' (try `synfin help`)\n", argv[1]);
    return 2;
  }
  for (int i = 2; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
      std::printf("%s\n", cmd->usage);
      return 0;
    }
  }
  absl::SetProgramUsageMessage(cmd->usage);
  // absl parses the flags; argv[0] stands in for the command word.
  std::vector<std::string> spelled;
  spelled.reserve(static_cast<size_t>(argc));
  bool positional_only = false;  // after a bare `--`
  for (int i = 1; i < argc; ++i) {
    spelled.push_back(positional_only ? std::string(argv[i]) : underscore_flag_name(argv[i]));
    positional_only |= !std::strcmp(argv[i], "--");
  }
  std::vector<char*> args;
  for (std::string& a : spelled) args.push_back(a.data());
  std::vector<char*> positional = absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
  std::vector<std::string> files;
  for (size_t i = 1; i < positional.size(); ++i) files.emplace_back(positional[i]);

  synfin::cli::Flags flags;
  flags.trace = absl::GetFlag(FLAGS_trace);
  flags.pcap = absl::GetFlag(FLAGS_pcap);
  flags.pcap_rx = absl::GetFlag(FLAGS_pcap_rx);
  flags.target = absl::GetFlag(FLAGS_target);
  flags.oracles = absl::GetFlag(FLAGS_oracles);
  flags.to = absl::GetFlag(FLAGS_to);
  flags.out = absl::GetFlag(FLAGS_o);
  flags.seed = absl::GetFlag(FLAGS_seed);
  flags.runs = absl::GetFlag(FLAGS_runs);
  flags.dot = absl::GetFlag(FLAGS_dot);
  flags.png = absl::GetFlag(FLAGS_png);
  return cmd->run(files, flags);
}
