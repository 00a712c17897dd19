#pragma once
// What the RTSP server asks of its owner (app/): who may read or publish, which stream a path
// has, and where a publisher's packets go. The server never includes app/; app implements
// this. Every RtspServerHandler call runs on the server's control thread; RtspPublishSink
// calls run on the worker of the path's stream.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "stream/Stream.h"

namespace sluice::rtsp {

struct RtspAccessQuery {
  bool publish = false;       // `publish` action, else `read`
  std::string path, query;    // path name (no leading '/'), query without '?'
  std::string authorization;  // the Authorization header value, empty if absent
  std::string remoteIp;       // without port
  // rtspAuthMethods: which schemes the server takes; credentials in another one are wrong.
  bool basicAllowed = true, digestAllowed = false;
  // What a Digest answer must match: the server's challenge and the request.
  std::string realm, nonce, method, uri;
};

// AskLater: only a round trip can tell (authMethod http); the handler's decideAccess() answers.
enum class RtspAccessVerdict { Allowed, AskCredentials, Denied, AskLater };

struct RtspAccessResult {
  RtspAccessVerdict verdict = RtspAccessVerdict::Denied;
  std::chrono::milliseconds delay{0};  // Denied: wait this long before the 401 (on a timer)
};

// A path's stream as a reader needs it.
struct RtspReadTarget {
  std::shared_ptr<stream::Stream> stream;
  boost::asio::io_context* worker = nullptr;  // the stream's worker
  stream::StreamFormat format;                // its tracks when looked up
};

// Where a publisher's stream goes: the path's source machinery. Worker thread only.
class RtspPublishSink {
 public:
  virtual ~RtspPublishSink() = default;
  // RECORD: the publisher's tracks become the stream's. False (and why) when refused.
  virtual bool begin(const stream::StreamFormat& format, std::string& refusal) = 0;
  // The publisher is gone (TEARDOWN, disconnect, kicked).
  virtual void end(const std::string& reason) = 0;
};

struct RtspPublishTarget {
  std::shared_ptr<stream::Stream> stream;
  boost::asio::io_context* worker = nullptr;
  std::shared_ptr<RtspPublishSink> sink;
};

// An error answer: RTSP status and MediaMTX's message (logged; RTSP has no body for it).
struct RtspRefusal {
  int status = 400;
  std::string message;
  // An on-demand source is starting: the request may wait for it (whenReadable) instead.
  bool sourceStarting = false;
  // Set: not a refusal but a redirect (source: redirect): 301 with this Location, an absolute
  // rtsp(s):// URL or a path on this server ("/other").
  std::string location{};
};

class RtspServerHandler {
 public:
  virtual ~RtspServerHandler() = default;
  virtual RtspAccessResult checkAccess(const RtspAccessQuery& query) = 0;
  // After checkAccess() said AskLater: calls `done` on the control thread with the verdict
  // (never AskLater), once it is known; the connection pauses its requests meanwhile.
  // NOLINTNEXTLINE(performance-unnecessary-value-param)
  virtual void decideAccess(const RtspAccessQuery& query, std::function<void(RtspAccessResult)> done) {
    done({});  // a handler that never says AskLater is never asked
  }
  // DESCRIBE/SETUP of a reader: the path's stream, ready; else 404 (no stream) or 400.
  virtual bool findReadable(const std::string& path, RtspReadTarget& out, RtspRefusal& refusal) = 0;
  // Calls `done(true)` once the path's on-demand source is ready, `done(false)` after its start
  // timeout (control thread), as MediaMTX holds a reader's DESCRIBE.
  // `done` is taken by value: an override keeps it until the source is ready.
  // NOLINTNEXTLINE(performance-unnecessary-value-param)
  virtual void whenReadable(const std::string& path, std::function<void(bool ready)> done) { done(false); }
  // ANNOUNCE: whether the path takes publishers (400 for a path with a camera source).
  virtual bool canPublish(const std::string& path, RtspRefusal& refusal) = 0;
  // RECORD: the path's publisher becomes session `sessionId`. `kick` (thread-safe) is how the
  // path closes it later (overridePublisher, path removed).
  virtual bool startPublishing(const std::string& path, const std::string& sessionId,
                               std::function<void()> kick, RtspPublishTarget& out, RtspRefusal& refusal) = 0;
  // The publisher `sessionId` is gone (any thread).
  virtual void publisherClosed(const std::string& path, const std::string& sessionId) = 0;
};

}  // namespace sluice::rtsp
