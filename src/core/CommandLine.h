#pragma once
// Command lines of hooks (runOnInit, runOnReady, ...), read as MediaMTX reads them: split into
// words like a POSIX shell does (blanks separate words; '...' keeps everything; "..." keeps
// everything but \", \\, \$ and \`; a backslash outside quotes escapes the next character), no
// shell run, then $NAME and ${NAME} in each word replaced from the hook's variables or else
// the server's environment.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::core {

// The words of `line`; nullopt with `error` set on an unterminated quote or a trailing backslash.
std::optional<std::vector<std::string>> splitCommandLine(std::string_view line, std::string& error);

// `word` with $NAME / ${NAME} replaced by lookup(NAME) (empty when it has none). NAME is letters,
// digits and '_'; a '$' not followed by one is kept.
std::string expandVariables(std::string_view word,
                            const std::function<std::optional<std::string>(std::string_view)>& lookup);

}  // namespace sluice::core
