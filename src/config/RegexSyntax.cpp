#include "config/RegexSyntax.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace sluice::config::regex {
namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isOctal(char c) { return c >= '0' && c <= '7'; }
bool isAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
int hexValue(char c) {
  if (isDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void addRange(ByteSet& set, int lo, int hi) {
  for (int c = lo; c <= hi; ++c) set.set(static_cast<size_t>(c));
}

// The other case of every ASCII letter in `set` (Go folds Unicode; names are ASCII).
void foldCase(ByteSet& set) {
  for (size_t lower = 'a'; lower <= 'z'; ++lower) {
    const size_t upper = lower - 'a' + 'A';
    if (set.test(lower) || set.test(upper)) set.set(lower).set(upper);
  }
}

// \d \w \s and their negations, as Go defines them (\s: tab, newline, form feed, return, space).
bool perlClass(char c, ByteSet& out) {
  ByteSet set;
  switch (c | 0x20) {
    case 'd':
      addRange(set, '0', '9');
      break;
    case 'w':
      addRange(set, '0', '9'), addRange(set, 'a', 'z'), addRange(set, 'A', 'Z'), set.set('_');
      break;
    case 's':
      set.set('\t').set('\n').set('\f').set('\r').set(' ');
      break;
    default:
      return false;
  }
  out |= (c >= 'a') ? set : ~set;
  return true;
}

bool posixClass(std::string_view name, ByteSet& out) {
  ByteSet set;
  if (name == "alnum")
    addRange(set, '0', '9'), addRange(set, 'a', 'z'), addRange(set, 'A', 'Z');
  else if (name == "alpha")
    addRange(set, 'a', 'z'), addRange(set, 'A', 'Z');
  else if (name == "ascii")
    addRange(set, 0, 0x7F);
  else if (name == "blank")
    set.set('\t').set(' ');
  else if (name == "cntrl")
    addRange(set, 0, 0x1F), set.set(0x7F);
  else if (name == "digit")
    addRange(set, '0', '9');
  else if (name == "graph")
    addRange(set, '!', '~');
  else if (name == "lower")
    addRange(set, 'a', 'z');
  else if (name == "print")
    addRange(set, ' ', '~');
  else if (name == "punct")
    addRange(set, '!', '/'), addRange(set, ':', '@'), addRange(set, '[', '`'), addRange(set, '{', '~');
  else if (name == "space")
    addRange(set, '\t', '\r'), set.set(' ');
  else if (name == "upper")
    addRange(set, 'A', 'Z');
  else if (name == "word")
    addRange(set, '0', '9'), addRange(set, 'a', 'z'), addRange(set, 'A', 'Z'), set.set('_');
  else if (name == "xdigit")
    addRange(set, '0', '9'), addRange(set, 'a', 'f'), addRange(set, 'A', 'F');
  else
    return false;
  out |= set;
  return true;
}

Node bytesNode(const ByteSet& set) {
  Node n;
  n.kind = Node::Kind::Bytes;
  n.bytes = set;
  return n;
}

Node kindNode(Node::Kind kind) {
  Node n;
  n.kind = kind;
  return n;
}

// Go's repeatIsValid: counts of nested repetitions multiplied stay within kMaxRepeat.
bool repeatIsValid(const Node& node, int budget) {
  if (node.kind == Node::Kind::Repeat) {
    int m = node.max;
    if (m == 0) return true;
    if (m < 0) m = node.min;
    if (m > budget) return false;
    if (m > 0) budget /= m;
  }
  for (const Node& child : node.children)
    if (!repeatIsValid(child, budget)) return false;
  return true;
}

class Parser {
 public:
  explicit Parser(std::string_view pattern) : p_(pattern) {}

  std::optional<Syntax> run(std::string& error) {
    Syntax out;
    if (!alternation(Flags{}, 0, out.root)) {
      error = error_;
      return std::nullopt;
    }
    if (i_ < p_.size()) {  // stopped at a ')' that closes nothing
      error = fmt::format("unexpected ): `{}`", p_);
      return std::nullopt;
    }
    out.captures = captures_;
    return out;
  }

 private:
  struct Flags {
    bool foldCase = false;    // i
    bool multiLine = false;   // m: ^ and $ at line ends
    bool dotNewline = false;  // s: . matches \n
    bool ungreedy = false;    // U: greedy and lazy swapped
  };

  bool fail(std::string_view code, std::string_view expr) {
    error_ = fmt::format("{}: `{}`", code, expr);
    return false;
  }

  // Alternatives until a ')' or the end; flags set inside ("(?i)") last to the group's end.
  bool alternation(Flags flags, int depth, Node& out) {
    if (depth > kMaxNesting) return fail("expression nests too deeply", p_);
    Node alternatives = kindNode(Node::Kind::Alternate);
    while (true) {
      Node sequence;
      if (!concat(flags, depth, sequence)) return false;
      alternatives.children.push_back(std::move(sequence));
      if (i_ < p_.size() && p_[i_] == '|') {
        ++i_;
        continue;
      }
      break;
    }
    if (alternatives.children.size() == 1) {
      out = std::move(alternatives.children[0]);
    } else {
      out = std::move(alternatives);
    }
    return true;
  }

  bool concat(Flags& flags, int depth, Node& out) {
    Node sequence = kindNode(Node::Kind::Concat);
    while (i_ < p_.size() && p_[i_] != '|' && p_[i_] != ')') {
      size_t end = 0;
      if (repetitionAt(i_, end)) {
        if (sequence.children.empty())
          return fail("missing argument to repetition operator", p_.substr(i_, end - i_));
        if (!repetition(flags, sequence.children.back())) return false;
        continue;
      }
      if (p_.substr(i_, 2) == "\\Q") {
        // Literal text up to \E, each character its own node (a repetition after it repeats the
        // last one, as in Go).
        const size_t close = p_.find("\\E", i_ + 2);
        const size_t stop = close == std::string_view::npos ? p_.size() : close;
        for (size_t k = i_ + 2; k < stop; ++k)
          sequence.children.push_back(bytesNode(literal(flags, static_cast<unsigned char>(p_[k]))));
        i_ = close == std::string_view::npos ? p_.size() : close + 2;
        continue;
      }
      std::optional<Node> node;
      if (!atom(flags, depth, node)) return false;
      if (node) sequence.children.push_back(std::move(*node));
    }
    if (sequence.children.size() == 1) {
      out = std::move(sequence.children[0]);
    } else if (sequence.children.empty()) {
      out = kindNode(Node::Kind::Empty);
    } else {
      out = std::move(sequence);
    }
    return true;
  }

  // Go's parseInt: digits without a leading zero; -1 when too large to be a valid count.
  bool count(size_t& i, int& value) const {
    if (i >= p_.size() || !isDigit(p_[i])) return false;
    if (p_[i] == '0' && i + 1 < p_.size() && isDigit(p_[i + 1])) return false;
    value = 0;
    for (; i < p_.size() && isDigit(p_[i]); ++i) {
      if (value >= 100000000) value = -1;
      if (value >= 0) value = value * 10 + (p_[i] - '0');
    }
    return true;
  }

  // A repetition operator at `i` ("*", "+", "?", "{m}", "{m,}", "{m,n}"), ending before `end`
  // (a lazy '?' not included); a '{' that opens no repetition is a literal, as in Go.
  bool repetitionAt(size_t i, size_t& end, int* min = nullptr, int* max = nullptr) const {
    if (i >= p_.size()) return false;
    const char c = p_[i];
    int lo = 0, hi = -1;
    if (c == '*' || c == '+' || c == '?') {
      lo = c == '+' ? 1 : 0;
      hi = c == '?' ? 1 : -1;
      end = i + 1;
    } else if (c == '{') {
      size_t j = i + 1;
      if (!count(j, lo)) return false;
      hi = lo;
      if (j < p_.size() && p_[j] == ',') {
        ++j;
        hi = -1;
        if (j < p_.size() && p_[j] != '}' && !count(j, hi)) return false;
      }
      if (j >= p_.size() || p_[j] != '}') return false;
      end = j + 1;
    } else {
      return false;
    }
    if (min) *min = lo;
    if (max) *max = hi;
    return true;
  }

  bool repetition(const Flags& flags, Node& target) {
    const size_t start = i_;
    size_t end = 0;
    int min = 0, max = -1;
    repetitionAt(i_, end, &min, &max);
    if (p_[start] == '{' && (min < 0 || min > kMaxRepeat || max > kMaxRepeat || (max >= 0 && min > max)))
      return fail("invalid repeat count", p_.substr(start, end - start));
    i_ = end;
    bool greedy = true;
    if (i_ < p_.size() && p_[i_] == '?') {
      greedy = false;
      ++i_;
    }
    // RE2 refuses an operator right after another ("**", "+*", "{2}*", "*??").
    size_t nextEnd = 0;
    if (repetitionAt(i_, nextEnd)) {
      if (nextEnd < p_.size() && p_[nextEnd] == '?') ++nextEnd;
      return fail("invalid nested repetition operator", p_.substr(start, nextEnd - start));
    }
    Node repeat = kindNode(Node::Kind::Repeat);
    repeat.min = min;
    repeat.max = max;
    repeat.greedy = greedy != flags.ungreedy;
    repeat.children.push_back(std::move(target));
    if (!repeatIsValid(repeat, kMaxRepeat))
      return fail("invalid repeat count", p_.substr(start, end - start));
    target = std::move(repeat);
    return true;
  }

  ByteSet literal(const Flags& flags, unsigned char c) const {
    ByteSet set;
    set.set(c);
    if (flags.foldCase && isAlpha(static_cast<char>(c))) set.set(c ^ 0x20U);
    return set;
  }

  // A code point as its UTF-8 bytes, each one a node, as Go matches it in UTF-8 text.
  static void appendUtf8(uint32_t cp, Node& sequence) {
    unsigned char bytes[4];
    size_t n = 0;
    if (cp < 0x80) {
      bytes[n++] = static_cast<unsigned char>(cp);
    } else if (cp < 0x800) {
      bytes[n++] = static_cast<unsigned char>(0xC0 | (cp >> 6));
      bytes[n++] = static_cast<unsigned char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      bytes[n++] = static_cast<unsigned char>(0xE0 | (cp >> 12));
      bytes[n++] = static_cast<unsigned char>(0x80 | ((cp >> 6) & 0x3F));
      bytes[n++] = static_cast<unsigned char>(0x80 | (cp & 0x3F));
    } else {
      bytes[n++] = static_cast<unsigned char>(0xF0 | (cp >> 18));
      bytes[n++] = static_cast<unsigned char>(0x80 | ((cp >> 12) & 0x3F));
      bytes[n++] = static_cast<unsigned char>(0x80 | ((cp >> 6) & 0x3F));
      bytes[n++] = static_cast<unsigned char>(0x80 | (cp & 0x3F));
    }
    for (size_t k = 0; k < n; ++k) {
      ByteSet set;
      set.set(bytes[k]);
      sequence.children.push_back(bytesNode(set));
    }
  }

  // One escaped character at i_ ('\\'): octal, \x, control letters or punctuation.
  bool charEscape(uint32_t& cp) {
    const size_t start = i_;
    if (i_ + 1 >= p_.size()) return fail("trailing backslash at end of expression", "");
    const char c = p_[i_ + 1];
    i_ += 2;
    if (isDigit(c)) {
      // Go reads "\0", and "\1"-"\7" followed by an octal digit, as an octal code of up to three
      // digits; any other digit escape would be a backreference, which RE2 does not have.
      const bool octal = c == '0' || (c <= '7' && i_ < p_.size() && isOctal(p_[i_]));
      if (!octal) return fail("invalid escape sequence", p_.substr(start, 2));
      cp = static_cast<uint32_t>(c - '0');
      for (int more = 0; more < 2 && i_ < p_.size() && isOctal(p_[i_]); ++more, ++i_)
        cp = cp * 8 + uint32_t(p_[i_] - '0');
      if (cp > 0xFF) return fail("octal escape beyond one byte", p_.substr(start, i_ - start));
      return true;
    }
    if (c == 'x') {
      cp = 0;
      if (i_ < p_.size() && p_[i_] == '{') {
        size_t j = i_ + 1;
        for (; j < p_.size() && hexValue(p_[j]) >= 0 && cp <= 0x10FFFF; ++j)
          cp = cp * 16 + uint32_t(hexValue(p_[j]));
        if (j == i_ + 1 || j >= p_.size() || p_[j] != '}' || cp > 0x10FFFF)
          return fail("invalid escape sequence", p_.substr(start, std::min(j + 1, p_.size()) - start));
        i_ = j + 1;
        return true;
      }
      if (i_ + 1 >= p_.size() || hexValue(p_[i_]) < 0 || hexValue(p_[i_ + 1]) < 0)
        return fail("invalid escape sequence", p_.substr(start, std::min(i_ + 2, p_.size()) - start));
      cp = uint32_t(hexValue(p_[i_]) * 16 + hexValue(p_[i_ + 1]));
      i_ += 2;
      return true;
    }
    switch (c) {
      case 'a':
        cp = 7;
        return true;
      case 'f':
        cp = '\f';
        return true;
      case 't':
        cp = '\t';
        return true;
      case 'n':
        cp = '\n';
        return true;
      case 'r':
        cp = '\r';
        return true;
      case 'v':
        cp = '\v';
        return true;
      default:
        break;
    }
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x80 && !isAlpha(c)) {  // any ASCII punctuation (or space) stands for itself
      cp = u;
      return true;
    }
    return fail("invalid escape sequence", p_.substr(start, 2));
  }

  bool unsupportedEscape(char c) {
    if (c == 'p' || c == 'P') {
      size_t end = std::min(i_ + 3, p_.size());  // "\pL", or "\p{Greek}"
      if (i_ + 2 < p_.size() && p_[i_ + 2] == '{') end = std::min(p_.find('}', i_), p_.size() - 1) + 1;
      return fail("Unicode classes are not supported in path patterns", p_.substr(i_, end - i_));
    }
    if (c == 'C') return fail("\\C (any byte) is not supported in path patterns", p_.substr(i_, 2));
    return true;
  }

  bool atom(Flags& flags, int depth, std::optional<Node>& out) {
    const char c = p_[i_];
    if (c == '(') return group(flags, depth, out);
    if (c == '[') return characterClass(flags, out);
    if (c == '.') {
      ++i_;
      ByteSet set;
      set.set();
      if (!flags.dotNewline) set.reset('\n');
      out = bytesNode(set);
      return true;
    }
    if (c == '^' || c == '$') {
      ++i_;
      if (c == '^')
        out = kindNode(flags.multiLine ? Node::Kind::BeginLine : Node::Kind::BeginText);
      else
        out = kindNode(flags.multiLine ? Node::Kind::EndLine : Node::Kind::EndText);
      return true;
    }
    if (c != '\\') {
      ++i_;
      out = bytesNode(literal(flags, static_cast<unsigned char>(c)));
      return true;
    }
    if (i_ + 1 >= p_.size()) return fail("trailing backslash at end of expression", "");
    const char e = p_[i_ + 1];
    if (!unsupportedEscape(e)) return false;
    switch (e) {
      case 'A':
        out = kindNode(Node::Kind::BeginText);
        break;
      case 'z':
        out = kindNode(Node::Kind::EndText);
        break;
      case 'b':
        out = kindNode(Node::Kind::WordBoundary);
        break;
      case 'B':
        out = kindNode(Node::Kind::NoWordBoundary);
        break;
      default:
        break;
    }
    if (out) {
      i_ += 2;
      return true;
    }
    ByteSet set;
    if (perlClass(e, set)) {
      i_ += 2;
      out = bytesNode(set);
      return true;
    }
    uint32_t cp = 0;
    if (!charEscape(cp)) return false;
    if (cp < 0x80) {
      out = bytesNode(literal(flags, static_cast<unsigned char>(cp)));
    } else {
      Node sequence = kindNode(Node::Kind::Concat);
      appendUtf8(cp, sequence);
      out = std::move(sequence);
    }
    return true;
  }

  bool group(Flags& flags, int depth, std::optional<Node>& out) {
    const size_t start = i_;
    ++i_;
    Flags inner = flags;
    int capture = 0;
    if (i_ < p_.size() && p_[i_] == '?') {
      const std::string_view rest = p_.substr(i_);
      if (rest.substr(0, 3) == "?P<" ||
          (rest.substr(0, 2) == "?<" && rest.size() > 2 && rest[2] != '=' && rest[2] != '!')) {
        const size_t nameStart = i_ + (rest[1] == 'P' ? 3 : 2);
        const size_t close = p_.find('>', nameStart);
        if (close == std::string_view::npos) return fail("invalid named capture", p_.substr(start));
        const std::string_view name = p_.substr(nameStart, close - nameStart);
        bool valid = !name.empty();
        for (char n : name) valid = valid && isWordByte(n);
        if (!valid) return fail("invalid named capture", p_.substr(start, close + 1 - start));
        if (!names_.insert(std::string(name)).second)
          return fail("duplicate capture group name", p_.substr(start, close + 1 - start));
        capture = ++captures_;
        i_ = close + 1;
      } else {
        // Flags: "(?i)" for the rest of this group, "(?i:...)" for a group of its own.
        ++i_;
        bool negate = false, any = false, flagAfterMinus = true;
        while (true) {
          if (i_ >= p_.size()) return fail("missing closing )", p_.substr(start));
          const char f = p_[i_++];
          bool* flag = nullptr;
          switch (f) {
            case 'i':
              flag = &inner.foldCase;
              break;
            case 'm':
              flag = &inner.multiLine;
              break;
            case 's':
              flag = &inner.dotNewline;
              break;
            case 'U':
              flag = &inner.ungreedy;
              break;
            default:
              break;
          }
          if (flag) {
            *flag = !negate;
            any = flagAfterMinus = true;
            continue;
          }
          if (f == '-' && !negate) {
            negate = true;
            flagAfterMinus = false;  // "(?i-)" is invalid: a '-' needs a flag after it
            continue;
          }
          // "(?:" is a plain non-capturing group; "(?)" sets nothing and is refused.
          if (flagAfterMinus && (f == ':' || (f == ')' && any))) {
            if (f == ')') {
              flags = inner;  // applies from here to the end of the enclosing group
              return true;
            }
            break;
          }
          return fail("invalid or unsupported Perl syntax", p_.substr(start, i_ - start));
        }
      }
    } else {
      capture = ++captures_;
    }
    Node body;
    if (!alternation(inner, depth + 1, body)) return false;
    if (i_ >= p_.size() || p_[i_] != ')') return fail("missing closing )", p_);
    ++i_;
    if (capture == 0) {
      out = std::move(body);
      return true;
    }
    Node node = kindNode(Node::Kind::Capture);
    node.capture = capture;
    node.children.push_back(std::move(body));
    out = std::move(node);
    return true;
  }

  bool characterClass(const Flags& flags, std::optional<Node>& out) {
    const size_t start = i_;
    ++i_;
    bool negate = false;
    if (i_ < p_.size() && p_[i_] == '^') {
      negate = true;
      ++i_;
    }
    ByteSet set;
    bool first = true;
    while (true) {
      if (i_ >= p_.size()) return fail("missing closing ]", p_.substr(start));
      const char c = p_[i_];
      if (c == ']' && !first) {
        ++i_;
        break;
      }
      first = false;
      if (c == '[' && i_ + 1 < p_.size() && p_[i_ + 1] == ':') {
        const size_t close = p_.find(":]", i_ + 2);
        if (close != std::string_view::npos) {
          std::string_view name = p_.substr(i_ + 2, close - i_ - 2);
          const bool negated = !name.empty() && name[0] == '^';
          if (negated) name.remove_prefix(1);
          ByteSet posix;
          if (!posixClass(name, posix))
            return fail("invalid character class range", p_.substr(i_, close + 2 - i_));
          set |= negated ? ~posix : posix;
          i_ = close + 2;
          continue;
        }
      }
      if (c == '\\' && i_ + 1 < p_.size()) {
        if (!unsupportedEscape(p_[i_ + 1])) return false;
        if (perlClass(p_[i_ + 1], set)) {
          i_ += 2;
          continue;
        }
      }
      const size_t itemStart = i_;
      uint32_t lo = 0, hi = 0;
      if (!classChar(lo)) return false;
      hi = lo;
      if (i_ + 1 < p_.size() && p_[i_] == '-' && p_[i_ + 1] != ']') {
        ++i_;
        if (p_[i_] == '\\' && i_ + 1 < p_.size()) {
          ByteSet unused;
          if (perlClass(p_[i_ + 1], unused) || p_[i_ + 1] == 'p' || p_[i_ + 1] == 'P')
            return fail("invalid character class range", p_.substr(itemStart, i_ + 2 - itemStart));
        }
        if (!classChar(hi)) return false;
        if (hi < lo) return fail("invalid character class range", p_.substr(itemStart, i_ - itemStart));
      }
      if (hi > 0x7F)
        return fail("non-ASCII characters in a class are not supported in path patterns",
                    p_.substr(itemStart, i_ - itemStart));
      addRange(set, static_cast<int>(lo), static_cast<int>(hi));
    }
    if (flags.foldCase) foldCase(set);
    if (negate) set.flip();
    out = bytesNode(set);
    return true;
  }

  bool classChar(uint32_t& cp) {
    if (p_[i_] == '\\') return charEscape(cp);
    cp = static_cast<unsigned char>(p_[i_++]);
    return true;
  }

  std::string_view p_;
  size_t i_ = 0;
  int captures_ = 0;
  std::set<std::string> names_;
  std::string error_;
};

}  // namespace

std::optional<Syntax> parseRegex(std::string_view pattern, std::string& error) {
  return Parser(pattern).run(error);
}

}  // namespace sluice::config::regex
