#pragma once
// The simulator: an RTSP listener on the caller's io_context and a pool of workers that
// produce and deliver the streams rtsp://ADDRESS:PORT/cam1 .. camN.
//
// Streams are dealt round-robin to the workers, and their frame deadlines are spread
// evenly across one frame interval, as N independent cameras' would be: the server under
// test then sees a steady flow rather than N frames in the same millisecond.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "camsim/CamsimAudioClip.h"
#include "camsim/CamsimClip.h"
#include "camsim/CamsimDirectory.h"
#include "camsim/CamsimWorker.h"
#include "core/WorkerPool.h"

namespace sluice::camsim {

struct CamsimOptions {
  int streams = 64;
  std::string address = "127.0.0.1";  // IPv4, for RTSP and the UDP port pairs
  uint16_t port = 8554;               // 0: any free port (see port())
  int fps = 30;
  int threads = 1;
  uint32_t sessionTimeout = 60;  // seconds a UDP session may stay silent
  // Each stream at its own point of the clip (stream k of N (k-1)/N of the way in), so their
  // keyframes fall at different times as independent cameras' do; off: all in step.
  bool spreadClip = false;
};

class CamsimServer {
 public:
  // `audio` may be null (video only); both borrowed, outlive this.
  CamsimServer(boost::asio::io_context& io, CamsimOptions options, const CamsimClip& clip,
               const CamsimAudioClip* audio);
  ~CamsimServer();
  CamsimServer(const CamsimServer&) = delete;
  CamsimServer& operator=(const CamsimServer&) = delete;

  // Binds everything and starts the workers; false with `error` when a socket cannot be bound.
  bool start(std::string& error);
  // After `io` has stopped running, on its thread: stops accepting and shuts every worker
  // down. Idempotent.
  void stop();
  uint16_t port() const { return port_; }

  // One line of egress and health figures since the previous call.
  void logStats();

 private:
  struct Totals {
    int64_t sessions = 0, playing = 0;
    uint64_t deliveries = 0, tcpBytes = 0, tcpDrops = 0, udpDatagrams = 0, udpBytes = 0, udpDrops = 0;
    uint64_t ticks = 0, allocations = 0;
    int64_t atUs = 0;
  };
  Totals totals() const;
  void accept();

  boost::asio::io_context& io_;
  CamsimOptions options_;
  const CamsimClip& clip_;
  const CamsimAudioClip* audio_;
  core::WorkerPool pool_;  // before workers_: their timers and sockets die first
  std::vector<std::unique_ptr<CamsimWorker>> workers_;
  CamsimDirectory directory_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  size_t nextWorker_ = 0;
  bool started_ = false;
  Totals last_;
};

}  // namespace sluice::camsim
