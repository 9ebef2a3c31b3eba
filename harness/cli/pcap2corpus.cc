// synfin pcap2corpus: fuzz seeds from captures of real traffic. Each TCP flow of
// each capture becomes an endpoint and a connection scenario
// (harness/capture_scenarios.h), written as binary corpus files named by content
// hash (and as text with --text).
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "harness/capture_import.h"
#include "harness/cli/pcap2corpus.h"
#include "harness/corpus_files.h"
#include "harness/pcap_import.h"
#include "harness/scenario_binary.h"
#include "harness/scenario_text.h"

ABSL_FLAG(bool, text, false, "pcap2corpus: also write each scenario as text (<hash>.txt)");
ABSL_FLAG(bool, keep_going, false,
          "pcap2corpus: convert what was read before damage in a capture, and go on with the "
          "next capture (the exit code still reports the damage)");
ABSL_FLAG(uint64_t, max_bytes, 0,
          "pcap2corpus: cut each scenario after its last op that fits in this many bytes "
          "(a fuzz target's max_len); 0: no limit");

namespace synfin::cli {
namespace {

struct Output {
  harness::Target target;
  std::string dir;
};

struct Totals {
  harness::ImportStats stats;
  uint64_t captures = 0, written = 0, present = 0;
};

std::string endpoint_text(const IpAddr& a, uint16_t port) {
  return a.family == IpFamily::kV6 ? absl::StrCat("[", a.to_string(), "]:", port)
                                   : absl::StrCat(a.to_string(), ":", port);
}

// Writes one scenario in binary (and text); returns the binary file's name.
absl::StatusOr<std::string> write_scenario(const harness::Scenario& s, const std::string& dir,
                                           size_t max_bytes, bool text, Totals& totals) {
  const std::vector<uint8_t> bytes = harness::encode_within(s, max_bytes);
  const std::string name = harness::content_name(bytes);
  absl::StatusOr<bool> fresh = harness::write_corpus_file(dir, name, bytes);
  if (!fresh.ok()) return fresh.status();
  ++(*fresh ? totals.written : totals.present);
  if (text) {
    // The text of what was written: a cut scenario prints as the cut one.
    const harness::Scenario written = harness::decode_scenario(bytes);
    if (absl::Status st = harness::check_text_representable(written); !st.ok()) {
      return absl::InternalError(absl::StrCat(name, ": no text form: ", st.message()));
    }
    const std::string t = harness::print_scenario_text(written);
    absl::StatusOr<bool> fresh_text = harness::write_corpus_file(
        dir, name + ".txt", std::span(reinterpret_cast<const uint8_t*>(t.data()), t.size()));
    if (!fresh_text.ok()) return fresh_text.status();
    ++(*fresh_text ? totals.written : totals.present);
  }
  return name;
}

void print_summary(const Totals& t) {
  const harness::ImportStats& s = t.stats;
  std::printf("summary: %llu captures, %llu records, %llu flows, %llu segments\n",
              static_cast<unsigned long long>(t.captures),
              static_cast<unsigned long long>(s.records), static_cast<unsigned long long>(s.flows),
              static_cast<unsigned long long>(s.segments));
  std::printf("  skipped packets: %llu\n", static_cast<unsigned long long>(s.skipped_total()));
  for (int r = 0; r < harness::kNumSkipReasons; ++r) {
    if (s.skipped[r] == 0) continue;
    std::printf("    %s: %llu\n", harness::to_string(static_cast<harness::SkipReason>(r)),
                static_cast<unsigned long long>(s.skipped[r]));
  }
  std::printf("  checksums recomputed (offload): %llu\n",
              static_cast<unsigned long long>(s.checksums_fixed));
  std::printf("  packets cut short, used with their stated length: %llu\n",
              static_cast<unsigned long long>(s.cut_salvaged));
  std::printf("  files written: %llu (%llu already present)\n",
              static_cast<unsigned long long>(t.written),
              static_cast<unsigned long long>(t.present));
}

}  // namespace

int cmd_pcap2corpus(const std::vector<std::string>& captures, const Flags& flags) {
  if (captures.empty() || flags.out.empty()) {
    std::fprintf(stderr, "synfin pcap2corpus: expected CAPTURE... and --o DIR\n");
    return 2;
  }
  std::vector<Output> outputs;
  if (flags.target == "endpoint") {
    outputs.push_back({harness::Target::kEndpoint, flags.out});
  } else if (flags.target == "connection") {
    outputs.push_back({harness::Target::kConnection, flags.out});
  } else if (flags.target == "as-is") {  // the default: both forms, apart
    outputs.push_back({harness::Target::kEndpoint, flags.out + "/endpoint"});
    outputs.push_back({harness::Target::kConnection, flags.out + "/connection"});
  } else {
    std::fprintf(stderr, "synfin pcap2corpus: --target: expected endpoint or connection, found '%s'\n",
                 flags.target.c_str());
    return 2;
  }
  const bool keep_going = absl::GetFlag(FLAGS_keep_going);
  const bool text = absl::GetFlag(FLAGS_text);
  const size_t max_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_max_bytes));

  // Read every capture first: without --keep-going, a bad one means nothing is written.
  int exit_code = 0;
  std::vector<std::pair<std::string, harness::CaptureImport>> imports;
  for (const std::string& path : captures) {
    absl::StatusOr<harness::CaptureImport> imp =
        harness::import_capture(path, harness::PcapReadOptions{.keep_going = keep_going});
    if (!imp.ok()) {
      std::fprintf(stderr, "synfin pcap2corpus: %s\n", std::string(imp.status().message()).c_str());
      if (!keep_going) return 2;
      exit_code = 2;
      continue;
    }
    if (!imp->damage.ok()) {
      std::fprintf(stderr, "synfin pcap2corpus: %s (converting the %llu records before it)\n",
                   std::string(imp->damage.message()).c_str(),
                   static_cast<unsigned long long>(imp->flows.stats.records));
      exit_code = 2;
    }
    imports.emplace_back(path, *std::move(imp));
  }

  Totals totals;
  for (const auto& [path, imp] : imports) {
    ++totals.captures;
    totals.stats.add(imp.flows.stats);
    std::printf("%s: %llu records, %llu flows, %llu segments\n", path.c_str(),
                static_cast<unsigned long long>(imp.flows.stats.records),
                static_cast<unsigned long long>(imp.flows.stats.flows),
                static_cast<unsigned long long>(imp.flows.stats.segments));
    for (size_t i = 0; i < imp.flows.flows.size(); ++i) {
      const harness::Flow& flow = imp.flows.flows[i];
      const harness::FlowScenarios sc = harness::convert_flow(flow);
      std::string line = absl::StrFormat(
          "  flow %d: client %s server %s (roles by %s), %d segments", i + 1,
          endpoint_text(flow.tuple.local_addr, flow.tuple.local_port),
          endpoint_text(flow.tuple.remote_addr, flow.tuple.remote_port),
          harness::to_string(flow.roles), flow.segments.size());
      for (const Output& out : outputs) {
        const harness::Scenario& s =
            out.target == harness::Target::kEndpoint ? sc.endpoint : sc.connection;
        absl::StatusOr<std::string> name = write_scenario(s, out.dir, max_bytes, text, totals);
        if (!name.ok()) {
          std::fprintf(stderr, "synfin pcap2corpus: %s\n", std::string(name.status().message()).c_str());
          return 2;
        }
        absl::StrAppend(&line, out.target == harness::Target::kEndpoint ? ", endpoint " : ", connection ",
                        *name);
      }
      std::printf("%s\n", line.c_str());
    }
  }
  print_summary(totals);
  return exit_code;
}

}  // namespace synfin::cli
