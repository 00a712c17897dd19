#pragma once
// Loops an H.264 clip into a stream at real-time pace, RTP-packetized, through the same
// ingest (shaping, history, fan-out) as a camera: the demo source and the offline slate.
// Every start() begins at the clip's first frame (an IDR) with fresh RTP bases; the stream's
// output timeline makes that continuous for its readers. Lives on the stream's worker.
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <vector>

#include "media/H264Clip.h"
#include "media/H264Packetizer.h"
#include "stream/Stream.h"

namespace sluice::app {

class ClipPlayer {
 public:
  ClipPlayer(boost::asio::io_context& io, std::shared_ptr<stream::Stream> stream,
             std::shared_ptr<const media::H264Clip> clip);
  void start();
  void stop();
  bool running() const { return running_; }
  const media::H264Clip& clip() const { return *clip_; }

 private:
  void sendNext();

  std::shared_ptr<stream::Stream> stream_;
  std::shared_ptr<const media::H264Clip> clip_;  // shared, immutable
  boost::asio::steady_timer timer_;
  media::H264Packetizer packetizer_;
  std::vector<uint8_t> packet_;  // sized once
  size_t next_ = 0;
  uint16_t seq_ = 0;
  uint32_t ssrc_ = 0;
  uint32_t decodeTime_ = 0;  // RTP clock of the next frame's decoding
  bool running_ = false;
  uint64_t generation_ = 0;
  std::chrono::steady_clock::time_point due_;
};

}  // namespace sluice::app
