#include "rtsp/RtspClient.h"

#include "core/Log.h"
#include "rtsp/RtspClientConnection.h"
#include "rtsp/RtspText.h"

namespace sluice::rtsp {

const char* rtspTransportName(RtspTransport transport) {
  switch (transport) {
    case RtspTransport::Automatic:
      return "automatic";
    case RtspTransport::Udp:
      return "UDP";
    case RtspTransport::Tcp:
      return "TCP";
  }
  return "?";
}

namespace {
void addStats(RtspClientStats& to, const RtspClientStats& from) {
  to.rtpPackets += from.rtpPackets;
  to.rtpBytes += from.rtpBytes;
  to.rtpPacketsLost += from.rtpPacketsLost;
  to.rtpPacketsInvalid += from.rtpPacketsInvalid;
  to.rtcpPackets += from.rtcpPackets;
  to.foreignUdpPackets += from.foreignUdpPackets;
}
}  // namespace

RtspClient::RtspClient(boost::asio::io_context& io, RtspClientConfig config, Callbacks callbacks)
    : io_(io), config_(std::move(config)), callbacks_(std::move(callbacks)) {}

RtspClient::~RtspClient() {
  closed_ = true;
  releaseRetiring();
  if (connection_) connection_->stop();
}

void RtspClient::onConnectionReady(const RtspSessionInfo& info) {
  releaseRetiring();
  if (callbacks_.onReady) callbacks_.onReady(info);
}

void RtspClient::onConnectionFinished(const std::string& error, bool switchToTcp) {
  if (switchToTcp && !closed_) {
    // A UDP attempt that asks for TCP is replaced silently: DESCRIBE/SETUP/PLAY again on a
    // fresh connection (some cameras need the DESCRIBE); it keeps its session until TCP plays.
    log::warn("{}[RTSP source] {}", config_.logPrefix, error);
    releaseRetiring();
    retiring_ = connection_;
    connect(RtspTransport::Tcp);
    return;
  }
  finish(error);
}

void RtspClient::releaseRetiring() {
  if (retiring_) retiring_->stop();
  retiring_.reset();
}

void RtspClient::start() {
  if (started_ || closed_) return;
  started_ = true;
  // Over RTSPS the media travel in the TLS connection: an automatic source starts there.
  const bool tls = istartsWith(config_.url, "rtsps://");
  connect(config_.transport == RtspTransport::Tcp || (tls && config_.transport == RtspTransport::Automatic)
              ? RtspTransport::Tcp
              : RtspTransport::Udp);
}

void RtspClient::connect(RtspTransport transport) {
  if (connection_) addStats(previousStats_, connection_->stats());
  connection_ = std::make_shared<RtspClientConnection>(io_, config_, transport,
                                                       config_.transport == RtspTransport::Automatic, *this);
  connection_->start();
}

void RtspClient::close() {
  if (closed_) return;
  if (!started_) {
    closed_ = true;
    return;
  }
  finish("terminated");
}

void RtspClient::finish(const std::string& error) {
  if (closed_) return;
  closed_ = true;
  releaseRetiring();
  if (connection_) {
    connection_->stop();
    addStats(previousStats_, connection_->stats());
    connection_.reset();
  }
  // Last statement: the owner may destroy this client from inside the callback.
  if (callbacks_.onClosed) {
    auto onClosed = callbacks_.onClosed;
    onClosed(error);
  }
}

RtspClientStats RtspClient::stats() const {
  RtspClientStats s = previousStats_;
  if (connection_) addStats(s, connection_->stats());
  return s;
}

}  // namespace sluice::rtsp
