#include "harness/cli/commands.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "harness/generator.h"
#include "harness/pcap_writer.h"
#include "harness/scenario_binary.h"
#include "harness/scenario_text.h"
#include "harness/trace.h"

namespace synfin::cli {

using harness::Scenario;
using harness::Target;

absl::StatusOr<Target> parse_target(const std::string& name) {
  if (name == "as-is") return Target::kAsIs;
  if (name == "endpoint") return Target::kEndpoint;
  if (name == "connection") return Target::kConnection;
  return absl::InvalidArgumentError(
      absl::StrCat("--target: expected as-is, endpoint or connection, found '", name, "'"));
}

absl::StatusOr<LoadedScenario> load_scenario(const std::string& path, Target target) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read error"));
  LoadedScenario out;
  const std::span<const uint8_t> span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (harness::looks_binary(span)) {
    out.binary = true;
    out.scenario = harness::scenario_for_target(target, span);
    return out;
  }
  absl::StatusOr<Scenario> parsed = harness::parse_scenario_text(bytes, path);
  if (!parsed.ok()) return parsed.status();
  out.scenario = *std::move(parsed);
  return out;
}

absl::Status write_file_atomically(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return absl::PermissionDeniedError(absl::StrCat(path, ": cannot write"));
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      return absl::DataLossError(absl::StrCat(path, ": write failed"));
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return absl::PermissionDeniedError(absl::StrCat(path, ": cannot rename into place"));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------

int cmd_run(const std::vector<std::string>& files, const Flags& flags) {
  if (files.empty()) {
    std::fprintf(stderr, "synfin run: no scenario files given\n");
    return 2;
  }
  auto target = parse_target(flags.target);
  if (!target.ok()) {
    std::fprintf(stderr, "synfin run: %s\n", std::string(target.status().message()).c_str());
    return 2;
  }
  if ((!flags.pcap.empty() || !flags.pcap_rx.empty()) && files.size() != 1) {
    std::fprintf(stderr, "synfin run: --pcap and --pcap_rx take exactly one scenario file\n");
    return 2;
  }
  // Load everything first: bad input anywhere means nothing runs.
  std::vector<LoadedScenario> loaded;
  for (const std::string& f : files) {
    auto l = load_scenario(f, *target);
    if (!l.ok()) {
      std::fprintf(stderr, "%s\n", std::string(l.status().message()).c_str());
      return 2;
    }
    loaded.push_back(*std::move(l));
  }
  int exit_code = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    harness::CheckedRunOptions options;
    options.oracles = flags.oracles;
    harness::TraceWriter trace;
    harness::TraceWriter tail(harness::TraceWriter::Options{.line_limit = 40});
    options.observers.push_back(flags.trace ? &trace : &tail);
    std::unique_ptr<harness::PcapWriter> sent, received;
    for (auto [path, view, slot] :
         {std::tuple{flags.pcap, harness::PcapWriter::View::kSent, &sent},
          std::tuple{flags.pcap_rx, harness::PcapWriter::View::kReceived, &received}}) {
      if (path.empty()) continue;
      auto w = harness::PcapWriter::open(path, view);
      if (!w.ok()) {
        std::fprintf(stderr, "synfin run: %s\n", std::string(w.status().message()).c_str());
        return 2;
      }
      *slot = *std::move(w);
      options.observers.push_back(slot->get());
    }
    const harness::CheckedRunResult r = harness::run_checked(loaded[i].scenario, options);
    if (flags.trace) std::fputs(trace.text().c_str(), stdout);
    for (auto* w : {sent.get(), received.get()}) {
      if (!w) continue;
      absl::Status st = w->finish();
      if (!st.ok()) {
        std::fprintf(stderr, "synfin run: %s\n", std::string(st.message()).c_str());
        return 2;
      }
    }
    if (!r.violations.empty()) {
      exit_code = 1;
      std::printf("%s: VIOLATION %s\n", files[i].c_str(), r.violations.front().to_string().c_str());
      for (size_t k = 1; k < r.violations.size(); ++k) {
        std::printf("  also: %s\n", r.violations[k].to_string().c_str());
      }
      if (!flags.trace) std::printf("trace tail:\n%s", tail.text().c_str());
    } else if (!r.run.expectations_ok) {
      exit_code = 1;
      std::printf("%s: FAILED at op %d: %s\n", files[i].c_str(), r.run.failed_op,
                  r.run.failure.c_str());
      if (!flags.trace) std::printf("trace tail:\n%s", tail.text().c_str());
    } else {
      std::printf("%s: ok (%s virtual, %llu events, %llu packets%s)\n", files[i].c_str(),
                  format_instant(r.run.end).c_str(),
                  static_cast<unsigned long long>(r.run.events),
                  static_cast<unsigned long long>(r.run.packets),
                  r.run.quiet ? "" : ", not quiet at the bound");
    }
  }
  return exit_code;
}

