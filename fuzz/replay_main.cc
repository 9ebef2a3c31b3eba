// An engine-less driver: runs files (or every file under directories, in sorted
// order) through a target's LLVMFuzzerTestOneInput. Works with any compiler, so
// ctest replays every committed corpus and regression input on each test run.
// With --repeat N it is also the benchmark driver (ci/bench.sh): every input N
// times, then executions per second of wall time. The clock lives here, in the
// driver, never in what it drives.
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
                 "usage: %s [--repeat N] FILE_OR_DIR...\n"
                 "runs each input through the fuzz target once (N times with --repeat,\n"
                 "then prints executions per second)\n",
                 argv[0]);
    return argc < 2 ? 2 : 0;
  }
  int first = 1;
  uint64_t repeat = 0;  // 0: a plain replay, no timing
  if (std::strcmp(argv[1], "--repeat") == 0) {
    const char* n = argc > 2 ? argv[2] : "";
    const char* end = n + std::strlen(n);
    auto [ptr, ec] = std::from_chars(n, end, repeat);
    if (ec != std::errc() || ptr != end || repeat == 0) {
      std::fprintf(stderr, "--repeat: expected a positive count, got '%s'\n", n);
      return 2;
    }
    first = 3;
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
