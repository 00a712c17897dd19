#pragma once
// What feeds a path's stream: an RTSP camera or the built-in demo clip. A source lives on
// its stream's worker; start() and stop() are called there. It reports being ready and gone
// to the path's PathContinuity and hands its RTP straight to the stream; stop() leaves the
// stream's readers to the path (which closes them, or keeps them for the next source).
#include <string>

namespace sluice::app {

class Source {
 public:
  virtual ~Source() = default;
  virtual void start() = 0;
  virtual void stop() = 0;
  virtual const char* kind() const = 0;  // for logs and the API ("rtspSource", ...)
};

}  // namespace sluice::app
