// module: rtsp
// Feeds arbitrary bytes to RtspStreamParser in uneven chunks (the first byte picks the
// chunk size) and checks that every parsed message re-serializes into something the parser
// accepts again.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t chunk = 1 + data[0] % 64;
  ++data;
  --size;
  RtspStreamParser::Limits limits;
  limits.maxBodyBytes = 4096;  // keeps growth paths reachable with small inputs
  RtspStreamParser parser(limits);
  size_t off = 0;
  for (;;) {
    auto space = parser.prepare();
    if (space.empty()) break;  // only after an error
    size_t n = std::min({chunk, space.size(), size - off});
    std::memcpy(space.data(), data + off, n);
    parser.commit(n);
    off += n;
    for (;;) {
      auto r = parser.next();
      if (r == RtspStreamParser::Result::NeedMore || r == RtspStreamParser::Result::Error) break;
      if (r == RtspStreamParser::Result::Interleaved) {
        // Touch every byte so a sanitizer sees any view past the buffer.
        uint8_t acc = 0;
        for (size_t i = 0; i < parser.frame().size; ++i)
          acc = static_cast<uint8_t>(acc ^ parser.frame().data[i]);
        if (parser.frame().size == 0 && acc != 0) std::abort();
      } else if (r == RtspStreamParser::Result::Request) {
        reparse(parser.request().serialize());
      } else {
        reparse(parser.response().serialize());
      }
    }
    if (!parser.error().empty() || off == size) break;
  }
  return 0;
}
