#pragma once
// The built-in `demo` source: loops the embedded 1080p30 clip at real-time pace as if it
// were a camera, RTP-packetized, through the same ingest path as an RTSP camera.
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <vector>

#include "app/Source.h"
#include "media/AnnexB.h"
#include "media/H264Packetizer.h"
#include "stream/Stream.h"

namespace sluice::app {

class DemoSource : public Source {
 public:
  DemoSource(boost::asio::io_context& io, std::shared_ptr<stream::Stream> stream, std::string pathName);
  void start() override;
  void stop() override;
  const char* kind() const override { return "demoSource"; }

 private:
  void schedule();
  void sendNext();

  boost::asio::io_context& io_;
  std::shared_ptr<stream::Stream> stream_;
  std::string path_;
  boost::asio::steady_timer timer_;
  std::vector<std::vector<media::NalUnitSpan>> units_;  // point into the embedded clip
  size_t next_ = 0;
  uint16_t seq_ = 0;
  uint32_t timestamp_ = 0;
  uint32_t ssrc_ = 0;
  bool running_ = false;
  std::chrono::steady_clock::time_point due_;
  std::vector<uint8_t> packet_;
  media::H264Packetizer packetizer_;
};

}  // namespace sluice::app
