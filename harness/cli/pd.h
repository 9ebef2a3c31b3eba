// `synfin pd`: packetdrill scripts (run, export); see harness/cli/pd.cc.
#pragma once

#include <string>
#include <vector>

#include "harness/cli/commands.h"

namespace synfin::cli {

extern const char kPdUsage[];
// args[0] is the subcommand: run or export.
int cmd_pd(const std::vector<std::string>& args, const Flags& flags);

}  // namespace synfin::cli
