// Runs a libFuzzer target without libFuzzer: every file of the seed corpus, then a
// bounded number of random mutations of them (deterministic seed), so that a target is
// exercised by plain ctest under g++. A crash or sanitizer report fails the test.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  std::vector<std::vector<uint8_t>> seeds;
  if (argc > 1 && std::filesystem::is_directory(argv[1])) {
    for (const auto& e : std::filesystem::directory_iterator(argv[1])) {
      std::ifstream in(e.path(), std::ios::binary);
      seeds.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
  }
  if (seeds.empty()) seeds.push_back({});
  for (const auto& s : seeds) LLVMFuzzerTestOneInput(s.data(), s.size());
  std::mt19937 rng(12345);
  const int iterations = 20000;
  for (int i = 0; i < iterations; ++i) {
    std::vector<uint8_t> buf = seeds[rng() % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits; ++e) {
      switch (rng() % 4) {
        case 0:
          if (!buf.empty()) buf[rng() % buf.size()] = static_cast<uint8_t>(rng());
          break;
        case 1:
          buf.insert(buf.begin() + (buf.empty() ? 0 : rng() % buf.size()), static_cast<uint8_t>(rng()));
          break;
        case 2:
          if (!buf.empty()) buf.erase(buf.begin() + rng() % buf.size());
          break;
        case 3:
          if (!buf.empty()) buf.resize(rng() % (buf.size() + 1));
          break;
      }
    }
    LLVMFuzzerTestOneInput(buf.data(), buf.size());
  }
  std::printf("%zu seeds, %d mutations: ok\n", seeds.size(), iterations);
  return 0;
}
