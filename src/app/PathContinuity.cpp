#include "app/PathContinuity.h"

#include "core/Clock.h"
#include "core/Log.h"

namespace sluice::app {

PathContinuity::PathContinuity(boost::asio::io_context& io, std::shared_ptr<stream::Stream> stream,
                               std::string pathName, std::chrono::milliseconds grace,
                               std::shared_ptr<const media::H264Clip> slate)
    : io_(io), stream_(std::move(stream)), path_(std::move(pathName)), grace_(grace), graceTimer_(io) {
  if (slate) slate_ = std::make_unique<ClipPlayer>(io, stream_, std::move(slate));
}

void PathContinuity::open() {
  assertOnWorker();
  open_ = true;
  if (slate_ && !sourceLive_) {
    playSlate();
    log::info("[path {}] stream is available (offline slate, {}x{} H264) until the source is ready", path_,
              slate_->clip().width, slate_->clip().height);
  }
}

void PathContinuity::playSlate() {
  const media::H264Clip& clip = slate_->clip();
  stream_->start(stream::StreamFormat{stream::h264Track(clip.sps, clip.pps)});
  slate_->start();
}

bool PathContinuity::sourceReady(const stream::StreamFormat& format, std::string& refusal) {
  assertOnWorker();
  std::string why;
  if (slate_ && !stream::canContinue(stream_->format(), format, why)) {
    refusal = "the source offers " + stream::describeFormat(format) + ", but the path's offline stream is " +
              stream::describeFormat(stream_->format()) + " (" + why + ")";
    return false;
  }
  graceTimer_.cancel();
  if (slate_) slate_->stop();
  sourceLive_ = true;
  live_.store(true, std::memory_order_relaxed);
  const size_t readers = stream_->readerCount();
  switch (stream_->start(format)) {
    case stream::StartResult::Resumed:
      if (readers > 0) {
        log::info("[path {}] source is back: {} reader(s) continue at its first keyframe", path_, readers);
      }
      break;
    case stream::StartResult::Replaced:
      log::info("[path {}] source is back with other codecs ({}): its {} reader(s) were closed", path_,
                stream::describeFormat(format), readers);
      break;
    case stream::StartResult::Fresh:
      break;
  }
  return true;
}

void PathContinuity::sourceGone(const std::string& reason) {
  assertOnWorker();
  if (!sourceLive_) return;
  sourceLive_ = false;
  live_.store(false, std::memory_order_relaxed);
  if (slate_) {
    if (open_) {
      playSlate();
      log::info("[path {}] stream is offline ({}): {} reader(s) get the offline slate", path_, reason,
                stream_->readerCount());
    }
    return;
  }
  const int64_t graceUs = std::chrono::duration_cast<std::chrono::microseconds>(grace_).count();
  const size_t readers = stream_->readerCount();
  stream_->suspend(reason, graceUs);
  if (stream_->suspended()) {
    log::info("[path {}] source is gone ({}): keeping {} reader(s) for up to {} ms", path_, reason, readers,
              grace_.count());
    armGraceTimer();
  }
}

void PathContinuity::armGraceTimer() {
  graceTimer_.expires_after(std::chrono::microseconds(stream_->graceDeadlineUs() - core::monotonicUs()));
  graceTimer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    if (stream_->suspended() && !stream_->expireSuspension()) armGraceTimer();  // woke a little early
  });
}

void PathContinuity::close(const std::string& reason) {
  assertOnWorker();
  open_ = false;
  sourceLive_ = false;
  live_.store(false, std::memory_order_relaxed);
  graceTimer_.cancel();
  if (slate_) slate_->stop();
  stream_->stop(reason);
}

}  // namespace sluice::app
