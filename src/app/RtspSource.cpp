#include "app/RtspSource.h"

#include <boost/asio/post.hpp>

#include "core/Log.h"
#include "core/UrlRedaction.h"
#include "media/TrackCodec.h"

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
media::TrackDescription describe(const rtsp::RtspTrackInfo& t) {
  return media::describeTrack(t.mediaType, t.payloadType, t.codecName, t.clockRate, t.channels, t.fmtp);
}
}  // namespace

RtspSource::RtspSource(boost::asio::io_context& io, std::shared_ptr<stream::Stream> stream,
                       std::shared_ptr<PathContinuity> continuity, std::string pathName,
                       const config::PathConfig& conf, std::chrono::milliseconds readTimeout,
                       std::chrono::milliseconds writeTimeout)
    : io_(io),
      stream_(std::move(stream)),
      continuity_(std::move(continuity)),
      path_(std::move(pathName)),
      url_(conf.source),
      fingerprint_(conf.sourceFingerprint),
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
  cc.fingerprint = fingerprint_;
  cc.transport = toClientTransport(transport_);
  cc.readTimeout = readTimeout_;
  cc.writeTimeout = writeTimeout_;
  cc.logPrefix = "[path " + path_ + "] ";
  // Every medium Sluice can carry is set up; the rest (ONVIF metadata, JPEG, ...) are named
  // once in the log when the session is ready.
  skipped_.clear();
  cc.wantTrack = [this, described = 0](const rtsp::RtspTrackInfo& t) mutable {
    ++described;
    media::TrackDescription d = describe(t);
    if (d.supported()) return true;
    const auto& reason = std::get<media::UnsupportedCodec>(d.codec).reason;
    skipped_ += (skipped_.empty() ? "" : "; ") +
                ("track " + std::to_string(described) + " (" + t.mediaType + ", ") + reason + ")";
    return false;
  };
  rtsp::RtspClient::Callbacks cb;
  cb.onReady = [this](const rtsp::RtspSessionInfo& info) { onReady(info); };
  cb.onRtp = [this](size_t track, const uint8_t* data, size_t size) {
    if (!live_ || track >= streamTrack_.size() || streamTrack_[track] < 0) return;
    const size_t t = static_cast<size_t>(streamTrack_[track]);
    if (stream_->ingestRtp(t, data, size) == media::IngestError::UndeclaredPayloadType &&
        !undeclaredLogged_[track]) {
      undeclaredLogged_[track] = true;
      log::warn("[path {}] [RTSP source] track {} sends payload type {}, its SDP declared {}: dropped", path_,
                track + 1, data[1] & 0x7f, stream_->format()[t].payloadType);
    }
  };
  cb.onRtcp = [this](size_t track, const uint8_t* data, size_t size) {
    if (live_ && track < streamTrack_.size() && streamTrack_[track] >= 0)
      stream_->ingestRtcp(static_cast<size_t>(streamTrack_[track]), data, size);
  };
  cb.onClosed = [this](const std::string& error) { onClosed(error); };
  streamTrack_.clear();
  if (client_) boost::asio::post(io_, [c = std::shared_ptr<rtsp::RtspClient>(std::move(client_))] {});
  client_ = std::make_unique<rtsp::RtspClient>(io_, cc, std::move(cb));
  client_->start();
}

void RtspSource::onReady(const rtsp::RtspSessionInfo& info) {
  // Video first, then audio, each in the camera's order (stream/StreamFormat.h says why).
  std::vector<media::TrackDescription> described;
  for (const auto& t : info.tracks) described.push_back(describe(t));
  stream::StreamFormat format;
  streamTrack_.assign(info.tracks.size(), -1);
  undeclaredLogged_.assign(info.tracks.size(), false);
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < described.size(); ++i) {
      if (described[i].isVideo() != (pass == 0) || format.size() >= stream::kMaxSourceTracks) continue;
      streamTrack_[i] = static_cast<int>(format.size());
      format.push_back(described[i]);
    }
  }
  for (const auto& t : format) {
    if (const auto* h264 = std::get_if<media::H264Codec>(&t.codec); h264 && !h264->spropError.empty())
      log::warn("[path {}] [RTSP source] ignoring sprop-parameter-sets: {}", path_, h264->spropError);
    if (const auto* h265 = std::get_if<media::H265Codec>(&t.codec); h265 && !h265->spropError.empty())
      log::warn("[path {}] [RTSP source] ignoring sprop-vps/sps/pps: {}", path_, h265->spropError);
  }
  if (!skipped_.empty())
    log::warn("[path {}] [RTSP source] skipping track(s) Sluice cannot carry: {}", path_, skipped_);
  std::string refusal;
  if (!continuity_->sourceReady(format, refusal)) {
    // close() reports through onClosed(), which schedules the retry.
    closeReason_ = refusal;
    client_->close();
    return;
  }
  live_ = true;
  backoff_ = std::chrono::milliseconds(1000);
  std::string tracks;
  for (const auto& t : format) tracks += (tracks.empty() ? "" : ", ") + t.describe();
  log::info("[path {}] [RTSP source] stream is available and online, {} track{} ({}), over {}", path_,
            format.size(), format.size() == 1 ? "" : "s", tracks, rtsp::rtspTransportName(info.transport));
}

void RtspSource::onClosed(const std::string& clientError) {
  std::string error = closeReason_.empty() ? clientError : closeReason_;
  if (!live_ && !skipped_.empty() && clientError.find("no media that can be read") != std::string::npos)
    error += " (" + skipped_ + ")";
  closeReason_.clear();
  if (live_ && running_) continuity_->sourceGone(error);
  live_ = false;
  // The client is finished when it reports; destroy it after this callback returns.
  if (client_) boost::asio::post(io_, [c = std::shared_ptr<rtsp::RtspClient>(std::move(client_))] {});
  if (!running_) return;
  log::error("[path {}] [RTSP source] {} (source {}); retrying in {} ms", path_, error,
             core::redactUrlPassword(url_), stream_->suspended() ? kWaitingRetry.count() : backoff_.count());
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
