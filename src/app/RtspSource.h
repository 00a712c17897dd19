#pragma once
// A path's camera: an RtspClient pulling the configured URL into the path's stream, and
// reconnecting with a bounded back-off (1 s doubling to 5 s; MediaMTX uses a fixed 5 s; every
// 0.5 s while viewers are kept waiting for it) for as long as the path is configured. Its
// coming and going is reported to the path's PathContinuity (which keeps viewers across a
// restart); its RTP goes straight to the stream.
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "app/PathContinuity.h"
#include "app/Source.h"
#include "config/Config.h"
#include "rtsp/RtspClient.h"
#include "stream/Stream.h"

namespace sluice::app {

class RtspSource : public Source {
 public:
  RtspSource(boost::asio::io_context& io, std::shared_ptr<stream::Stream> stream,
             std::shared_ptr<PathContinuity> continuity, std::string pathName, const config::PathConfig& conf,
             std::chrono::milliseconds readTimeout, std::chrono::milliseconds writeTimeout);
  ~RtspSource() override;
  void start() override;
  void stop() override;
  const char* kind() const override { return "rtspSource"; }

 private:
  void connect();
  void onReady(const rtsp::RtspSessionInfo& info);
  void onClosed(const std::string& error);

  boost::asio::io_context& io_;
  std::shared_ptr<stream::Stream> stream_;
  std::shared_ptr<PathContinuity> continuity_;  // shared with the path; used on this worker only
  std::string path_;
  std::string url_;
  std::string fingerprint_;  // sourceFingerprint (rtsps://)
  config::RtspTransport transport_;
  std::chrono::milliseconds readTimeout_, writeTimeout_;
  boost::asio::steady_timer retryTimer_;
  std::unique_ptr<rtsp::RtspClient> client_;
  std::vector<int> streamTrack_;        // by client track: the stream's track index, -1 if none
  std::vector<bool> undeclaredLogged_;  // by client track: an undeclared payload type was logged
  std::string skipped_;                 // media not set up, for the log
  std::string closeReason_;             // our own reason for closing, reported instead of "terminated"
  bool running_ = false;
  bool live_ = false;  // reported ready to the continuity, not yet gone
  std::chrono::milliseconds backoff_{1000};
};

}  // namespace sluice::app
