#include "core/Random.h"

#include <fmt/format.h>

#include <mutex>
#include <random>

namespace sluice::core {
namespace {
std::mutex gMutex;
std::mt19937_64& engine() {
  static std::mt19937_64 e{[] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }()};
  return e;
}
}  // namespace

uint32_t random32() {
  std::lock_guard lock(gMutex);
  return static_cast<uint32_t>(engine()());
}

std::string randomAlnum(size_t n) {
  static const char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::lock_guard lock(gMutex);
  std::string out(n, 'a');
  for (auto& c : out) c = kChars[engine()() % (sizeof(kChars) - 1)];
  return out;
}

std::string randomUuid() {
  uint64_t a, b;
  {
    std::lock_guard lock(gMutex);
    a = engine()();
    b = engine()();
  }
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xffff, a & 0xffff, b >> 48,
                     b & 0xffffffffffffULL);
}

}  // namespace sluice::core
