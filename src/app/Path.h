#pragma once
// A configured path: its stream (on one worker) and the source that feeds it.
#include <memory>
#include <string>

#include "app/Source.h"
#include "config/Config.h"
#include "core/WorkerPool.h"
#include "stream/Stream.h"

namespace sluice::app {

class Path {
 public:
  Path(config::PathConfig conf, core::Worker& worker, const config::Config& global);
  ~Path();

  const std::string& name() const { return conf_.name; }
  const config::PathConfig& conf() const { return conf_; }
  core::Worker& worker() { return worker_; }
  std::shared_ptr<stream::Stream> stream() const { return stream_; }
  bool ready() const { return stream_->ready(); }
  const char* sourceKind() const { return source_ ? source_->kind() : nullptr; }

  // Starts/stops the source on the path's worker (posted; safe from any thread).
  void start();
  // Blocks until the source is stopped on its worker.
  void stop();

 private:
  config::PathConfig conf_;
  core::Worker& worker_;
  std::shared_ptr<stream::Stream> stream_;
  std::unique_ptr<Source> source_;
};

}  // namespace sluice::app
