// Reporting script results: one line per script, the summary line
// "N passed, N failed, N skipped", and JUnit XML for CI.
#pragma once

#include <string>
#include <vector>

#include "harness/packetdrill_runner.h"

namespace synfin::harness::pd {

struct Tally {
  int passed = 0, failed = 0, skipped = 0;
};
Tally tally(const std::vector<ScriptResult>& results);

// "FILE: passed", "FILE:LINE: failed: WHY", "FILE:LINE: skipped: WHY".
std::string result_line(const ScriptResult& r);
// "N passed, N failed, N skipped"
std::string summary_line(const Tally& t);
// One <testsuite> named `suite`, a <testcase> per script (failure / skipped
// elements with the message), times in virtual seconds.
std::string junit_xml(const std::string& suite, const std::vector<ScriptResult>& results);

}  // namespace synfin::harness::pd