int cmd_fmt(const std::vector<std::string>& files, const Flags& flags) {
  if (files.size() != 1) {
    std::fprintf(stderr, "synfin fmt: expected exactly one FILE\n");
    return 2;
  }
  auto target = parse_target(flags.target);
  if (!target.ok()) {
    std::fprintf(stderr, "synfin fmt: %s\n", std::string(target.status().message()).c_str());
    return 2;
  }
  auto l = load_scenario(files[0], *target);
  if (!l.ok()) {
    std::fprintf(stderr, "%s\n", std::string(l.status().message()).c_str());
    return 2;
  }
  std::string to = flags.to.empty() ? (l->binary ? "text" : "binary") : flags.to;
  std::string out;
  if (to == "text") {
    out = harness::print_scenario_text(l->scenario);
  } else if (to == "binary") {
    const std::vector<uint8_t> b = harness::encode_scenario(l->scenario);
    out.assign(b.begin(), b.end());
  } else {
    std::fprintf(stderr, "synfin fmt: --to: expected text or binary, found '%s'\n", to.c_str());
    return 2;
  }
  if (flags.out.empty()) {
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  }
  absl::Status st = write_file_atomically(flags.out, out);
  if (!st.ok()) {
    std::fprintf(stderr, "synfin fmt: %s\n", std::string(st.message()).c_str());
    return 2;
  }
  return 0;
}

int cmd_soak(const std::vector<std::string>& files, const Flags& flags) {
  if (!files.empty()) {
    std::fprintf(stderr, "synfin soak: takes no files (did you mean synfin run?)\n");
    return 2;
  }
  uint64_t failures = 0, events = 0;
  for (uint64_t i = 0; i < flags.runs; ++i) {
    const uint64_t seed = flags.seed + i;
    const Scenario s = harness::random_lifecycle_scenario(seed);
    harness::CheckedRunOptions options;
    options.oracles = flags.oracles;
    const harness::CheckedRunResult r = harness::run_checked(s, options);
    events += r.run.events;
    if (!r.violations.empty()) {
      ++failures;
      std::printf("seed %llu: VIOLATION %s\n  replay: synfin soak --seed %llu --runs 1 "
                  "(or save it: synfin soak --seed %llu --runs 1 is the scenario "
                  "random_lifecycle_scenario(%llu))\n",
                  static_cast<unsigned long long>(seed), r.violations.front().to_string().c_str(),
                  static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed),
                  static_cast<unsigned long long>(seed));
    }
    if ((i + 1) % 100 == 0 || i + 1 == flags.runs) {
      std::fprintf(stderr, "soak: %llu/%llu runs, %llu failing\n",
                   static_cast<unsigned long long>(i + 1),
                   static_cast<unsigned long long>(flags.runs),
                   static_cast<unsigned long long>(failures));
    }
  }
  std::printf("soak: %llu runs from seed %llu, %llu events, %llu failing\n",
              static_cast<unsigned long long>(flags.runs),
              static_cast<unsigned long long>(flags.seed),
              static_cast<unsigned long long>(events),
              static_cast<unsigned long long>(failures));
  return failures == 0 ? 0 : 1;
}

}  // namespace synfin::cli
