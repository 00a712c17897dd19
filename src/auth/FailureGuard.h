#pragma once
// The second half of the brute-force defence (the first is MediaMTX's random 0-4 s pause
// before each wrong-credentials 401, deniedResponseDelay()). The pause alone does not slow a
// client that sends its guesses in parallel, so failures are also counted per client: past
// `maxFailures` wrong credentials within `window`, that client's further attempts that carry
// credentials are refused at once (429) for `block`, without the password being checked.
// Requests without credentials are never blocked (they guess nothing).
//
// Clients are counted by core::clientKey (an IPv4 address or an IPv6 /64).
// Memory is bounded by `maxClients`: when the table is full, clients with no failure in the
// window and no block are forgotten, and a client that still finds no room is not counted
// (it keeps getting the pause). Thread-safe; every call is O(1) but the pruning, which runs
// only when the table is full.
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sluice::auth {

struct FailureGuardOptions {
  int maxFailures = 10;                       // wrong credentials allowed per client per window
  std::chrono::milliseconds window{60'000};   // counting window, from the client's first failure
  std::chrono::milliseconds block{60'000};    // refusal time once maxFailures is passed
  size_t maxClients = 65'536;                 // clients tracked at most
};

class FailureGuard {
 public:
  using Clock = std::chrono::steady_clock;

  explicit FailureGuard(FailureGuardOptions options = {}) : options_(options) {}

  // True while `key` is blocked.
  bool blocked(const std::string& key, Clock::time_point now = Clock::now());
  // Counts one wrong-credentials attempt. True when this one starts a block.
  bool recordFailure(const std::string& key, Clock::time_point now = Clock::now());

  const FailureGuardOptions& options() const { return options_; }
  size_t trackedClients() const;

 private:
  struct Entry {
    Clock::time_point windowStart;
    int failures = 0;
    Clock::time_point blockedUntil{};
  };
  bool idle(const Entry& e, Clock::time_point now) const;
  void prune(Clock::time_point now);

  const FailureGuardOptions options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> clients_;
};

}  // namespace sluice::auth
