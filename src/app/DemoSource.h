#pragma once
// The built-in `demo` source: loops the embedded 1080p30 clip at real-time pace as if it
// were a camera, RTP-packetized, through the same ingest path as an RTSP camera.
#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>

#include "app/ClipPlayer.h"
#include "app/PathContinuity.h"
#include "app/Source.h"

namespace sluice::app {

class DemoSource : public Source {
 public:
  DemoSource(boost::asio::io_context& io, std::shared_ptr<stream::Stream> stream,
             std::shared_ptr<PathContinuity> continuity, std::string pathName);
  void start() override;
  void stop() override;
  const char* kind() const override { return "demoSource"; }

 private:
  std::shared_ptr<PathContinuity> continuity_;  // shared with the path; used on this worker only
  std::string path_;
  ClipPlayer player_;
};

}  // namespace sluice::app
