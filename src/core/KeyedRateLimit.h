#pragma once
// "Log once per client per interval": log::RateLimit keyed by a string (a client's IP), so
// that a flood of refused requests from one client costs one log line per interval while
// another client's first refusal is still logged at once. Not thread-safe: each owner uses it
// from one thread or under its own lock. Memory is bounded: past `maxKeys` tracked keys,
// keys idle for an interval are forgotten, and if that is not enough a new key is not
// tracked (its events count towards overflowSuppressed() and are logged with the next
// allowed event of any key).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sluice::core {

class KeyedRateLimit {
 public:
  using Clock = std::chrono::steady_clock;

  explicit KeyedRateLimit(std::chrono::milliseconds interval = std::chrono::seconds(10),
                          size_t maxKeys = 4096)
      : interval_(interval), maxKeys_(maxKeys) {}

  // True when an event for `key` may be logged now; `suppressed` then holds how many events
  // of that key were swallowed since its last permitted one.
  bool allow(std::string_view key, uint64_t& suppressed, Clock::time_point now = Clock::now()) {
    auto it = entries_.find(std::string(key));
    if (it == entries_.end()) {
      if (entries_.size() >= maxKeys_) forgetIdle(now);
      if (entries_.size() >= maxKeys_) {
        ++overflow_;
        return false;
      }
      entries_.emplace(std::string(key), Entry{now, 0});
      suppressed = overflow_;
      overflow_ = 0;
      return true;
    }
    Entry& e = it->second;
    if (now - e.last < interval_) {
      ++e.suppressed;
      return false;
    }
    suppressed = e.suppressed;
    e = Entry{now, 0};
    return true;
  }

  size_t trackedKeys() const { return entries_.size(); }
  uint64_t overflowSuppressed() const { return overflow_; }

 private:
  struct Entry {
    Clock::time_point last;
    uint64_t suppressed = 0;
  };

  void forgetIdle(Clock::time_point now) {
    for (auto it = entries_.begin(); it != entries_.end();) {
      it = (now - it->second.last >= interval_) ? entries_.erase(it) : std::next(it);
    }
  }

  std::chrono::milliseconds interval_;
  size_t maxKeys_;
  std::unordered_map<std::string, Entry> entries_;
  uint64_t overflow_ = 0;
};

}  // namespace sluice::core
