#include "auth/FailureGuard.h"

#include <algorithm>


namespace sluice::auth {

bool FailureGuard::idle(const Entry& e, Clock::time_point now) const {
  return now >= e.blockedUntil && now - e.windowStart >= options_.window;
}

void FailureGuard::prune(Clock::time_point now) {
  for (auto it = clients_.begin(); it != clients_.end();) {
    it = idle(it->second, now) ? clients_.erase(it) : std::next(it);
  }
}

bool FailureGuard::blocked(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = clients_.find(key);
  return it != clients_.end() && now < it->second.blockedUntil;
}

bool FailureGuard::recordFailure(const std::string& key, Clock::time_point now) {
  if (options_.maxFailures <= 0) return false;  // counting disabled
  std::lock_guard lock(mutex_);
  auto it = clients_.find(key);
  if (it == clients_.end()) {
    if (clients_.size() >= options_.maxClients) prune(now);
    if (clients_.size() >= options_.maxClients) return false;
    it = clients_.emplace(key, Entry{now, 0, {}}).first;
  }
  Entry& e = it->second;
  if (now - e.windowStart >= options_.window) {
    e.windowStart = now;
    e.failures = 0;
  }
  if (++e.failures <= options_.maxFailures || now < e.blockedUntil) return false;
  e.blockedUntil = now + options_.block;
  // The next window starts when the block ends, so a blocked client gets maxFailures fresh
  // tries afterwards, not one.
  e.windowStart = e.blockedUntil;
  e.failures = 0;
  return true;
}

size_t FailureGuard::trackedClients() const {
  std::lock_guard lock(mutex_);
  return clients_.size();
}

}  // namespace sluice::auth
