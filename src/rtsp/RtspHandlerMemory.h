#pragma once
// The RTSP client's handler memory is core's (see core/HandlerMemory.h): its socket reads
// and timers re-arm themselves without touching the heap.
#include <utility>

#include "core/HandlerMemory.h"

namespace sluice::rtsp {

using RtspHandlerMemory = core::HandlerMemory;

template <class Handler>
auto bindHandlerMemory(RtspHandlerMemory& memory, Handler handler) {
  return core::withMemory(memory, std::move(handler));
}

}  // namespace sluice::rtsp
