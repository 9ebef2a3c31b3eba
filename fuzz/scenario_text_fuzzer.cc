// The scenario text parser (packetdrill syntax included) on arbitrary text: it
// never crashes, and whatever it accepts prints canonically and round-trips
// through text and binary.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/fuzz_support.h"
#include "harness/scenario_binary.h"
#include "harness/scenario_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace synfin::harness;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = parse_scenario_text(text, "fuzz");
  if (!parsed.ok()) return 0;
  const std::string printed = print_scenario_text(*parsed);
  auto again = parse_scenario_text(printed, "printed");
  if (!again.ok()) synfin::fuzz::die_with_failure("text: canonical form does not parse", std::string(again.status().message()) + "\n" + printed);
  if (!(*again == *parsed)) synfin::fuzz::die_with_failure("text: parse(print(s)) != s", printed);
  if (print_scenario_text(*again) != printed) synfin::fuzz::die_with_failure("text: canonical form is not a fixed point", printed);
  if (!(decode_scenario(encode_scenario(*parsed)) == *parsed)) synfin::fuzz::die_with_failure("text: binary round trip differs", printed);
  return 0;
}
