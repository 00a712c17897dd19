#include "webrtc/WebrtcWorker.h"

#include <algorithm>
#include <boost/asio/post.hpp>

#include "core/Clock.h"
#include "webrtc/WebrtcSession.h"

namespace sluice::webrtc {

namespace {
constexpr auto kTickPeriod = std::chrono::milliseconds(50);
}

WebrtcWorker::WebrtcWorker(core::Worker& worker, int udpFd)
    : worker_(worker), fd_(udpFd), egress_(worker.io(), udpFd), timer_(worker.io()) {}

void WebrtcWorker::add(std::shared_ptr<WebrtcSession> session) { sessions_.push_back(std::move(session)); }

void WebrtcWorker::remove(WebrtcSession* session) {
  auto it = std::find_if(sessions_.begin(), sessions_.end(), [&](auto& s) { return s.get() == session; });
  if (it != sessions_.end()) {
    // Keep the session alive until the end of this handler: it may be calling us.
    auto keep = std::move(*it);
    sessions_.erase(it);
    boost::asio::post(io(), [keep] {});
  }
}

void WebrtcWorker::start() { scheduleTick(); }

void WebrtcWorker::stop() {
  stopped_ = true;
  timer_.cancel();
  auto sessions = sessions_;
  for (auto& s : sessions) s->close("server shutting down");
}

void WebrtcWorker::scheduleTick() {
  if (stopped_) return;
  timer_.expires_after(kTickPeriod);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    tick();
    scheduleTick();
  });
}

void WebrtcWorker::tick() {
  int64_t now = core::monotonicUs();
  // Copy: a session may close (and remove itself) during its tick.
  auto sessions = sessions_;
  for (auto& s : sessions) s->tick(now);
}

}  // namespace sluice::webrtc
