#include "app/RtspBridge.h"

#include <boost/asio/post.hpp>

#include "app/App.h"
#include "auth/DigestAuthorization.h"
#include "auth/HttpAuth.h"
#include "core/Log.h"

namespace sluice::app {

namespace {

// A publisher's reports to its path: the path's PathContinuity, as a camera's RtspSource makes
// them. Worker thread of the path's stream.
class PublisherSink : public rtsp::RtspPublishSink {
 public:
  explicit PublisherSink(std::shared_ptr<PathContinuity> continuity) : continuity_(std::move(continuity)) {}
  bool begin(const stream::StreamFormat& format, std::string& refusal) override {
    live_ = continuity_->sourceReady(format, refusal);
    return live_;
  }
  void end(const std::string& reason) override {
    if (live_) continuity_->sourceGone(reason);
    live_ = false;
  }

 private:
  std::shared_ptr<PathContinuity> continuity_;  // shared with the path; used on its worker only
  bool live_ = false;
};

}  // namespace

namespace {

rtsp::RtspAccessResult resultOf(const auth::AccessDecision& d) {
  rtsp::RtspAccessResult out;
  switch (d.verdict) {
    case auth::AccessVerdict::Allowed:
      out.verdict = rtsp::RtspAccessVerdict::Allowed;
      break;
    case auth::AccessVerdict::AskCredentials:
      out.verdict = rtsp::RtspAccessVerdict::AskCredentials;
      break;
    case auth::AccessVerdict::Denied:
      out.verdict = rtsp::RtspAccessVerdict::Denied;
      out.delay = d.delay;
      break;
    case auth::AccessVerdict::Throttled:  // too many wrong guesses: 401 and close at once
      out.verdict = rtsp::RtspAccessVerdict::Denied;
      break;
    case auth::AccessVerdict::AskServer:
      out.verdict = rtsp::RtspAccessVerdict::AskLater;
      break;
  }
  return out;
}

}  // namespace

std::optional<auth::AuthRequest> RtspBridge::authRequestOf(const rtsp::RtspAccessQuery& q) {
  const bool digest = auth::isDigestAuthorization(q.authorization);
  std::optional<auth::AuthRequest> request =
      auth::httpAuthRequest(digest ? std::string_view() : std::string_view(q.authorization), q.remoteIp,
                            q.publish ? "publish" : "read", q.path);
  if (!request) return request;
  request->protocol = "rtsp";
  request->query = q.query;
  if (digest) {
    // A malformed Digest answer, or one the server did not offer, is a wrong guess.
    std::string error;
    request->digest =
        q.digestAllowed ? auth::parseDigestAuthorization(q.authorization, &error) : std::nullopt;
    if (request->digest) {
      request->user = request->digest->username;
      request->digestChallenge = {q.realm, q.nonce, q.method, q.uri};
    } else {
      request->unusableCredentials = true;
      if (q.digestAllowed)
        log::debug("[RTSP] {} sent a malformed Digest Authorization: {}", q.remoteIp, error);
    }
  } else if (!q.basicAllowed && request->supplied()) {
    request->unusableCredentials = true;  // Basic (or Bearer) when rtspAuthMethods has no basic
  }
  return request;
}

rtsp::RtspAccessResult RtspBridge::checkAccess(const rtsp::RtspAccessQuery& q) {
  std::optional<auth::AuthRequest> request = authRequestOf(q);
  if (!request) return {};
  return resultOf(app_.access().check(*request, "RTSP"));
}

void RtspBridge::decideAccess(const rtsp::RtspAccessQuery& q,
                              std::function<void(rtsp::RtspAccessResult)> done) {
  std::optional<auth::AuthRequest> request = authRequestOf(q);
  if (!request) return done({});
  app_.access().askServer(app_.controlContext(), *request, "RTSP",
                          [done = std::move(done)](const auth::AccessDecision& d) { done(resultOf(d)); });
}

bool RtspBridge::findReadable(const std::string& name, rtsp::RtspReadTarget& out,
                              rtsp::RtspRefusal& refusal) {
  Path* path = app_.findOrCreatePath(name);
  if (!path) {
    refusal = {400, "path '" + name + "' is not configured"};
    return false;
  }
  if (path->conf().source == "redirect") {
    refusal = {301, "path '" + name + "' redirects its readers", false, path->conf().sourceRedirect};
    return false;
  }
  if (path->onDemand()) app_.whenReady(name, [](bool) {});  // starts the source; counts as demand
  if (!path->ready()) {
    refusal = {404, "no stream is available on path '" + name + "'"};
    // The reader's request waits for an on-demand source, as MediaMTX's does; else it may go
    // to the path's fallback.
    refusal.sourceStarting = path->onDemand();
    if (!refusal.sourceStarting) refusal.location = path->conf().fallback;
    return false;
  }
  if (path->conf().maxReaders > 0 && app_.readerCount(name) >= static_cast<size_t>(path->conf().maxReaders)) {
    refusal = {400, "maximum reader count reached"};
    return false;
  }
  out.stream = path->stream();
  out.worker = &path->worker().io();
  out.format = out.stream->formatSnapshot();
  if (out.format.empty()) {
    refusal = {404, "no stream is available on path '" + name + "'"};
    return false;
  }
  return true;
}

void RtspBridge::whenReadable(const std::string& name, std::function<void(bool ready)> done) {
  app_.whenReady(name, std::move(done));
}

bool RtspBridge::canPublish(const std::string& name, rtsp::RtspRefusal& refusal) {
  Path* path = app_.findOrCreatePath(name);
  if (!path) {
    refusal = {400, "path '" + name + "' is not configured"};
    return false;
  }
  if (!path->takesPublishers()) {
    refusal = {400, "can't publish to path '" + name + "' since 'source' is not 'publisher'"};
    return false;
  }
  return true;
}

bool RtspBridge::startPublishing(const std::string& name, const std::string& sessionId,
                                 std::function<void()> kick, rtsp::RtspPublishTarget& out,
                                 rtsp::RtspRefusal& refusal) {
  if (!canPublish(name, refusal)) return false;
  Path* path = app_.findPath(name);
  if (path->publisher) {
    if (!path->conf().overridePublisher) {
      refusal = {400, "someone is already publishing to path '" + name + "'"};
      return false;
    }
    log::info("[path {}] closing existing publisher", name);
    path->publisher->kick();
    path->publisher.reset();
  }
  std::shared_ptr<PathContinuity> continuity = path->continuity();
  if (!continuity) {
    refusal = {400, "path '" + name + "' is not running"};
    return false;
  }
  path->publisher = Path::Publisher{sessionId, std::move(kick)};
  out.stream = path->stream();
  out.worker = &path->worker().io();
  out.sink = std::make_shared<PublisherSink>(std::move(continuity));
  return true;
}

void RtspBridge::publisherClosed(const std::string& name, const std::string& sessionId) {
  app_.postToControl([this, name, sessionId] {
    Path* path = app_.findPath(name);
    if (path && path->publisher && path->publisher->sessionId == sessionId) path->publisher.reset();
  });
}

}  // namespace sluice::app
