#pragma once
// Answers the RTSP server's questions with the app's paths and access control, so that rtsp/
// never includes app/: read and publish permissions (auth::AccessControl, Basic credentials),
// which stream a path has, and a publisher's place in its path (overridePublisher, the path's
// PathContinuity for its coming and going). Control thread, but for the sink's calls (worker).
#include <optional>

#include "auth/AuthManager.h"
#include "rtsp/RtspServerHandler.h"

namespace sluice::app {

class App;

class RtspBridge : public rtsp::RtspServerHandler {
 public:
  explicit RtspBridge(App& app) : app_(app) {}
  rtsp::RtspAccessResult checkAccess(const rtsp::RtspAccessQuery& query) override;
  void decideAccess(const rtsp::RtspAccessQuery& query,
                    std::function<void(rtsp::RtspAccessResult)> done) override;
  bool findReadable(const std::string& path, rtsp::RtspReadTarget& out, rtsp::RtspRefusal& refusal) override;
  void whenReadable(const std::string& path, std::function<void(bool ready)> done) override;
  bool canPublish(const std::string& path, rtsp::RtspRefusal& refusal) override;
  bool startPublishing(const std::string& path, const std::string& sessionId, std::function<void()> kick,
                       rtsp::RtspPublishTarget& out, rtsp::RtspRefusal& refusal) override;
  void publisherClosed(const std::string& path, const std::string& sessionId) override;

 private:
  // The request for auth/: Basic or Digest credentials, as rtspAuthMethods allows them.
  static std::optional<auth::AuthRequest> authRequestOf(const rtsp::RtspAccessQuery& query);

  App& app_;  // borrowed, outlives this
};

}  // namespace sluice::app
