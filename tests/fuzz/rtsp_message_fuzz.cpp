// module: rtsp
// Feeds arbitrary bytes to RtspStreamParser in uneven chunks (the first byte picks the
// chunk size), through its own buffer and through a shared one, checks that both give the
// same items and that every parsed message re-serializes into something the parser accepts
// again.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "rtsp/RtspStreamParser.h"

using sluice::rtsp::RtspStreamParser;

namespace {

void reparse(const std::string& wire) {
  RtspStreamParser p;
  size_t taken = p.feed(reinterpret_cast<const uint8_t*>(wire.data()), wire.size());
  if (taken != wire.size()) return;  // larger than the initial buffer: fine, not checked
  auto r = p.next();
  if (r != RtspStreamParser::Result::Request && r != RtspStreamParser::Result::Response) std::abort();
}

// Parses the input in reads of `chunk` bytes, through the parser's own buffer or a shared
// one (prepareIn/release, as camera connections read), and lists what came out.
std::vector<std::string> parseAll(const uint8_t* data, size_t size, size_t chunk, std::span<uint8_t> shared) {
  RtspStreamParser::Limits limits;
  limits.maxBodyBytes = 4096;  // keeps growth paths reachable with small inputs
  limits.initialCapacity = shared.empty() ? limits.initialCapacity : 1024;
  RtspStreamParser parser(limits);
  std::vector<std::string> items;
  size_t off = 0;
  for (;;) {
    auto space = shared.empty() ? parser.prepare() : parser.prepareIn(shared);
    if (space.empty()) break;  // only after an error
    size_t n = std::min({chunk, space.size(), size - off});
    std::memcpy(space.data(), data + off, n);
    parser.commit(n);
    off += n;
    for (;;) {
      auto r = parser.next();
      if (r == RtspStreamParser::Result::NeedMore) break;
      if (r == RtspStreamParser::Result::Error) {
        items.emplace_back("error");
        return items;
      }
      if (r == RtspStreamParser::Result::Interleaved) {
        // Touch every byte so a sanitizer sees any view past the buffer.
        const auto& f = parser.frame();
        items.emplace_back(reinterpret_cast<const char*>(f.data), f.size);
        items.back() += static_cast<char>(f.channel);
      } else if (r == RtspStreamParser::Result::Request) {
        items.push_back(parser.request().serialize());
        reparse(items.back());
      } else {
        items.push_back(parser.response().serialize());
        reparse(items.back());
      }
    }
    parser.release();
    if (off == size) break;
  }
  return items;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t chunk = 1 + data[0] % 64;
  if (data[0] & 0x40) chunk *= 1024;  // reads as large as a camera connection's
  ++data;
  --size;
  static std::vector<uint8_t> shared(RtspStreamParser::kMinSharedBuffer);
  // The same items whichever buffer the reads go to; the shared one's old contents never leak.
  std::fill(shared.begin(), shared.end(), 0xa5);
  if (parseAll(data, size, chunk, {}) != parseAll(data, size, chunk, shared)) std::abort();
  return 0;
}
