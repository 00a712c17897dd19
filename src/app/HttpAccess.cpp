#include "app/HttpAccess.h"

#include "app/App.h"

namespace sluice::app {

http::AccessCheck makeHttpAccessCheck(App&) { return http::loopbackOnlyAccess(); }

}  // namespace sluice::app
