#pragma once
// The control thread of sluice-load: keeps --sessions sessions open for --seconds, starting
// them at --rate and replacing each after --lifetime, with WHEP signalling (POST offer,
// DELETE session) done here and the media of every session on the worker threads.
#include <atomic>
#include <memory>
#include <vector>

#include "core/WorkerPool.h"
#include "load/LoadOptions.h"
#include "load/LoadReport.h"
#include "load/LoadWorker.h"
#include "load/WhepHttpClient.h"
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
  struct Slot {
    std::shared_ptr<LoadSession> session;
    LoadWorker* worker = nullptr;
    int64_t nextStartUs = 0;  // when this slot may (re)open a session
    int64_t endUs = 0;        // 0: free; else when its session (or failed attempt) ends
  };

  // POSTs an offer and hands the session to a worker; a failure is recorded as a result.
  void open(size_t slotIndex, int64_t nowUs);
  void finish(Slot& slot);
  void log(const std::string& line) const;

  LoadOptions options_;
  std::vector<HttpUrl> urls_;
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
