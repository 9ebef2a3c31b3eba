// An engine-less driver: runs files (or every file under directories, in sorted
// order) through a target's LLVMFuzzerTestOneInput. Works with any compiler, so
// ctest replays every committed corpus and regression input on each test run.
// With --repeat N it is also the benchmark driver (ci/bench.sh): every input N
// times, then executions per second of wall time; --warmup W first runs every
// input W times untimed (a sanitizer's allocator takes a while to reach its steady
// state). The clock lives here, in the driver, never in what it drives.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

// Parses the count after a flag; false (with a message) unless it is a positive number.
bool parse_count(const char* flag, const char* text, uint64_t& out) {
  const char* end = text + std::strlen(text);
  auto [ptr, ec] = std::from_chars(text, end, out);
  if (ec != std::errc() || ptr != end || out == 0) {
    std::fprintf(stderr, "%s: expected a positive count, got '%s'\n", flag, text);
    return false;
  }
  return true;
}

bool read_file(const std::filesystem::path& p, std::vector<uint8_t>& out) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help") {
    std::fprintf(stderr,
                 "usage: %s [--repeat N [--warmup W]] FILE_OR_DIR...\n"
                 "runs each input through the fuzz target once (N times with --repeat,\n"
                 "then prints executions per second; W untimed times before that)\n",
                 argv[0]);
    return argc < 2 ? 2 : 0;
  }
  int first = 1;
  uint64_t repeat = 0;  // 0: a plain replay, no timing
  uint64_t warmup = 0;
  while (first < argc && (std::strcmp(argv[first], "--repeat") == 0 ||
                          std::strcmp(argv[first], "--warmup") == 0)) {
    const bool is_repeat = std::strcmp(argv[first], "--repeat") == 0;
    const char* value = first + 1 < argc ? argv[first + 1] : "";
    if (!parse_count(argv[first], value, is_repeat ? repeat : warmup)) return 2;
    first += 2;
  }
  if (warmup > 0 && repeat == 0) {
    std::fprintf(stderr, "--warmup: only with --repeat (a plain replay is not timed)\n");
    return 2;
  }
  std::vector<std::filesystem::path> files;
  for (int i = first; i < argc; ++i) {
    const std::filesystem::path p(argv[i]);
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(p)) {
        if (e.is_regular_file()) files.push_back(e.path());
      }
    } else if (std::filesystem::is_regular_file(p, ec)) {
      files.push_back(p);
    } else {
      std::fprintf(stderr, "%s: no such file or directory\n", argv[i]);
      return 2;
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<std::vector<uint8_t>> inputs(files.size());
  uint64_t total_bytes = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    if (!read_file(files[i], inputs[i])) {
      std::fprintf(stderr, "%s: cannot read\n", files[i].c_str());
      return 2;
    }
    total_bytes += inputs[i].size();
  }
  if (repeat == 0) {
    for (const auto& in : inputs) LLVMFuzzerTestOneInput(in.data(), in.size());
    std::printf("replayed %zu inputs\n", inputs.size());
    return 0;
  }
  for (uint64_t r = 0; r < warmup; ++r) {
    for (const auto& in : inputs) LLVMFuzzerTestOneInput(in.data(), in.size());
  }
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t r = 0; r < repeat; ++r) {
    for (const auto& in : inputs) LLVMFuzzerTestOneInput(in.data(), in.size());
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double execs = static_cast<double>(repeat) * static_cast<double>(inputs.size());
  std::printf("inputs %zu  bytes %llu  executions %.0f  seconds %.3f  exec/s %.0f  us/exec %.2f\n",
              inputs.size(), static_cast<unsigned long long>(total_bytes), execs, seconds,
              seconds > 0 ? execs / seconds : 0.0, execs > 0 ? seconds * 1e6 / execs : 0.0);
  return 0;
}
