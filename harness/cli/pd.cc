// synfin pd run | export | import: packetdrill scripts in virtual time.
#include "harness/cli/pd.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "harness/packetdrill_export.h"
#include "harness/packetdrill_report.h"
#include "harness/packetdrill_runner.h"

ABSL_FLAG(std::string, profile, "rfc", "pd run: OS choices the RFCs leave open: rfc, freebsd, linux");
ABSL_FLAG(std::string, junit, "", "pd run: also write the results as JUnit XML to this file");
ABSL_FLAG(bool, strict, false, "pd run: what synfin cannot model fails the script instead of skipping it");
ABSL_FLAG(bool, lax, false,
          "pd run: run scripts that ask for features the stack lacks (ECN, SYN cookies), "
          "leaving those options out of the comparison");
ABSL_FLAG(std::string, expect_summary, "",
          "pd run: exit 0 only if the summary line is exactly this (\"N passed, N failed, N skipped\")");

namespace synfin::cli {

const char kPdUsage[] =
    "synfin pd run SCRIPT...|DIR... [--profile rfc|freebsd|linux] [--junit FILE] [--strict] [--lax]\n"
    "                               [--expect_summary \"N passed, N failed, N skipped\"]\n"
    "  Runs packetdrill scripts (*.pkt under each DIR) against one synfin host in virtual time,\n"
    "  oracles on. Prints each script's verdict (passed / failed with the first mismatch / skipped\n"
    "  with the reason) and the summary line. Exit 0 when none failed, 1 otherwise.\n"
    "synfin pd export FILE [--target as-is|endpoint|connection] [--o OUT]\n"
    "  Writes an endpoint scenario or crash input (text or binary) as a packetdrill script: the\n"
    "  injected segments as '<' lines and what synfin's stack sent as '>' lines.\n"
    "synfin pd import SCRIPT...|DIR... --o DIR [--profile rfc|freebsd|linux] [--notes]\n"
    "  Turns packetdrill scripts into endpoint_fuzzer seeds: binary endpoint scenarios, each run\n"
    "  with the oracles on before it is written (atomically, named by content hash) to DIR.\n"
    "  Prints each script's seed or why it was skipped, and a summary. Exit 0 when every script\n"
    "  imported or was skipped, 1 when a script's run violates an oracle, 2 when a script is bad.";

std::vector<std::string> expand_scripts(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (const auto& entry : std::filesystem::recursive_directory_iterator(p, ec)) {
        if (entry.is_regular_file() && entry.path().extension() == ".pkt") {
          found.push_back(entry.path().string());
        }
      }
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else {
      out.push_back(p);
    }
  }
  return out;
}

namespace {

int pd_run(const std::vector<std::string>& args) {
  auto profile = harness::pd::profile_named(absl::GetFlag(FLAGS_profile));
  if (!profile.ok()) {
    std::fprintf(stderr, "synfin pd run: %s\n", std::string(profile.status().message()).c_str());
    return 2;
  }
  const std::vector<std::string> files = expand_scripts(args);
  if (files.empty()) {
    std::fprintf(stderr, "synfin pd run: no scripts given (or none found)\n");
    return 2;
  }
  harness::pd::RunOptions options;
  options.profile = *profile;
  options.strict = absl::GetFlag(FLAGS_strict);
  options.lax = absl::GetFlag(FLAGS_lax);
  std::vector<harness::pd::ScriptResult> results;
  for (const std::string& f : files) {
    results.push_back(harness::pd::run_script_file(f, options));
    std::printf("%s\n", harness::pd::result_line(results.back()).c_str());
  }
  const harness::pd::Tally t = harness::pd::tally(results);
  const std::string summary = harness::pd::summary_line(t);
  std::printf("profile %s%s%s: %s\n", profile->name.c_str(), options.lax ? ", lax" : "",
              options.strict ? ", strict" : "", summary.c_str());
  const std::string junit = absl::GetFlag(FLAGS_junit);
  if (!junit.empty()) {
    absl::Status st = write_file_atomically(
        junit, harness::pd::junit_xml(absl::StrCat("synfin-pd-", profile->name), results));
    if (!st.ok()) {
      std::fprintf(stderr, "synfin pd run: %s\n", std::string(st.message()).c_str());
      return 2;
    }
  }
  const std::string expected = absl::GetFlag(FLAGS_expect_summary);
  if (!expected.empty()) {
    if (summary != expected) {
      std::printf("summary differs: expected \"%s\", got \"%s\"\n", expected.c_str(), summary.c_str());
      return 1;
    }
    return 0;
  }
  return t.failed == 0 ? 0 : 1;
}

int pd_export(const std::vector<std::string>& args, const Flags& flags) {
  if (args.size() != 1) {
    std::fprintf(stderr, "synfin pd export: expected exactly one FILE\n");
    return 2;
  }
  auto target = parse_target(flags.target);
  if (!target.ok()) {
    std::fprintf(stderr, "synfin pd export: %s\n", std::string(target.status().message()).c_str());
    return 2;
  }
  auto loaded = load_scenario(args[0], *target);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", std::string(loaded.status().message()).c_str());
    return 2;
  }
  auto script = harness::pd::export_script(loaded->scenario, args[0]);
  if (!script.ok()) {
    std::fprintf(stderr, "synfin pd export: %s\n", std::string(script.status().message()).c_str());
    return 2;
  }
  if (flags.out.empty()) {
    std::fwrite(script->data(), 1, script->size(), stdout);
    return 0;
  }
  absl::Status st = write_file_atomically(flags.out, *script);
  if (!st.ok()) {
    std::fprintf(stderr, "synfin pd export: %s\n", std::string(st.message()).c_str());
    return 2;
  }
  return 0;
}

}  // namespace

int cmd_pd(const std::vector<std::string>& args, const Flags& flags) {
  if (args.empty()) {
    std::fprintf(stderr, "synfin pd: expected run, export or import\n%s\n", kPdUsage);
    return 2;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "run") return pd_run(rest);
  if (args[0] == "export") return pd_export(rest, flags);
  if (args[0] == "import") return pd_import(rest, flags);
  std::fprintf(stderr, "synfin pd: unknown subcommand '%s' (expected run, export or import)\n",
               args[0].c_str());
  return 2;
}

}  // namespace synfin::cli
