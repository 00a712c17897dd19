// module: webrtc
// Feeds arbitrary bytes to the RFC 4571 reader in chunks whose sizes come from the input
// itself, and checks it against a straightforward reference parse of the whole stream:
// same packets in the same order, never a packet of length 0 or above kMaxPacket, an error
// exactly where the reference finds a bad length, and never a read outside the buffer.
#include <cstdlib>
#include <cstring>
#include <vector>

#include "webrtc/Rfc4571Framer.h"

using namespace sluice::webrtc;

namespace {
void check(bool condition) {
  if (!condition) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // First byte: chunk size seed; the rest is the TCP stream.
  const size_t chunkBase = 1 + data[0] % 97;
  const uint8_t* stream = data + 1;
  const size_t streamSize = size - 1;

  // Reference: the packets and whether a bad length ends the stream.
  std::vector<std::pair<size_t, size_t>> expected;  // (offset, length)
  bool expectError = false;
  for (size_t off = 0; off + 2 <= streamSize;) {
    size_t len = (static_cast<size_t>(stream[off]) << 8) | stream[off + 1];
    if (len == 0 || len > Rfc4571Reader::kMaxPacket) {
      expectError = true;
      break;
    }
    if (off + 2 + len > streamSize) break;
    expected.emplace_back(off + 2, len);
    off += 2 + len;
  }

  Rfc4571Reader reader;
  size_t fed = 0, got = 0, chunk = 0;
  bool sawError = false;
  while (!sawError) {
    const uint8_t* p = nullptr;
    size_t n = 0;
    Rfc4571Reader::Status st;
    while ((st = reader.next(p, n)) == Rfc4571Reader::Status::Packet) {
      check(n >= 1 && n <= Rfc4571Reader::kMaxPacket);
      check(got < expected.size());
      check(n == expected[got].second);
      check(std::memcmp(p, stream + expected[got].first, n) == 0);
      ++got;
    }
    if (st == Rfc4571Reader::Status::Error) {
      check(reader.error() != nullptr);
      sawError = true;
      break;
    }
    if (fed == streamSize) break;
    size_t want = std::min(streamSize - fed, chunkBase + (chunk++ * 31) % 1500);
    size_t taken = reader.feed(stream + fed, want);
    check(taken <= want);
    check(taken > 0);  // after next() returned NeedMore there is always room
    fed += taken;
  }
  check(got == expected.size());
  check(sawError == expectError);
  return 0;
}
