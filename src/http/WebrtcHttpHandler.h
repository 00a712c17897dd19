#pragma once
// What the WebRTC HTTP routes need from the application. http/ knows nothing about
// sessions, paths or ICE: the app implements this on top of webrtc/ and stream/.
// Every method is called on the HTTP server's io_context thread (the control thread).
#include <functional>
#include <string>
#include <vector>

namespace sluice::http {

struct WhepCreateRequest {
  std::string path;           // path name, may contain '/'
  std::string query;          // raw query of the POST URL (forwarded into Location)
  std::string offer;          // SDP offer
  std::string remoteAddress;  // "ip:port" of the HTTP client
  std::string authorization;  // Authorization header, empty if absent
};

struct WhepCreateResult {
  int status = 201;       // 201 on success; otherwise the error status (400, 401, 404, 500...)
  std::string error;      // error message for the JSON body; non-empty means failure
  std::string answer;     // SDP answer (complete, with all candidates)
  std::string sessionId;  // public session UUID, sent as the ID header
  std::string secret;     // resource UUID, used in Location /<path>/whep/<secret>
};

struct PathListing {
  std::string name;
  bool ready = false;
  bool sourceOnDemand = false;  // the source starts when a reader asks: worth reading while not ready
};

class WebrtcHttpHandler {
 public:
  virtual ~WebrtcHttpHandler() = default;
  // `done` may be called later, on the io_context thread; exactly once.
  virtual void createWhepSession(WhepCreateRequest request, std::function<void(WhepCreateResult)> done) = 0;
  // `secret` is in canonical lowercase UUID form. Returns 204, or 400/404 with `error`.
  virtual int patchWhepSession(const std::string& path, const std::string& secret, const std::string& body,
                               std::string& error) = 0;
  // Returns 200, or 404 with `error`.
  virtual int deleteWhepSession(const std::string& path, const std::string& secret, std::string& error) = 0;
  virtual bool pathConfigured(const std::string& path) = 0;
  virtual std::vector<PathListing> listPaths() = 0;
  // Values for Link headers: <stun:host:port>; rel="ice-server"[; username=...]
  virtual std::vector<std::string> iceServerLinks() = 0;
};

}  // namespace sluice::http
