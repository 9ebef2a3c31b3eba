// Runs packetdrill scripts against one synfin host in virtual time.
//
// Inbound packets are injected at their script times; every packet the host
// sends is matched, in order, against the script's outbound lines, field by
// field in packetdrill's relative numbering (our sequence numbers relative to
// our ISS, acknowledgments relative to the script's ISN), and at exactly the
// script's time (virtual time has no jitter; --tolerance_usecs is read and not
// needed). Socket calls run against the host's socket API with their return
// values and errno checked. The oracles watch the whole run.
//
// A script gets one of three verdicts: passed; failed (the first mismatch, its
// line, expected vs actual); skipped (it needs something synfin does not have,
// and says what). Under `strict`, what would be skipped fails instead. Under
// `lax`, a script that only asks for protocol features the stack lacks (ECN,
// SYN cookies) runs anyway, and its verdict says what was left out. An inbound TS ecr is mapped to the TS val it echoes
// (the stack's clock is its own), as packetdrill maps it.
#pragma once

#include <string>
#include <vector>

#include "harness/packetdrill_profile.h"
#include "harness/packetdrill_script.h"
#include "stack/time.h"

namespace synfin::harness::pd {

struct RunOptions {
  Profile profile;
  bool strict = false;
  bool lax = false;
  bool oracles = true;
};

enum class Verdict : uint8_t { kPassed, kFailed, kSkipped };
const char* to_string(Verdict v);

struct ScriptResult {
  std::string file;
  Verdict verdict = Verdict::kPassed;
  int line = 0;         // where it failed or what made it skip (0: the whole file)
  std::string message;  // failed: expected vs actual; skipped: why
  // Lax runs: the features the stack lacks that the script asked for (left out).
  std::vector<std::string> lax_notes;
  Instant end;          // virtual time at the end
  uint64_t packets = 0; // packets in both directions
};

ScriptResult run_script(const Script& script, const RunOptions& options);
// Reads, preprocesses (by the profile's #ifdef names), parses and runs one file.
// A file that does not parse fails with the parser's file:line:col message.
ScriptResult run_script_file(const std::string& path, const RunOptions& options);

}  // namespace synfin::harness::pd
