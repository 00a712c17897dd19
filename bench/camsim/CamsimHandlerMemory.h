#pragma once
// The camera simulator's handler memory is core's (see core/HandlerMemory.h).
#include "core/HandlerMemory.h"

namespace sluice::camsim {

using CamsimHandlerMemory = core::HandlerMemory;
using core::withMemory;

}  // namespace sluice::camsim
