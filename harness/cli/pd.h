// `synfin pd`: packetdrill scripts (run, export, import); see harness/cli/pd.cc
// and harness/cli/pd_import.cc.
#pragma once

#include <string>
#include <vector>

#include "harness/cli/commands.h"

namespace synfin::cli {

extern const char kPdUsage[];
// args[0] is the subcommand: run, export or import.
int cmd_pd(const std::vector<std::string>& args, const Flags& flags);

// The scripts named: files as given, and every *.pkt under each directory
// (recursively, sorted).
std::vector<std::string> expand_scripts(const std::vector<std::string>& paths);
// synfin pd import SCRIPT...|DIR... --o DIR (args without the subcommand).
int pd_import(const std::vector<std::string>& args, const Flags& flags);

}  // namespace synfin::cli
