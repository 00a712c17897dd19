#include "rtsp/RtspSharedReadBuffer.h"

#include <memory>

#include "rtsp/RtspStreamParser.h"

namespace sluice::rtsp {

std::span<uint8_t> threadReadBuffer() {
  constexpr size_t kSize = RtspStreamParser::kMinSharedBuffer;
  thread_local std::unique_ptr<uint8_t[]> buffer;  // owned by the thread
  if (!buffer) buffer = std::make_unique_for_overwrite<uint8_t[]>(kSize);
  return {buffer.get(), kSize};
}

}  // namespace sluice::rtsp
