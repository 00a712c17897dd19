#pragma once
// The access check of every HTTP listener (WebRTC, API, metrics, pprof), from the app's
// auth::AccessControl (authInternalUsers or the authentication server of authMethod http, plus
// the failure guard), which may answer later. A wrong password is
// answered after MediaMTX's pause, waited on a timer of `io` (the control thread's loop), so
// the listeners keep serving other clients meanwhile.
#include <boost/asio/io_context.hpp>

#include "auth/AccessControl.h"
#include "http/AccessGate.h"

namespace sluice::app {

// `access` must outlive the servers using the check. `protocol` names them in log lines.
http::AccessCheck makeHttpAccessCheck(boost::asio::io_context& io, auth::AccessControl& access,
                                      std::string protocol);

}  // namespace sluice::app
