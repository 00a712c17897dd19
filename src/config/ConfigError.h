#pragma once
#include <stdexcept>
#include <string>

namespace sluice::config {

// A problem that stops loading. Loading stops at the first one, as MediaMTX does, so the
// message is thrown from where it is found and already names its location.
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace sluice::config
