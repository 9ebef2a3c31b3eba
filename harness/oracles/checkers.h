// The checkers, two factories each: on the heap (tests feed one checker by hand)
// and in an arena (OracleSet builds them all for every run).
// Each lives in its own file: seqack_checker.cc, stream_checker.cc,
// state_checker.cc, timewait_checker.cc, timer_checker.cc, liveness_checker.cc.
#pragma once

#include <memory>

#include "harness/oracles/checker_arena.h"
#include "harness/oracles/oracle.h"

namespace synfin::harness {

std::unique_ptr<Oracle> make_seqack_checker(const OracleContext& ctx);
std::unique_ptr<Oracle> make_stream_checker(const OracleContext& ctx);
std::unique_ptr<Oracle> make_state_checker(const OracleContext& ctx);
std::unique_ptr<Oracle> make_timewait_checker(const OracleContext& ctx);
std::unique_ptr<Oracle> make_timer_checker(const OracleContext& ctx);
std::unique_ptr<Oracle> make_liveness_checker(const OracleContext& ctx);

Oracle* make_seqack_checker_in(CheckerArena& arena, const OracleContext& ctx);
Oracle* make_stream_checker_in(CheckerArena& arena, const OracleContext& ctx);
Oracle* make_state_checker_in(CheckerArena& arena, const OracleContext& ctx);
Oracle* make_timewait_checker_in(CheckerArena& arena, const OracleContext& ctx);
Oracle* make_timer_checker_in(CheckerArena& arena, const OracleContext& ctx);
Oracle* make_liveness_checker_in(CheckerArena& arena, const OracleContext& ctx);

}  // namespace synfin::harness
