#include "config/YamlLimits.h"

#include <fmt/format.h>
#include <yaml-cpp/anchor.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <sstream>
#include <vector>

#include "config/ConfigError.h"

namespace sluice::config {
namespace {

// Measures a document from yaml-cpp's parse events, without building it: depth, scalar sizes, and
// the number of values once aliases are expanded (an alias counts as the whole value it refers to,
// which is what every later walk of the tree, merge keys included, visits). Linear in the text.
class LimitChecker : public YAML::EventHandler {
 public:
  explicit LimitChecker(std::string_view fileName) : fileName_(fileName) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { leaf(mark, anchor); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string& value) override {
    if (value.size() > kMaxYamlScalarBytes) {
      fail(mark,
           fmt::format("a value of {} bytes (limit {} bytes per value)", value.size(), kMaxYamlScalarBytes));
    }
    leaf(mark, anchor);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (anchor >= anchors_.size() || anchors_[anchor].open) {
      // yaml-cpp registers an anchor when its value starts: '&a [*a]' is a value containing itself.
      fail(mark, fmt::format("alias '*{}' refers to a value that contains it", nameOf(anchor)));
    }
    add(mark, anchors_[anchor].values);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, anchor);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(mark, anchor);
  }
  void OnMapEnd() override { close(); }

  void OnAnchor(const YAML::Mark&, const std::string& name) override { pendingName_ = name; }

 private:
  struct Anchor {
    std::string name;
    size_t values = 0;
    bool open = true;
  };
  struct Frame {
    YAML::anchor_t anchor;
    size_t values;  // this container and everything in it, aliases expanded
  };

  void leaf(const YAML::Mark& mark, YAML::anchor_t anchor) {
    define(anchor);
    add(mark, 1);
    finish(anchor, 1);
  }

  void open(const YAML::Mark& mark, YAML::anchor_t anchor) {
    define(anchor);
    if (stack_.size() >= kMaxYamlDepth) {
      fail(mark, fmt::format("lists and mappings nested more than {} levels deep (limit {})", kMaxYamlDepth,
                             kMaxYamlDepth));
    }
    countValues(mark, 1);  // the container itself; close() adds its size to its parent
    stack_.push_back({anchor, 1});
  }

  void close() {
    Frame frame = stack_.back();
    stack_.pop_back();
    if (!stack_.empty()) stack_.back().values += frame.values;
    finish(frame.anchor, frame.values);
  }

  // A leaf or an alias of `values` values inside the current container.
  void add(const YAML::Mark& mark, size_t values) {
    countValues(mark, values);
    if (!stack_.empty()) stack_.back().values += values;
  }

  void countValues(const YAML::Mark& mark, size_t values) {
    total_ += values;
    if (total_ > kMaxYamlValues) {
      fail(mark, fmt::format("the configuration has more than {} values once aliases ('*') and merge keys "
                             "('<<') are expanded (limit {})",
                             kMaxYamlValues, kMaxYamlValues));
    }
  }

  void define(YAML::anchor_t anchor) {
    if (anchor == YAML::NullAnchor) return;
    if (anchors_.size() <= anchor) anchors_.resize(anchor + 1);
    anchors_[anchor].name = std::move(pendingName_);
    anchors_[anchor].open = true;
    pendingName_.clear();
  }

  void finish(YAML::anchor_t anchor, size_t values) {
    if (anchor == YAML::NullAnchor) return;
    anchors_[anchor].values = values;
    anchors_[anchor].open = false;
  }

  std::string nameOf(YAML::anchor_t anchor) const {
    return anchor < anchors_.size() ? anchors_[anchor].name : std::string();
  }

  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& what) const {
    std::string where = fileName_.empty() ? std::string("configuration") : std::string(fileName_);
    if (!mark.is_null()) where += fmt::format(":{}", mark.line + 1);
    throw ConfigError(fmt::format("{}: {}", where, what));
  }

  std::string_view fileName_;
  std::vector<Frame> stack_;
  std::vector<Anchor> anchors_;  // by yaml-cpp's anchor id (1, 2, ... per document)
  std::string pendingName_;
  size_t total_ = 0;
};

[[noreturn]] void failText(std::string_view fileName, int line, const std::string& what) {
  throw ConfigError(
      fmt::format("{}:{}: {}", fileName.empty() ? std::string_view("configuration") : fileName, line, what));
}

// Checks on the text, before yaml-cpp sees it, of what costs its scanner far more than the bytes:
// - its scanner holds every token of a flow collection ("[", "{") in memory until it knows whether
//   the collection is a key: a 1 MiB line of '[' costs it about 250 MB before the parser sees the
//   first level. So the nesting of flow brackets is bounded, skipping quoted strings and comments.
//   Brackets inside plain scalars count too, but they come in pairs in any real value (an IPv6
//   host, a regular expression); only more than kMaxYamlDepth unclosed ones would be refused.
// - it scans long runs of blanks and long scalars at a few MiB/s, and each line costs it a few
//   microseconds: a file's lines are bounded in length and number.
void checkText(std::string_view text, std::string_view fileName, YamlSource source) {
  const bool isFile = source == YamlSource::File;
  size_t depth = 0;
  int line = 1;
  size_t lineStart = 0;
  auto endLine = [&](size_t end) {
    if (isFile && end - lineStart > kMaxYamlLineBytes) {
      failText(
          fileName, line,
          fmt::format("a line of {} bytes (limit {} bytes per line)", end - lineStart, kMaxYamlLineBytes));
    }
    if (isFile && static_cast<size_t>(line) > kMaxConfigFileLines) {
      failText(fileName, line,
               fmt::format("more than {} lines (limit {})", kMaxConfigFileLines, kMaxConfigFileLines));
    }
    ++line;
    lineStart = end + 1;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') {
      endLine(i);
    } else if (c == '#' && (i == 0 || text[i - 1] == ' ' || text[i - 1] == '\t' || text[i - 1] == '\n')) {
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
    } else if (c == '"' || c == '\'') {
      // A quote opens a quoted scalar only where a value starts (after a line's indentation, ':',
      // '-', '?', '[', '{' or ','); elsewhere ("it's", "a 'b") it is a character of a plain scalar.
      size_t before = i;
      while (before > 0 && (text[before - 1] == ' ' || text[before - 1] == '\t')) --before;
      constexpr std::string_view kBeforeValue = "\n:-?[{,";
      if (before > 0 && kBeforeValue.find(text[before - 1]) == std::string_view::npos) continue;
      for (++i; i < text.size(); ++i) {
        if (text[i] == '\n') endLine(i);
        if (c == '"' && text[i] == '\\') {
          ++i;  // an escape: skip the escaped character
          if (i < text.size() && text[i] == '\n') endLine(i);
        } else if (text[i] == c) {
          if (c == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
            ++i;  // '' is a quote inside a single-quoted scalar
          } else {
            break;
          }
        }
      }
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxYamlDepth) {
        failText(fileName, line,
                 fmt::format("lists and mappings nested more than {} levels deep (limit {})", kMaxYamlDepth,
                             kMaxYamlDepth));
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  if (lineStart < text.size()) endLine(text.size());  // a last line without its newline
}

}  // namespace

YAML::Node loadBoundedYaml(std::string_view text, std::string_view fileName, YamlSource source) {
  checkText(text, fileName, source);
  std::istringstream in{std::string(text)};
  {
    YAML::Parser parser(in);
    LimitChecker checker(fileName);
    parser.HandleNextDocument(checker);  // YAML::Load reads the first document only, too
  }
  in.clear();
  in.seekg(0);
  return YAML::Load(in);
}

}  // namespace sluice::config
