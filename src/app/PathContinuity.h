#pragma once
// What a path's stream does when its source comes and goes, so that viewers survive a
// camera's restart:
//  - without alwaysAvailable, a lost source suspends the stream: viewers stay attached for
//    `sourceOfflineGrace` and continue at the returning source's first keyframe; after the
//    grace (or with another codec) they are closed as before;
//  - with alwaysAvailable, the offline slate (Sluice's own or the operator's MP4) plays
//    whenever no source is ready, from the path's start; the stream stays ready throughout
//    and the source's codec must be the slate's (MediaMTX refuses a source that differs).
// The source reports here; its packets still go straight to the stream. Lives on the
// path's worker (the owner calls everything there).
#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <cassert>
#include <chrono>
#include <memory>
#include <string>

#include "app/ClipPlayer.h"
#include "stream/Stream.h"

namespace sluice::app {

class PathContinuity {
 public:
  // `slate`: the offline clip of an alwaysAvailable path, null otherwise.
  PathContinuity(boost::asio::io_context& io, std::shared_ptr<stream::Stream> stream, std::string pathName,
                 std::chrono::milliseconds grace, std::shared_ptr<const media::H264Clip> slate);

  // The path starts (alwaysAvailable: the slate plays until a source is ready).
  void open();
  // The source is connected and described. False (and why) when the path refuses it.
  bool sourceReady(const stream::StreamFormat& format, std::string& refusal);
  // The source is gone and will try again.
  void sourceGone(const std::string& reason);
  // The path stops: readers are closed.
  void close(const std::string& reason);
  // Whether a live source (not the offline slate) feeds the stream. Any thread (the control
  // thread's hooks ask).
  bool live() const { return live_.load(std::memory_order_relaxed); }

 private:
  void playSlate();
  void armGraceTimer();

  void assertOnWorker() const { assert(io_.get_executor().running_in_this_thread()); }

  boost::asio::io_context& io_;
  std::shared_ptr<stream::Stream> stream_;
  std::string path_;
  std::chrono::milliseconds grace_;
  std::unique_ptr<ClipPlayer> slate_;  // owned; null without alwaysAvailable
  boost::asio::steady_timer graceTimer_;
  bool open_ = false;
  bool sourceLive_ = false;
  std::atomic<bool> live_{false};  // sourceLive_, for other threads
};

}  // namespace sluice::app
