#pragma once
// What a data-plane thread (LoadWorker) does with a session, whatever its protocol: a WHEP
// viewer (LoadSession) or an RTSP reader (RtspLoadSession). All calls on the worker thread,
// except markEnding().
#include <cstdint>

#include "load/SessionResult.h"

namespace sluice::load {

class WorkerSession {
 public:
  virtual ~WorkerSession() = default;
  virtual void start() = 0;
  // Every 5 ms: timers (retransmissions, reports, keep-alives, give-ups).
  virtual void tick(int64_t nowUs) = 0;
  // Stops receiving and ends the session on the wire. Idempotent.
  virtual void close() = 0;
  virtual SessionResult result() const = 0;
  // Any thread: the control thread is about to end the session, so the server closing it
  // from now on is expected.
  virtual void markEnding() = 0;
};

}  // namespace sluice::load
