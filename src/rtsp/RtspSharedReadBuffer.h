#pragma once
// The buffer a thread reads RTSP media into, shared by every connection it serves: reads on
// one thread never overlap, so 64 cameras on two workers cost two large buffers instead of
// 64 (each connection keeps only a partial frame between reads; RtspStreamParser::prepareIn).
#include <cstdint>
#include <span>

namespace sluice::rtsp {

// The calling thread's buffer (RtspStreamParser::kMinSharedBuffer bytes), made at its first
// use and freed when the thread ends. Valid only on the calling thread.
std::span<uint8_t> threadReadBuffer();

}  // namespace sluice::rtsp
