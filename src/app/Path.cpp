#include "app/Path.h"

#include <boost/asio/post.hpp>
#include <future>

#include "app/DemoSource.h"
#include "app/RtspSource.h"
#include "core/Log.h"

namespace sluice::app {

Path::Path(config::PathConfig conf, core::Worker& worker, const config::Config& global, bool dynamic)
    : conf_(std::move(conf)),
      worker_(worker),
      readTimeout_(global.readTimeout),
      writeTimeout_(global.writeTimeout),
      dynamic_(dynamic) {
  stream_ = std::make_shared<stream::Stream>(conf_.name, static_cast<size_t>(global.streamHistoryPackets));
  createSource();
}

void Path::createSource() {
  const std::string& src = conf_.source;
  if (src == "demo") {
    source_ = std::make_unique<DemoSource>(worker_.io(), stream_, conf_.name);
  } else if (src.rfind("rtsp://", 0) == 0 || src.rfind("rtsps://", 0) == 0) {
    source_ =
        std::make_unique<RtspSource>(worker_.io(), stream_, conf_.name, conf_, readTimeout_, writeTimeout_);
  }
  if (source_) kind_ = source_->kind();
}

Path::~Path() { stop(); }

void Path::start() {
  if (running_) return;
  if (!source_) createSource();  // a stopped on-demand source starts afresh
  if (!source_) return;
  running_ = true;
  Source* source = source_.get();
  boost::asio::post(worker_.io(), [source] { source->start(); });
}

void Path::stop() {
  running_ = false;
  if (!source_) return;
  // The source is stopped and destroyed on its own worker, after the completion handlers
  // its stop() cancelled have run (they are queued before the destruction).
  auto done = std::make_shared<std::promise<void>>();
  auto f = done->get_future();
  boost::asio::io_context& io = worker_.io();
  boost::asio::post(io, [&io, source = std::shared_ptr<Source>(std::move(source_)), done]() mutable {
    source->stop();
    boost::asio::post(io, [source = std::move(source)] {});
    done->set_value();
  });
  if (f.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    log::warn("[path {}] source did not stop within 5 s", conf_.name);
  }
}

}  // namespace sluice::app
