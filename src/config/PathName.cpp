#include "config/PathName.h"

namespace sluice::config {
namespace {
bool isAllowed(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-' ||
         c == '/' || c == '.';
}
}  // namespace

std::optional<std::string> pathNameProblem(std::string_view name) {
  if (name.empty()) return "cannot be empty";
  if (name.front() == '/') return "can't begin with a slash";
  if (name.back() == '/') return "can't end with a slash";
  for (char c : name) {
    if (!isAllowed(c)) return "can contain only alphanumeric characters, underscore, dot, minus or slash";
  }
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    std::string_view segment =
        name.substr(start, slash == std::string_view::npos ? name.npos : slash - start);
    // Relative segments would let a client escape the path namespace (e.g. in recording paths).
    if (segment == "." || segment == "..") return "can't contain '.' or '..' segments";
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return std::nullopt;
}

bool isAllPathsAlias(std::string_view name) { return name == "all" || name == "all_others"; }

}  // namespace sluice::config
