#include "app/WhepBridge.h"

#include "app/App.h"
#include "core/ClientKey.h"
#include "core/Log.h"

namespace sluice::app {

void WhepBridge::createWhepSession(http::WhepCreateRequest req,
                                   std::function<void(http::WhepCreateResult)> done) {
  http::WhepCreateResult out;
  Path* path = app_.findOrCreatePath(req.path);
  if (!path) {
    out.status = 404;
    out.error = "path '" + req.path + "' is not configured";
    done(std::move(out));
    return;
  }
  if (path->onDemand() && !path->ready()) {
    // The POST waits until the source is up (MediaMTX holds readers the same way).
    std::string name = req.path;
    std::string query = req.query;
    app_.whenReady(
        name,
        [this, req = std::move(req), done = std::move(done)](bool ready) mutable {
          if (!ready) {
            http::WhepCreateResult timedOut;
            timedOut.status = 400;
            timedOut.error = "source of path '" + req.path + "' has timed out";
            done(std::move(timedOut));
            return;
          }
          createReadySession(std::move(req), done);
        },
        query);
    return;
  }
  if (path->onDemand())
    app_.whenReady(
        req.path, [](bool) {}, req.query);  // counts as demand
  createReadySession(std::move(req), done);
}

void WhepBridge::createReadySession(http::WhepCreateRequest req,
                                    const std::function<void(http::WhepCreateResult)>& done) {
  http::WhepCreateResult out;
  Path* path = app_.findPath(req.path);
  if (!path || !path->ready()) {
    out.status = 404;
    out.error = "no stream is available on path '" + req.path + "'";
    done(std::move(out));
    return;
  }
  if (path->conf().maxReaders > 0) {
    size_t readers = 0;
    for (const auto& s : app_.webrtc().listSessions()) readers += s.path == req.path;
    if (readers >= static_cast<size_t>(path->conf().maxReaders)) {
      out.status = 400;
      out.error = "maximum reader count reached";
      done(std::move(out));
      return;
    }
  }
  webrtc::WhepSessionResult r = app_.webrtc().createSession(req.offer, path->stream(), path->worker(),
                                                            req.path, req.query, req.remoteAddress);
  out.status = r.status;
  out.error = r.error;
  out.answer = std::move(r.answer);
  out.sessionId = std::move(r.id);
  out.secret = std::move(r.secret);
  if (out.status >= 400) {
    // Once per client per interval: a client hammering the endpoint must not flood the log.
    uint64_t suppressed = 0;
    if (refusalLog_.allow(core::clientKeyOfAddress(req.remoteAddress), suppressed)) {
      log::warn("[WebRTC] WHEP request from {} for '{}' refused: {}{}", req.remoteAddress, req.path,
                out.error,
                suppressed ? fmt::format(" ({} more refusals of this client not logged)", suppressed) : "");
    }
  }
  done(std::move(out));
}

int WhepBridge::patchWhepSession(const std::string&, const std::string& secret, const std::string& body,
                                 std::string& error) {
  return app_.webrtc().patchSession(secret, body, error);
}

int WhepBridge::deleteWhepSession(const std::string&, const std::string& secret, std::string& error) {
  return app_.webrtc().deleteSession(secret, error);
}

bool WhepBridge::pathConfigured(const std::string& path) {
  return app_.findPath(path) != nullptr || config::findPath(app_.config(), path) != nullptr;
}

std::vector<http::PathListing> WhepBridge::listPaths() {
  std::vector<http::PathListing> out;
  for (auto& p : app_.config().paths) {
    if (p.regex) continue;
    Path* path = app_.findPath(p.name);
    out.push_back({p.name, path && path->ready(), p.sourceOnDemand});
  }
  return out;
}

std::vector<std::string> WhepBridge::iceServerLinks() {
  std::vector<std::string> out;
  for (auto& s : app_.config().webrtcICEServers2) {
    std::string link = "<" + s.url + ">; rel=\"ice-server\"";
    if (!s.username.empty()) {
      link += "; username=\"" + s.username + "\"; credential=\"" + s.password +
              "\"; credential-type=\"password\"";
    }
    out.push_back(std::move(link));
  }
  return out;
}

}  // namespace sluice::app
