#pragma once
// The access check of the API, metrics and pprof listeners, from authInternalUsers.
#include "http/AccessGate.h"

namespace sluice::app {

class App;
http::AccessCheck makeHttpAccessCheck(App& app);

}  // namespace sluice::app
