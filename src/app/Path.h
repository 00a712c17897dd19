#pragma once
// A configured path: its stream (on one worker), the source that feeds it, and the
// continuity that keeps the stream's readers across the source's restarts (PathContinuity).
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "app/PathContinuity.h"
#include "app/Source.h"
#include "config/Config.h"
#include "core/WorkerPool.h"
#include "stream/Stream.h"

namespace sluice::app {

class Path {
 public:
  // `dynamic`: created for one name matched by a regex path (removed when not needed).
  Path(config::PathConfig conf, core::Worker& worker, const config::Config& global, bool dynamic = false);
  ~Path();

  const std::string& name() const { return conf_.name; }
  const config::PathConfig& conf() const { return conf_; }
  core::Worker& worker() { return worker_; }
  std::shared_ptr<stream::Stream> stream() const { return stream_; }
  bool ready() const { return stream_->ready(); }
  const char* sourceKind() const { return kind_; }
  bool running() const { return running_; }
  bool dynamic() const { return dynamic_; }
  // When an on-demand path lost its last reader (control thread bookkeeping).
  std::optional<std::chrono::steady_clock::time_point> idleSince;

  // A source that publishes into the path (an RTSP session after RECORD): who it is and how to
  // close it. Control thread.
  struct Publisher {
    std::string sessionId;
    std::function<void()> kick;  // thread-safe
  };
  std::optional<Publisher> publisher;
  // Whether the path takes publishers: its source is 'publisher' (MediaMTX's default).
  bool takesPublishers() const { return conf_.source == "publisher" || conf_.source.empty(); }
  // Whether a reader's request starts something and waits for it: a sourceOnDemand source, or
  // the runOnDemand command of a publisher path.
  bool onDemand() const { return conf_.sourceOnDemand || (takesPublishers() && !conf_.runOnDemand.empty()); }
  // Ready with a live source (not the offline slate of alwaysAvailable). Control thread.
  bool online() const { return ready() && (!conf_.alwaysAvailable || (continuity_ && continuity_->live())); }
  // The path's continuity, for a publisher's source reports (used on the worker only); null
  // while the path is stopped.
  std::shared_ptr<PathContinuity> continuity() const { return continuity_; }

  // Starts/stops the source (and the offline slate) on the path's worker (posted; safe from
  // any thread).
  void start();
  // Blocks until the source is stopped on its worker.
  void stop();

 private:
  config::PathConfig conf_;
  core::Worker& worker_;
  std::shared_ptr<stream::Stream> stream_;
  std::unique_ptr<Source> source_;
  std::shared_ptr<PathContinuity> continuity_;  // shared with the source; used on the worker only
  std::shared_ptr<const media::H264Clip> slate_;  // alwaysAvailable: the offline clip, else null
  std::chrono::milliseconds readTimeout_, writeTimeout_;
  const char* kind_ = nullptr;
  bool running_ = false;
  bool dynamic_ = false;

  void createSource();
  void loadSlate();
};

}  // namespace sluice::app
