#pragma once
// The control thread of sluice-load: keeps --sessions sessions open for --seconds, starting
// them at --rate and replacing each after --lifetime, with the signalling done here (WHEP:
// POST offer, DELETE session; RTSP: OPTIONS to PLAY; TEARDOWN is the worker's) and the media
// of every session on the worker threads.
#include <atomic>
#include <memory>
#include <vector>

#include "core/WorkerPool.h"
#include "load/LoadOptions.h"
#include "load/LoadReport.h"
#include "load/LoadWorker.h"
#include "load/WhepHttpClient.h"
#include "rtsp/RtspUrl.h"
#include "webrtc/DtlsCertificate.h"

namespace sluice::load {

class LoadRunner {
 public:
  explicit LoadRunner(LoadOptions options);
  ~LoadRunner();

  // Validates the options and prepares the certificate and threads; false with `error`.
  bool init(std::string& error);
  // Runs until --seconds have passed or `stop` is set; every session is closed and deleted.
  RunSummary run(const std::atomic<bool>& stop);

 private:
  // One --url: a WHEP endpoint or an RTSP stream.
  struct Target {
    std::string text;
    bool rtsp = false;
    HttpUrl whep;
    rtsp::RtspUrl stream;
  };
  struct Slot {
    std::shared_ptr<WorkerSession> session;
    bool rtsp = false;
    std::string location;  // WHEP: the session resource to DELETE
    LoadWorker* worker = nullptr;
    int64_t nextStartUs = 0;  // when this slot may (re)open a session
    int64_t endUs = 0;        // 0: free; else when its session (or failed attempt) ends
  };

  // POSTs an offer (WHEP) or plays the stream (RTSP) and hands the session to a worker; a
  // failure is recorded as a result.
  void open(size_t slotIndex, int64_t nowUs);
  void openRtsp(size_t slotIndex, int index, const Target& target, int64_t nowUs);
  void finish(Slot& slot);
  void log(const std::string& line) const;

  LoadOptions options_;
  std::vector<Target> urls_;
  std::shared_ptr<webrtc::DtlsCertificate> certificate_;
  std::unique_ptr<core::WorkerPool> pool_;
  std::vector<std::unique_ptr<LoadWorker>> workers_;
  std::vector<Slot> slots_;
  std::vector<SessionResult> results_;
  int nextIndex_ = 0;
  int64_t runStartUs_ = 0;
  int64_t nextAllowedStartUs_ = 0;  // --rate pacing
};

}  // namespace sluice::load
