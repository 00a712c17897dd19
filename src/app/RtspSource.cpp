#include "app/RtspSource.h"

#include <boost/asio/post.hpp>

#include "core/Log.h"
#include "core/UrlRedaction.h"
#include "media/H264.h"
#include "media/Sdp.h"

namespace sluice::app {

namespace {
constexpr std::chrono::milliseconds kMaxBackoff{5000};
constexpr std::chrono::milliseconds kWaitingRetry{500};

rtsp::RtspTransport toClientTransport(config::RtspTransport t) {
  switch (t) {
    case config::RtspTransport::Udp:
      return rtsp::RtspTransport::Udp;
    case config::RtspTransport::Tcp:
      return rtsp::RtspTransport::Tcp;
    default:
      return rtsp::RtspTransport::Automatic;  // multicast pulls are not supported yet
  }
}
}  // namespace

RtspSource::RtspSource(boost::asio::io_context& io, std::shared_ptr<stream::Stream> stream,
                       std::shared_ptr<PathContinuity> continuity, std::string pathName,
                       const config::PathConfig& conf,
                       std::chrono::milliseconds readTimeout, std::chrono::milliseconds writeTimeout)
    : io_(io),
      stream_(std::move(stream)),
      continuity_(std::move(continuity)),
      path_(std::move(pathName)),
      url_(conf.source),
      transport_(conf.rtspTransport),
      readTimeout_(readTimeout),
      writeTimeout_(writeTimeout),
      retryTimer_(io) {}

RtspSource::~RtspSource() = default;

void RtspSource::start() {
  running_ = true;
  connect();
}

void RtspSource::stop() {
  running_ = false;
  retryTimer_.cancel();
  if (client_) {
    client_->close();
    // Destroy later: close() may be running inside one of the client's own callbacks.
    boost::asio::post(io_, [c = std::shared_ptr<rtsp::RtspClient>(std::move(client_))] {});
  }
  live_ = false;  // the path closes its stream itself
}

void RtspSource::connect() {
  if (!running_) return;
  rtsp::RtspClientConfig cc;
  cc.url = url_;
  cc.transport = toClientTransport(transport_);
  cc.readTimeout = readTimeout_;
  cc.writeTimeout = writeTimeout_;
  cc.logPrefix = "[path " + path_ + "] ";
  rtsp::RtspClient::Callbacks cb;
  cb.onReady = [this](const rtsp::RtspSessionInfo& info) { onReady(info); };
  cb.onRtp = [this](size_t track, const uint8_t* data, size_t size) {
    if (live_ && static_cast<int>(track) == videoTrack_) stream_->ingestRtp(data, size);
  };
  cb.onClosed = [this](const std::string& error) { onClosed(error); };
  videoTrack_ = -1;
  if (client_) boost::asio::post(io_, [c = std::shared_ptr<rtsp::RtspClient>(std::move(client_))] {});
  client_ = std::make_unique<rtsp::RtspClient>(io_, cc, std::move(cb));
  client_->start();
}

void RtspSource::onReady(const rtsp::RtspSessionInfo& info) {
  std::vector<uint8_t> sps, pps;
  std::string skipped;
  for (size_t i = 0; i < info.tracks.size(); ++i) {
    const rtsp::RtspTrackInfo& t = info.tracks[i];
    bool h264 = t.mediaType == "video" && (t.codecName == "H264" || t.codecName == "h264");
    if (h264 && videoTrack_ < 0) {
      videoTrack_ = static_cast<int>(i);
      auto fmtp = media::parseFmtp(t.fmtp);
      auto it = fmtp.find("sprop-parameter-sets");
      if (it != fmtp.end()) {
        media::H264ParameterSets sets;
        std::string err;
        if (media::parseSpropParameterSets(it->second, sets, err)) {
          sps = sets.sps;
          pps = sets.pps;
        } else {
          log::warn("[path {}] [RTSP source] ignoring sprop-parameter-sets: {}", path_, err);
        }
      }
    } else {
      skipped += (skipped.empty() ? "" : ", ") + (t.codecName.empty() ? t.mediaType : t.codecName);
    }
  }
  if (videoTrack_ < 0) {
    // close() reports through onClosed(), which schedules the retry.
    closeReason_ = "the camera offers no H264 video track (" + skipped + ")";
    client_->close();
    return;
  }
  if (!skipped.empty())
    log::warn("[path {}] [RTSP source] skipping track(s) not supported yet: {}", path_, skipped);
  std::string refusal;
  if (!continuity_->sourceReady(stream::TrackFormat{"H264", std::move(sps), std::move(pps)}, refusal)) {
    closeReason_ = refusal;
    client_->close();
    return;
  }
  live_ = true;
  backoff_ = std::chrono::milliseconds(1000);
  log::info("[path {}] [RTSP source] stream is available and online, 1 track (H264), over {}", path_,
            rtsp::rtspTransportName(info.transport));
}

void RtspSource::onClosed(const std::string& clientError) {
  std::string error = closeReason_.empty() ? clientError : closeReason_;
  closeReason_.clear();
  if (live_ && running_) continuity_->sourceGone(error);
  live_ = false;
  // The client is finished when it reports; destroy it after this callback returns.
  if (client_) boost::asio::post(io_, [c = std::shared_ptr<rtsp::RtspClient>(std::move(client_))] {});
  if (!running_) return;
  log::error("[path {}] [RTSP source] {} (source {}); retrying in {} ms", path_, error, core::redactUrlPassword(url_),
             stream_->suspended() ? kWaitingRetry.count() : backoff_.count());
  // Viewers are waiting through the grace period (sourceOfflineGrace): try again every half
  // second, so they see the camera within a second of its return. A refused connection costs
  // one SYN, and the grace bounds how long (viewers on an offline slate are not waiting).
  const bool readersWaiting = stream_->suspended();
  retryTimer_.expires_after(readersWaiting ? kWaitingRetry : backoff_);
  if (!readersWaiting) backoff_ = std::min(backoff_ * 2, kMaxBackoff);
  retryTimer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) connect();
  });
}

}  // namespace sluice::app
