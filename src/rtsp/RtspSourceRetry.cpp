#include "rtsp/RtspSourceRetry.h"

namespace sluice::rtsp {

RtspSourceRetry::RtspSourceRetry(boost::asio::io_context& io, std::chrono::milliseconds pause)
    : timer_(io), pause_(pause), generation_(std::make_shared<uint64_t>(0)) {}

RtspSourceRetry::~RtspSourceRetry() { cancel(); }

void RtspSourceRetry::schedule(std::function<void()> restart) {
  uint64_t mine = ++*generation_;
  pending_ = true;
  timer_.expires_after(pause_);
  // The generation check (not the error code) decides: a cancelled wait whose handler was
  // already queued must not run either.
  timer_.async_wait(
      [this, generation = generation_, mine, restart = std::move(restart)](const boost::system::error_code&) {
        if (*generation != mine) return;
        pending_ = false;
        restart();
      });
}

void RtspSourceRetry::cancel() {
  ++*generation_;
  pending_ = false;
  timer_.cancel();
}

}  // namespace sluice::rtsp
