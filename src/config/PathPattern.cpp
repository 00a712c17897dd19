#include "config/PathPattern.h"

#include <fmt/format.h>

namespace sluice::config {
namespace {

constexpr size_t kMaxPatternLength = 1024;
constexpr uint64_t kMaxRepetitionProduct = 1000;

struct Translation {
  std::string ecmaScript;
  bool ignoreCase = false;
  std::string error;
};

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Reads "{m}", "{m,}" or "{m,n}" at `pos`; returns the largest count, or 0 if this '{' is a literal.
uint64_t repetitionCount(std::string_view p, size_t pos, size_t& end) {
  size_t i = pos + 1;
  uint64_t largest = 0, current = 0;
  bool digits = false;
  for (; i < p.size(); ++i) {
    if (isDigit(p[i])) {
      digits = true;
      current = std::min<uint64_t>(current * 10 + static_cast<uint64_t>(p[i] - '0'), 1000000);
    } else if (p[i] == ',' && digits) {
      largest = std::max(largest, current);
      current = 0;
    } else if (p[i] == '}' && digits) {
      end = i;
      return std::max({largest, current, uint64_t{1}});
    } else {
      break;
    }
  }
  return 0;
}

Translation translate(std::string_view p) {
  Translation out;
  if (p.size() > kMaxPatternLength) {
    out.error = fmt::format("longer than {} characters", kMaxPatternLength);
    return out;
  }
  if (p.substr(0, 4) == "(?i)") {
    out.ignoreCase = true;
    p.remove_prefix(4);
  }
  uint64_t product = 1;
  bool inClass = false;
  // A repetition operator right after another ("**", "+*", "{2}+") is an error in RE2 (Go's
  // regexp: "invalid nested repetition operator"), as MediaMTX reports it; std::regex would take
  // it and backtrack exponentially on it (a path lookup of a 4-character name ran for minutes).
  // One '?' after an operator makes it lazy and is not a repetition.
  bool afterRepetition = false, lazyAllowed = false;
  size_t repetitionStart = 0;
  const auto repetition = [&](size_t start, size_t end) {
    if (afterRepetition && !(lazyAllowed && p[start] == '?' && end == start + 1)) {
      out.error = fmt::format("invalid nested repetition operator: `{}`",
                              p.substr(repetitionStart, end - repetitionStart));
      return false;
    }
    lazyAllowed = !afterRepetition;
    if (!afterRepetition) repetitionStart = start;
    afterRepetition = true;
    return true;
  };
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (!inClass && (c == '*' || c == '+' || c == '?')) {
      // "(?" opens a group flag or name, not a repetition.
      const bool groupSyntax = c == '?' && i > 0 && p[i - 1] == '(' && (i < 2 || p[i - 2] != '\\');
      if (!groupSyntax && !repetition(i, i + 1)) return out;
      if (!groupSyntax) {
        out.ecmaScript += c;
        continue;
      }
    }
    if (c != '{') afterRepetition = false;  // any other token ends a run of operators
    if (c == '\\' && i + 1 < p.size()) {
      char next = p[i + 1];
      if (isDigit(next)) {
        // As Go's regexp reads them: "\0" or a digit 1-7 followed by an octal digit starts an
        // octal code of up to three digits; any other digit escape would be a backreference,
        // which RE2 does not have. std::regex would take it as one (and overflows a long one).
        const bool octal =
            next == '0' || (next <= '7' && i + 2 < p.size() && p[i + 2] >= '0' && p[i + 2] <= '7');
        if (!octal) {
          out.error = fmt::format("invalid escape sequence: `{}`", p.substr(i, 2));
          return out;
        }
        size_t j = i + 1;
        unsigned value = 0;
        for (; j < p.size() && j < i + 4 && p[j] >= '0' && p[j] <= '7'; ++j)
          value = value * 8 + unsigned(p[j] - '0');
        if (value > 0xFF) {
          out.error = fmt::format("octal escape beyond one byte: `{}`", p.substr(i, j - i));
          return out;
        }
        out.ecmaScript += fmt::format("\\x{:02x}", value);
        i = j - 1;
        continue;
      }
      if (!inClass && next == 'A') {
        out.ecmaScript += '^';
      } else if (!inClass && next == 'z') {
        out.ecmaScript += '$';
      } else {
        out.ecmaScript += c;
        out.ecmaScript += next;
      }
      ++i;
      continue;
    }
    if (inClass) {
      if (c == ']') inClass = false;
      out.ecmaScript += c;
      continue;
    }
    if (c == '[') {
      inClass = true;
      out.ecmaScript += c;
      if (i + 1 < p.size() && p[i + 1] == ']') out.ecmaScript += p[++i];  // "[]...]": a literal ']'
      continue;
    }
    if (c == '(' && p.substr(i, 3) == "(?P" && i + 3 < p.size() && p[i + 3] == '<') {
      size_t close = p.find('>', i);
      if (close == std::string_view::npos) break;  // left for std::regex to reject
      out.ecmaScript += '(';
      i = close;
      continue;
    }
    if (c == '(' && p.substr(i, 3) == "(?<" && i + 3 < p.size() && p[i + 3] != '=' && p[i + 3] != '!') {
      size_t close = p.find('>', i);
      if (close == std::string_view::npos) break;
      out.ecmaScript += '(';
      i = close;
      continue;
    }
    if (c == '{') {
      size_t end = i;
      uint64_t count = repetitionCount(p, i, end);
      if (count == 0) {
        // Not a repetition ("{", "{x", "{5" unclosed): RE2 reads a literal '{'. std::regex would
        // read the start of a quantifier and parse its digits first (libstdc++ overflows on
        // twenty of them), so it gets the '{' escaped.
        afterRepetition = false;
        out.ecmaScript += "\\{";
        continue;
      }
      if (!repetition(i, end + 1)) return out;
      product *= count;
      if (product > kMaxRepetitionProduct) {
        out.error = fmt::format("repetition counts are too large (at most {} in all)", kMaxRepetitionProduct);
        return out;
      }
      out.ecmaScript.append(p.substr(i, end - i + 1));
      i = end;
      continue;
    }
    out.ecmaScript += c;
  }
  return out;
}

}  // namespace

std::shared_ptr<const PathPattern> PathPattern::compile(std::string_view re2Pattern, std::string& error) {
  Translation translation = translate(re2Pattern);
  if (!translation.error.empty()) {
    error = translation.error;
    return nullptr;
  }
  auto flags = std::regex::ECMAScript;
  if (translation.ignoreCase) flags |= std::regex::icase;
  try {
    return std::shared_ptr<const PathPattern>(new PathPattern(std::regex(translation.ecmaScript, flags)));
  } catch (const std::regex_error& e) {
    error = e.what();
    return nullptr;
  }
}

bool PathPattern::search(std::string_view name, std::vector<std::string>* groups) const {
  if (name.size() > kMaxNameLength) return false;
  std::match_results<std::string_view::const_iterator> match;
  if (!std::regex_search(name.begin(), name.end(), match, regex_)) return false;
  if (groups) {
    groups->clear();
    for (const auto& group : match) groups->push_back(group.str());
  }
  return true;
}

}  // namespace sluice::config
