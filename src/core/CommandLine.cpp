#include "core/CommandLine.h"

namespace sluice::core {

std::optional<std::vector<std::string>> splitCommandLine(std::string_view line, std::string& error) {
  std::vector<std::string> words;
  std::string word;
  bool inWord = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (inWord) words.push_back(std::move(word));
      word.clear();
      inWord = false;
    } else if (c == '\\') {
      if (i + 1 == line.size()) {
        error = "the command ends with a backslash";
        return std::nullopt;
      }
      ++i;
      if (line[i] != '\n') word += line[i];  // backslash-newline continues the line
      inWord = true;
    } else if (c == '\'') {
      const size_t end = line.find('\'', i + 1);
      if (end == std::string_view::npos) {
        error = "unterminated single quote in the command";
        return std::nullopt;
      }
      word.append(line.substr(i + 1, end - i - 1));
      i = end;
      inWord = true;
    } else if (c == '"') {
      size_t j = i + 1;
      for (; j < line.size() && line[j] != '"'; ++j) {
        if (line[j] == '\\' && j + 1 < line.size() &&
            (line[j + 1] == '"' || line[j + 1] == '\\' || line[j + 1] == '$' || line[j + 1] == '`')) {
          ++j;
        }
        word += line[j];
      }
      if (j == line.size()) {
        error = "unterminated double quote in the command";
        return std::nullopt;
      }
      i = j;
      inWord = true;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push_back(std::move(word));
  return words;
}

namespace {
bool isNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
}  // namespace

std::string expandVariables(std::string_view word,
                            const std::function<std::optional<std::string>(std::string_view)>& lookup) {
  std::string out;
  for (size_t i = 0; i < word.size(); ++i) {
    if (word[i] != '$' || i + 1 == word.size()) {
      out += word[i];
      continue;
    }
    std::string_view name;
    size_t end = 0;
    if (word[i + 1] == '{') {
      const size_t close = word.find('}', i + 2);
      if (close == std::string_view::npos) {
        out += word[i];
        continue;
      }
      name = word.substr(i + 2, close - i - 2);
      end = close + 1;
    } else {
      size_t j = i + 1;
      while (j < word.size() && isNameChar(word[j])) ++j;
      name = word.substr(i + 1, j - i - 1);
      end = j;
    }
    if (name.empty()) {
      out += word[i];
      continue;
    }
    if (std::optional<std::string> value = lookup(name)) out += *value;
    i = end - 1;
  }
  return out;
}

}  // namespace sluice::core
