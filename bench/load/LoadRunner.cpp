#include "load/LoadRunner.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <thread>

#include "core/Clock.h"
#include "core/Random.h"
#include "load/LoadSession.h"
#include "load/RtspLoadSession.h"
#include "load/RtspReaderConnect.h"
#include "load/UdpSocket.h"
#include "load/WhepDescriptions.h"

namespace sluice::load {
namespace {

constexpr auto kHttpTimeout = std::chrono::seconds(10);
constexpr int64_t kMaxSleepUs = 20'000;

int64_t secondsToUs(double s) { return static_cast<int64_t>(s * 1e6); }

double processCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::string snippet(const std::string& body) {
  std::string s = body.substr(0, 200);
  std::replace(s.begin(), s.end(), '\n', ' ');
  std::replace(s.begin(), s.end(), '\r', ' ');
  return s;
}

}  // namespace

LoadRunner::LoadRunner(LoadOptions options) : options_(std::move(options)) {}

LoadRunner::~LoadRunner() {
  if (pool_) pool_->stop();
}

void LoadRunner::log(const std::string& line) const {
  if (!options_.quiet) std::fprintf(stderr, "sluice-load: %s\n", line.c_str());
}

bool LoadRunner::init(std::string& error) {
  if (options_.urls.empty()) {
    error = "at least one --url is required";
    return false;
  }
  for (const auto& u : options_.urls) {
    Target target;
    target.text = u;
    if (u.rfind("rtsp://", 0) == 0 || u.rfind("rtsps://", 0) == 0) {
      auto parsed = rtsp::parseRtspUrl(u, &error);
      if (!parsed) return false;
      if (parsed->scheme != "rtsp") {
        error = "--url " + u + ": rtsps:// is not supported (RTSP readers use plain TCP or UDP)";
        return false;
      }
      target.rtsp = true;
      target.stream = std::move(*parsed);
      if (!options_.dumpH264.empty() || !options_.dumpH265.empty() || !options_.dumpTimeline.empty()) {
        error = "--dump-h264/--dump-h265/--dump-timeline are for WHEP sessions only";
        return false;
      }
    } else {
      auto parsed = HttpUrl::parse(u, error);
      if (!parsed) return false;
      target.whep = *parsed;
    }
    urls_.push_back(std::move(target));
  }
  certificate_ = webrtc::DtlsCertificate::processWide(error);
  if (!certificate_) return false;
  pool_ = std::make_unique<core::WorkerPool>(static_cast<size_t>(std::max(1, options_.threads)));
  for (size_t i = 0; i < pool_->size(); ++i) workers_.push_back(std::make_unique<LoadWorker>(pool_->at(i)));
  pool_->start();
  for (auto& w : workers_) w->startTicking();
  return true;
}

void LoadRunner::open(size_t slotIndex, int64_t nowUs) {
  Slot& slot = slots_[slotIndex];
  const int index = nextIndex_++;
  const Target& target = urls_[slotIndex % urls_.size()];
  if (target.rtsp) return openRtsp(slotIndex, index, target, nowUs);
  const HttpUrl& url = target.whep;
  SessionSetup setup;
  setup.index = index;
  setup.url = url.toString();
  setup.startedS = static_cast<double>(nowUs - runStartUs_) / 1e6;
  setup.certificate = certificate_;
  setup.sample = std::max(1, options_.sample);
  setup.connectTimeoutUs = secondsToUs(options_.connectTimeout);
  setup.srtpProfiles = options_.srtpProfiles;
  if (index == 0) {
    setup.dumpH265 = !options_.dumpH265.empty();
    setup.dumpPath = setup.dumpH265 ? options_.dumpH265 : options_.dumpH264;
    setup.timelinePath = options_.dumpTimeline;
  }

  auto failed = [&](std::string error) {
    SessionResult r;
    r.index = index;
    r.url = setup.url;
    r.location = setup.location;
    r.postStatus = setup.postStatus;
    r.startedS = setup.startedS;
    r.error = std::move(error);
    log("session " + std::to_string(index) + ": " + r.error);
    results_.push_back(std::move(r));
    if (setup.fd >= 0) ::close(setup.fd);
    slot.endUs = options_.lifetime > 0 ? nowUs + secondsToUs(options_.lifetime) : INT64_MAX;
  };

  std::string error;
  uint16_t port = 0;
  setup.fd = openSessionSocket(options_.localIp, port, error);
  if (setup.fd < 0) return failed(error);
  // Browser-sized credentials (RFC 8839: at least 4 and 22 characters).
  setup.localUfrag = core::randomAlnum(8);
  setup.localPwd = core::randomAlnum(24);
  const std::string offer = buildWhepOffer(
      OfferParams{setup.localUfrag, setup.localPwd, certificate_->fingerprintSha256(), options_.localIp, port,
                  options_.offerH265 || !options_.dumpH265.empty(), options_.offerAudio});

  setup.postStartUs = core::monotonicUs();
  auto response = httpRequest("POST", url, "application/sdp", offer, kHttpTimeout, error);
  if (!response) return failed("POST " + setup.url + ": " + error);
  setup.postStatus = response->status;
  if (auto location = response->header("Location")) setup.location = url.resolve(*location).toString();
  if (response->status != 201) {
    return failed("POST " + setup.url + " -> " + std::to_string(response->status) + ": " +
                  snippet(response->body));
  }
  auto answer = parseWhepAnswer(response->body, error);
  if (!answer) {
    if (!setup.location.empty()) {
      std::string ignored;
      if (auto resource = HttpUrl::parse(setup.location, ignored)) {
        httpRequest("DELETE", *resource, {}, {}, kHttpTimeout, ignored);
      }
    }
    return failed("unusable answer: " + error);
  }
  setup.answer = std::move(*answer);

  LoadWorker& worker = *workers_[slotIndex % workers_.size()];
  slot.location = setup.location;
  slot.rtsp = false;
  slot.session = std::make_shared<LoadSession>(std::move(setup), worker.io(), worker.batch());
  slot.worker = &worker;
  slot.endUs = options_.lifetime > 0 ? nowUs + secondsToUs(options_.lifetime) : INT64_MAX;
  worker.add(slot.session);
}

void LoadRunner::openRtsp(size_t slotIndex, int index, const Target& target, int64_t nowUs) {
  Slot& slot = slots_[slotIndex];
  RtspSessionSetup setup;
  setup.index = index;
  setup.url = target.text;
  setup.startedS = static_cast<double>(nowUs - runStartUs_) / 1e6;
  std::string error;
  if (!connectRtspReader(target.stream, options_.rtspTransport == "udp", options_.localIp,
                         options_.connectTimeout, setup.connection, error)) {
    SessionResult r;
    r.index = index;
    r.url = setup.url;
    r.protocol = options_.rtspTransport == "udp" ? "rtsp/udp" : "rtsp/tcp";
    r.location = setup.connection.sessionId;
    r.postStatus = setup.connection.playStatus;
    r.startedS = setup.startedS;
    r.error = std::move(error);
    log("session " + std::to_string(index) + ": " + r.error);
    results_.push_back(std::move(r));
    slot.endUs = options_.lifetime > 0 ? nowUs + secondsToUs(options_.lifetime) : INT64_MAX;
    return;
  }
  LoadWorker& worker = *workers_[slotIndex % workers_.size()];
  slot.rtsp = true;
  slot.location.clear();
  slot.session = std::make_shared<RtspLoadSession>(std::move(setup), worker.io(), worker.batch());
  slot.worker = &worker;
  slot.endUs = options_.lifetime > 0 ? nowUs + secondsToUs(options_.lifetime) : INT64_MAX;
  worker.add(slot.session);
}

void LoadRunner::finish(Slot& slot) {
  if (!slot.session) return;
  if (slot.rtsp) {
    // TEARDOWN (and its status) is the session's own, on its worker thread.
    slot.session->markEnding();
    SessionResult r = slot.worker->finish(std::move(slot.session));
    if (!r.error.empty()) log("session " + std::to_string(r.index) + ": " + r.error);
    results_.push_back(std::move(r));
    return;
  }
  // DELETE first, while the media still flows, as a WHEP player does when it stops: closing
  // DTLS first would make the server end the session itself and answer the DELETE with 404.
  int deleteStatus = 0;
  std::string error;
  slot.session->markEnding();
  if (auto resource = HttpUrl::parse(slot.location, error)) {
    auto response = httpRequest("DELETE", *resource, {}, {}, kHttpTimeout, error);
    deleteStatus = response ? response->status : 0;
  }
  SessionResult r = slot.worker->finish(std::move(slot.session));
  r.deleteStatus = deleteStatus;
  if (!r.error.empty()) log("session " + std::to_string(r.index) + ": " + r.error);
  results_.push_back(std::move(r));
}

RunSummary LoadRunner::run(const std::atomic<bool>& stop) {
  const double cpuAtStart = processCpuSeconds();
  std::vector<double> workerCpuAtStart;
  for (auto& w : workers_) workerCpuAtStart.push_back(w->cpuSeconds());

  runStartUs_ = core::monotonicUs();
  const int64_t runEndUs = runStartUs_ + secondsToUs(options_.seconds);
  const int64_t startSpacingUs = options_.rate > 0 ? secondsToUs(1.0 / options_.rate) : 0;
  nextAllowedStartUs_ = runStartUs_;
  slots_.assign(static_cast<size_t>(std::max(0, options_.sessions)), Slot{});
  for (auto& s : slots_) s.nextStartUs = runStartUs_;

  for (;;) {
    int64_t now = core::monotonicUs();
    if (now >= runEndUs || stop.load()) break;
    int64_t wake = std::min(runEndUs, now + kMaxSleepUs);
    for (size_t i = 0; i < slots_.size() && !stop.load(); ++i) {
      Slot& slot = slots_[i];
      // endUs: 0 = free to open; otherwise when the current session (or a failed attempt's
      // turn, which is retried only in churn mode) ends.
      if (slot.endUs != 0 && now >= slot.endUs) {
        finish(slot);
        slot.endUs = 0;
        slot.nextStartUs = now;  // churn: replaced at once (subject to --rate)
      }
      if (slot.endUs == 0 && now >= slot.nextStartUs && now >= nextAllowedStartUs_) {
        open(i, now);
        nextAllowedStartUs_ = std::max(nextAllowedStartUs_, now) + startSpacingUs;
        now = core::monotonicUs();
      }
      wake = std::min(wake, slot.endUs != 0 ? slot.endUs : std::max(slot.nextStartUs, nextAllowedStartUs_));
      if (now >= runEndUs) break;
    }
    now = core::monotonicUs();
    if (wake > now) std::this_thread::sleep_for(std::chrono::microseconds(wake - now));
  }

  RunSummary summary;
  summary.seconds = static_cast<double>(core::monotonicUs() - runStartUs_) / 1e6;
  for (auto& slot : slots_) finish(slot);
  for (size_t i = 0; i < workers_.size(); ++i)
    summary.workerCpuSeconds += workers_[i]->cpuSeconds() - workerCpuAtStart[i];
  for (auto& w : workers_) w->stopTicking();
  summary.cpuSeconds = processCpuSeconds() - cpuAtStart;
  summary.options = options_;
  std::sort(results_.begin(), results_.end(),
            [](const SessionResult& a, const SessionResult& b) { return a.index < b.index; });
  summary.sessions = std::move(results_);
  return summary;
}

}  // namespace sluice::load
