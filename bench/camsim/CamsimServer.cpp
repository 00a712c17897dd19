#include "camsim/CamsimServer.h"

#include <boost/asio/post.hpp>
#include <chrono>
#include <future>

#include "camsim/CamsimAllocations.h"
#include "camsim/CamsimSdp.h"
#include "camsim/CamsimSession.h"
#include "core/Clock.h"
#include "core/Log.h"

namespace sluice::camsim {

namespace asio = boost::asio;
using asio::ip::tcp;

CamsimServer::CamsimServer(asio::io_context& io, CamsimOptions options, const CamsimClip& clip,
                           const CamsimAudioClip* audio)
    : io_(io),
      options_(std::move(options)),
      clip_(clip),
      audio_(audio),
      pool_(static_cast<size_t>(std::max(1, options_.threads))),
      acceptor_(io) {}

CamsimServer::~CamsimServer() { stop(); }

bool CamsimServer::start(std::string& error) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address_v4(options_.address, ec);
  if (ec) {
    error = "--address must be an IPv4 address, not '" + options_.address + "'";
    return false;
  }
  tcp::endpoint endpoint(address, options_.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error = fmt::format("cannot listen on {}:{}: {}", options_.address, options_.port, ec.message());
    return false;
  }
  port_ = acceptor_.local_endpoint().port();

  for (size_t i = 0; i < pool_.size(); ++i) {
    workers_.push_back(std::make_unique<CamsimWorker>(pool_.at(i).io(), options_.sessionTimeout));
    if (!workers_.back()->openUdp(address, error)) return false;
  }
  // Frame 0 of the first stream a little after start-up; the others follow at even
  // phases within the first frame interval (spread: and started earlier, each by its share
  // of the clip's length, so it is that far into the clip now).
  int64_t origin = core::monotonicUs() + 100000;
  int64_t intervalUs = 1000000 / options_.fps;
  const int64_t clipUs = static_cast<int64_t>(clip_.frameCount()) * 1000000 / options_.fps;
  for (int k = 1; k <= options_.streams; ++k) {
    CamsimWorker& worker = *workers_[static_cast<size_t>(k - 1) % workers_.size()];
    int64_t phase = intervalUs * (k - 1) / options_.streams;
    if (options_.spreadClip) phase -= clipUs * (k - 1) / options_.streams;
    auto stream = std::make_unique<CamsimStream>(
        clip_, audio_, k, options_.fps, origin + phase,
        buildCamsimSdp(clip_, audio_, "cam" + std::to_string(k), options_.fps, options_.address));
    directory_.add({stream.get(), &worker});
    worker.addStream(std::move(stream));
  }
  pool_.start();
  for (auto& w : workers_) w->start();
  started_ = true;
  last_ = totals();
  accept();
  std::string udpPorts;
  for (auto& w : workers_) {
    udpPorts += fmt::format("{}{}-{}", udpPorts.empty() ? "" : ", ", w->udp().rtpPort(), w->udp().rtcpPort());
  }
  log::info("[camsim] serving {} streams rtsp://{}:{}/cam1..cam{} on {} thread(s); UDP server ports {}",
            options_.streams, options_.address, port_, options_.streams, workers_.size(), udpPorts);
  return true;
}

void CamsimServer::accept() {
  // Connections start on the workers in turn; one that asks for a stream of another
  // worker moves there (CamsimSession).
  CamsimWorker& worker = *workers_[nextWorker_++ % workers_.size()];
  acceptor_.async_accept(
      worker.io(), [this, &worker](const boost::system::error_code& ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
        if (ec) {
          log::warn("[camsim] accept failed: {}", ec.message());
        } else {
          asio::post(worker.io(), [&worker, directory = &directory_, s = std::move(socket)]() mutable {
            auto session = std::make_shared<CamsimSession>(worker, *directory, std::move(s));
            worker.adopt(session);
            session->start();
          });
        }
        accept();
      });
}

void CamsimServer::stop() {
  if (!started_) return;
  started_ = false;
  boost::system::error_code ec;
  acceptor_.close(ec);
  // The cancelled accept holds a socket of a worker's io_context: let it complete while
  // that context exists (the caller's io_context is no longer running here).
  io_.restart();
  io_.poll();
  // Each worker closes its own sessions and sockets on its own thread; only then are the
  // threads stopped, so no handler is left that could use a destroyed object.
  std::vector<std::future<void>> done;
  for (auto& w : workers_) {
    auto promise = std::make_shared<std::promise<void>>();
    done.push_back(promise->get_future());
    asio::post(w->io(), [w = w.get(), promise] {
      w->shutdown();
      promise->set_value();
    });
  }
  for (auto& f : done) {
    if (f.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
      log::warn("[camsim] a worker did not shut down within 5 s");
    }
  }
  pool_.stop();
  // Stopping a thread abandons the completions its shutdown caused (cancelled timer, reads,
  // writes). Their operations live in handler memory inside the workers and sessions, so
  // they must run now, while those still exist, not during the io_contexts' destruction.
  for (size_t i = 0; i < pool_.size(); ++i) {
    pool_.at(i).io().restart();
    pool_.at(i).io().poll();
  }
}

CamsimServer::Totals CamsimServer::totals() const {
  Totals t;
  for (auto& w : workers_) {
    const CamsimCounters& c = w->counters();
    t.sessions += c.sessions.load(std::memory_order_relaxed);
    t.playing += c.playing.load(std::memory_order_relaxed);
    t.deliveries += c.framesSent.load(std::memory_order_relaxed);
    t.tcpBytes += c.tcpBytes.load(std::memory_order_relaxed);
    t.tcpDrops += c.tcpFramesDropped.load(std::memory_order_relaxed);
    t.ticks += c.ticks.load(std::memory_order_relaxed);
    t.udpDatagrams += w->udp().datagramsSent();
    t.udpBytes += w->udp().bytesSent();
    t.udpDrops += w->udp().datagramsDropped();
  }
  t.allocations = allocationCount();
  t.atUs = core::monotonicUs();
  return t;
}

void CamsimServer::logStats() {
  Totals now = totals();
  double seconds = static_cast<double>(now.atUs - last_.atUs) / 1e6;
  if (seconds <= 0) return;
  auto rate = [&](uint64_t a, uint64_t b) { return static_cast<double>(a - b) / seconds; };
  log::info(
      "[camsim] {} connections, {} playing; TCP {:.1f} Mbit/s, UDP {:.1f} Mbit/s ({:.0f} datagrams/s); "
      "{:.0f} frame deliveries/s, {:.0f} ticks/s; dropped {} TCP frames, {} datagrams; {:.0f} allocations/s",
      now.sessions, now.playing, rate(now.tcpBytes, last_.tcpBytes) * 8 / 1e6,
      rate(now.udpBytes, last_.udpBytes) * 8 / 1e6, rate(now.udpDatagrams, last_.udpDatagrams),
      rate(now.deliveries, last_.deliveries), rate(now.ticks, last_.ticks), now.tcpDrops - last_.tcpDrops,
      now.udpDrops - last_.udpDrops, rate(now.allocations, last_.allocations));
  last_ = now;
}

}  // namespace sluice::camsim
