#include "app/Path.h"

#include <boost/asio/post.hpp>
#include <future>

#include "app/DemoSource.h"
#include "app/OfflineSlate.h"
#include "app/RtspSource.h"
#include "core/Log.h"
#include "media/Mp4H264Reader.h"

namespace sluice::app {

Path::Path(config::PathConfig conf, core::Worker& worker, const config::Config& global, bool dynamic)
    : conf_(std::move(conf)),
      worker_(worker),
      readTimeout_(global.readTimeout),
      writeTimeout_(global.writeTimeout),
      dynamic_(dynamic) {
  stream_ = std::make_shared<stream::Stream>(conf_.name, static_cast<size_t>(global.streamHistoryPackets));
  loadSlate();
  createSource();
}

void Path::loadSlate() {
  if (!conf_.alwaysAvailable) return;
  if (!conf_.alwaysAvailableFile.empty()) {
    // Checked when the configuration was loaded; read again here, as MediaMTX does.
    media::Mp4ReadResult r = media::readMp4H264File(conf_.alwaysAvailableFile);
    if (r.clip) {
      if (!r.skipped.empty()) {
        log::warn("[path {}] alwaysAvailableFile: playing its H264 track only (skipping {} other track(s))",
                  conf_.name, r.skipped.size());
      }
      slate_ = std::make_shared<const media::H264Clip>(std::move(*r.clip));
      return;
    }
    log::error("[path {}] invalid 'alwaysAvailableFile': {}; using the built-in offline slate", conf_.name,
               r.error);
  }
  slate_ = offlineSlateClip();
}

void Path::createSource() {
  const std::string& src = conf_.source;
  continuity_ =
      std::make_shared<PathContinuity>(worker_.io(), stream_, conf_.name, conf_.sourceOfflineGrace, slate_);
  if (src == "demo") {
    source_ = std::make_unique<DemoSource>(worker_.io(), stream_, continuity_, conf_.name);
  } else if (src.rfind("rtsp://", 0) == 0 || src.rfind("rtsps://", 0) == 0) {
    source_ = std::make_unique<RtspSource>(worker_.io(), stream_, continuity_, conf_.name, conf_,
                                           readTimeout_, writeTimeout_);
  }
  if (source_) kind_ = source_->kind();
  if (src == "redirect") kind_ = "redirect";  // no stream: RTSP readers are sent elsewhere
}

Path::~Path() { stop(); }

void Path::start() {
  if (running_) return;
  if (!continuity_) createSource();  // a stopped on-demand source starts afresh
  if (!source_ && !slate_) return;   // nothing to play (a publisher path without alwaysAvailable)
  running_ = true;
  boost::asio::post(worker_.io(), [continuity = continuity_, source = source_.get()] {
    continuity->open();
    if (source) source->start();
  });
}

void Path::stop() {
  running_ = false;
  if (publisher) {
    publisher->kick();  // its end reaches the continuity being closed below, which ignores it
    publisher.reset();
  }
  if (!continuity_) return;
  // The source is stopped and destroyed on its own worker, after the completion handlers
  // its stop() cancelled have run (they are queued before the destruction). The readers
  // are closed: the path itself goes away or restarts.
  auto done = std::make_shared<std::promise<void>>();
  auto f = done->get_future();
  boost::asio::io_context& io = worker_.io();
  boost::asio::post(io, [&io, source = std::shared_ptr<Source>(std::move(source_)),
                         continuity = std::move(continuity_), done]() mutable {
    if (source) source->stop();
    continuity->close("source stopped");
    boost::asio::post(io, [source = std::move(source), continuity = std::move(continuity)] {});
    done->set_value();
  });
  if (f.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    log::warn("[path {}] source did not stop within 5 s", conf_.name);
  }
}

}  // namespace sluice::app
