#include "harness/packetdrill_report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace synfin::harness::pd {
namespace {

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 has no spelling for most control characters.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
          out += '?';
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string where(const ScriptResult& r) {
  return r.line > 0 ? absl::StrCat(r.file, ":", r.line) : r.file;
}

}  // namespace

Tally tally(const std::vector<ScriptResult>& results) {
  Tally t;
  for (const ScriptResult& r : results) {
    switch (r.verdict) {
      case Verdict::kPassed: ++t.passed; break;
      case Verdict::kFailed: ++t.failed; break;
      case Verdict::kSkipped: ++t.skipped; break;
    }
  }
  return t;
}

std::string result_line(const ScriptResult& r) {
  std::string s = absl::StrCat(where(r), ": ", to_string(r.verdict));
  if (!r.message.empty()) absl::StrAppend(&s, ": ", r.message);
  if (!r.lax_notes.empty()) absl::StrAppend(&s, " [lax: ", absl::StrJoin(r.lax_notes, "; "), "]");
  return s;
}

std::string summary_line(const Tally& t) {
  return absl::StrCat(t.passed, " passed, ", t.failed, " failed, ", t.skipped, " skipped");
}

std::string junit_xml(const std::string& suite, const std::vector<ScriptResult>& results) {
  const Tally t = tally(results);
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  absl::StrAppendFormat(&out, "<testsuite name=\"%s\" tests=\"%d\" failures=\"%d\" skipped=\"%d\" errors=\"0\">\n",
                        xml_escape(suite), static_cast<int>(results.size()), t.failed, t.skipped);
  for (const ScriptResult& r : results) {
    absl::StrAppendFormat(&out, "  <testcase classname=\"%s\" name=\"%s\" time=\"%.6f\"",
                          xml_escape(suite), xml_escape(r.file), static_cast<double>(r.end.us) / 1e6);
    const std::string msg = xml_escape(absl::StrCat(where(r), ": ", r.message));
    switch (r.verdict) {
      case Verdict::kPassed:
        if (r.lax_notes.empty()) {
          out += "/>\n";
        } else {
          absl::StrAppend(&out, ">\n    <system-out>lax: ", xml_escape(absl::StrJoin(r.lax_notes, "; ")),
                          "</system-out>\n  </testcase>\n");
        }
        break;
      case Verdict::kFailed:
        absl::StrAppend(&out, ">\n    <failure message=\"", msg, "\">", msg, "</failure>\n  </testcase>\n");
        break;
      case Verdict::kSkipped:
        absl::StrAppend(&out, ">\n    <skipped message=\"", msg, "\"/>\n  </testcase>\n");
        break;
    }
  }
  out += "</testsuite>\n";
  return out;
}

}  // namespace synfin::harness::pd
