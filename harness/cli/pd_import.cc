// synfin pd import: packetdrill scripts as endpoint_fuzzer seeds
// (harness/packetdrill_import.h, harness/packetdrill_seed.h), written as binary
// corpus files named by content hash.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "harness/cli/pd.h"
#include "harness/corpus_files.h"
#include "harness/packetdrill_import.h"
#include "harness/packetdrill_seed.h"

ABSL_DECLARE_FLAG(std::string, profile);
ABSL_FLAG(bool, notes, false, "pd import: list what each script's seed leaves out");

namespace synfin::cli {
namespace {

struct Totals {
  int scripts = 0, imported = 0, written = 0, present = 0, without_expectations = 0;
  int skipped = 0, errors = 0, violations = 0;
};

void print_summary(const Totals& t) {
  std::printf(
      "summary: %d scripts: %d imported (%d seeds written, %d already present; %d without "
      "expectations), %d skipped, %d bad, %d with oracle violations\n",
      t.scripts, t.imported, t.written, t.present, t.without_expectations, t.skipped, t.errors,
      t.violations);
}

}  // namespace

int pd_import(const std::vector<std::string>& args, const Flags& flags) {
  if (args.empty() || flags.out.empty()) {
    std::fprintf(stderr, "synfin pd import: expected SCRIPT...|DIR... and --o DIR\n");
    return 2;
  }
  auto profile = harness::pd::profile_named(absl::GetFlag(FLAGS_profile));
  if (!profile.ok()) {
    std::fprintf(stderr, "synfin pd import: %s\n", std::string(profile.status().message()).c_str());
    return 2;
  }
  const std::vector<std::string> files = expand_scripts(args);
  if (files.empty()) {
    std::fprintf(stderr, "synfin pd import: no scripts given (or none found)\n");
    return 2;
  }
  const bool list_notes = absl::GetFlag(FLAGS_notes);
  Totals t;
  for (const std::string& f : files) {
    ++t.scripts;
    absl::StatusOr<harness::pd::Imported> imported = harness::pd::import_script_file(f, *profile);
    if (!imported.ok()) {
      const bool bad = !absl::IsUnimplemented(imported.status());
      ++(bad ? t.errors : t.skipped);
      std::printf("%s: %s: %s\n", f.c_str(), bad ? "bad" : "skipped",
                  std::string(imported.status().message()).c_str());
      continue;
    }
    absl::StatusOr<harness::pd::Seed> seed = harness::pd::make_seed(*std::move(imported));
    if (!seed.ok()) {
      // A conformance script that makes the stack break an invariant: a finding, not a seed.
      ++t.violations;
      std::printf("%s: not imported: %s\n", f.c_str(), std::string(seed.status().message()).c_str());
      continue;
    }
    const std::string name = harness::content_name(seed->bytes);
    absl::StatusOr<bool> fresh = harness::write_corpus_file(flags.out, name, seed->bytes);
    if (!fresh.ok()) {
      std::fprintf(stderr, "synfin pd import: %s\n", std::string(fresh.status().message()).c_str());
      return 2;
    }
    ++t.imported;
    ++(*fresh ? t.written : t.present);
    const harness::pd::Imported& im = seed->imported;
    std::string line = absl::StrCat(f, ": seed ", name, " (", im.scenario.ops.size(), " ops, ",
                                    seed->bytes.size(), " bytes");
    if (!im.expectations) {
      ++t.without_expectations;
      absl::StrAppend(&line, ", no expectations");
      if (!seed->dropped.empty()) absl::StrAppend(&line, ": the run missed ", seed->dropped);
    }
    absl::StrAppend(&line, ")");
    std::printf("%s\n", line.c_str());
    if (list_notes) {
      for (const std::string& n : im.notes) std::printf("  %s\n", n.c_str());
    }
  }
  print_summary(t);
  return t.errors ? 2 : t.violations ? 1 : 0;
}

}  // namespace synfin::cli
