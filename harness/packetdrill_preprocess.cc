// #ifdef / #ifndef / #else / #endif for packetdrill scripts.
#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "harness/packetdrill_parse.h"

namespace synfin::harness::pd {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// The first word after the directive, with any trailing comment cut off.
std::string_view directive_arg(std::string_view rest) {
  rest = trim(rest);
  size_t end = 0;
  while (end < rest.size() && rest[end] != ' ' && rest[end] != '\t' && rest[end] != '/') ++end;
  return rest.substr(0, end);
}

absl::Status error(std::string_view file, int line, int col, std::string_view expected,
                   std::string_view found) {
  auto av = [](std::string_view s) { return absl::string_view(s.data(), s.size()); };
  return absl::InvalidArgumentError(absl::StrCat(av(file), ":", line, ":", col, ": expected ",
                                                 av(expected), ", found '", av(found), "'"));
}

}  // namespace

absl::StatusOr<std::string> preprocess(std::string_view text, std::string_view file,
                                       const std::vector<std::string>& defines) {
  struct Frame {
    bool parent_active;
    bool taking;  // this branch's condition holds
    bool seen_else;
    int line;
  };
  std::vector<Frame> stack;
  auto active = [&stack]() { return stack.empty() || (stack.back().parent_active && stack.back().taking); };
  std::string out;
  out.reserve(text.size());
  int line_no = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    const bool last = end == std::string_view::npos;
    if (last) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    ++line_no;
    const std::string_view t = trim(line);
    const size_t first = line.find_first_not_of(" \t");
    const int col = first == std::string_view::npos ? 1 : static_cast<int>(first) + 1;
    bool keep = active();
    if (!t.empty() && t.front() == '#') {
      std::string_view word = t.substr(1);
      size_t w = 0;
      while (w < word.size() && std::isalpha(static_cast<unsigned char>(word[w]))) ++w;
      const std::string_view name = word.substr(0, w);
      const std::string_view rest = word.substr(w);
      if (name == "ifdef" || name == "ifndef") {
        const std::string_view arg = directive_arg(rest);
        if (arg.empty()) return error(file, line_no, col, "a name after #" + std::string(name), t);
        const bool defined =
            std::find(defines.begin(), defines.end(), std::string(arg)) != defines.end();
        stack.push_back(Frame{active(), name == "ifdef" ? defined : !defined, false, line_no});
      } else if (name == "else") {
        if (stack.empty() || stack.back().seen_else) {
          return error(file, line_no, col, "#else inside an #ifdef block", t);
        }
        stack.back().taking = !stack.back().taking;
        stack.back().seen_else = true;
      } else if (name == "endif") {
        if (stack.empty()) return error(file, line_no, col, "#endif after an #ifdef", t);
        stack.pop_back();
      } else {
        return error(file, line_no, col, "#ifdef, #ifndef, #else or #endif", t);
      }
      keep = false;
    }
    if (keep) out.append(line);
    if (!last) out.push_back('\n');
    if (last) break;
    start = end + 1;
  }
  if (!stack.empty()) {
    return error(file, stack.back().line, 1, "#endif for this block", "end of file");
  }
  return out;
}

}  // namespace synfin::harness::pd
