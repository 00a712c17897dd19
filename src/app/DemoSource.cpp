#include "app/DemoSource.h"

#include "app/OfflineSlate.h"
#include "core/Log.h"

namespace sluice::app {

DemoSource::DemoSource(boost::asio::io_context& io, std::shared_ptr<stream::Stream> stream,
                       std::shared_ptr<PathContinuity> continuity, std::string pathName)
    : continuity_(std::move(continuity)),
      path_(std::move(pathName)),
      player_(io, std::move(stream), demoVideoClip()) {}

void DemoSource::start() {
  const media::H264Clip& clip = player_.clip();
  std::string refusal;
  if (!continuity_->sourceReady(stream::StreamFormat{stream::h264Track(clip.sps, clip.pps)}, refusal)) {
    log::error("[path {}] [demo source] {}", path_, refusal);
    return;
  }
  log::info("[path {}] [demo source] ready: 1 track (H264), {} frames looping at 30 fps", path_,
            clip.frames.size());
  player_.start();
}

void DemoSource::stop() { player_.stop(); }

}  // namespace sluice::app
