#include "rtsp/RtspMulticast.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "core/Clock.h"
#include "core/Log.h"
#include "media/Rtcp.h"

namespace sluice::rtsp {
namespace {

// Sender reports to the groups: a player that joins mid-stream syncs its tracks after one. The
// first soon after the sender starts (the tracks need a packet out before they can report).
constexpr auto kSenderReportPeriod = std::chrono::seconds(2);
constexpr auto kFirstSenderReport = std::chrono::milliseconds(250);

sockaddr_storage groupAddress(uint32_t group, uint16_t port) {
  sockaddr_storage out{};
  auto* in = reinterpret_cast<sockaddr_in*>(&out);
  in->sin_family = AF_INET;
  in->sin_addr.s_addr = htonl(group);
  in->sin_port = htons(port);
  return out;
}

}  // namespace

RtspMulticastGroups::~RtspMulticastGroups() {
  if (fd_ >= 0) ::close(fd_);
}

bool RtspMulticastGroups::open(std::string& error) {
  fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    error = std::string("multicast socket: ") + std::strerror(errno);
    return false;
  }
  const int ttl = options_.ttl, loop = 1;
  // Loopback: readers on this host (a recorder next to the server) get the groups too.
  if (::setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)) != 0 ||
      ::setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof(loop)) != 0) {
    error = std::string("multicast socket options: ") + std::strerror(errno);
    ::close(fd_);
    fd_ = -1;
    return false;
  }
  return true;
}

void RtspMulticastGroups::forgetEndedLocked() {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.stream.expired()) {
      for (uint32_t g : it->second.groups)
        if (g) used_.erase(g);
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

std::optional<uint32_t> RtspMulticastGroups::groupFor(const std::shared_ptr<stream::Stream>& stream,
                                                      size_t track, std::string& error) {
  if (!stream || track >= stream::kMaxSourceTracks) {
    error = "no such track";
    return std::nullopt;
  }
  // Every track of the stream gets its group at once: the stream's sender starts with the
  // first reader and sends every track, whichever tracks a later reader sets up.
  const size_t tracks =
      std::max(track + 1, std::min(stream->formatSnapshot().size(), stream::kMaxSourceTracks));
  std::lock_guard lock(mutex_);
  forgetEndedLocked();
  Entry& e = entries_[stream.get()];
  if (e.stream.expired()) e.stream = stream;
  for (size_t t = 0; t < tracks; ++t) {
    if (e.groups[t]) continue;
    for (uint32_t tried = 0; tried < options_.groupCount; ++tried) {
      const uint32_t candidate = options_.firstGroup + (next_ + tried) % options_.groupCount;
      // Skip the range's network and broadcast-like ends, as a /24 user would expect.
      const uint32_t offset = candidate - options_.firstGroup;
      if (options_.groupCount > 2 && (offset == 0 || offset == options_.groupCount - 1)) continue;
      if (used_.count(candidate)) continue;
      used_.insert(candidate);
      next_ = (offset + 1) % options_.groupCount;
      e.groups[t] = candidate;
      break;
    }
  }
  if (e.groups[track]) return e.groups[track];
  error = "every address of multicastIPRange is in use";
  return std::nullopt;
}

std::shared_ptr<RtspMulticastSender> RtspMulticastGroups::join(const std::shared_ptr<stream::Stream>& stream,
                                                               boost::asio::io_context& worker) {
  std::shared_ptr<RtspMulticastSender> sender;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(stream.get());
    if (it == entries_.end()) return nullptr;
    sender = it->second.sender.lock();
    if (sender) return sender;
    sender = std::make_shared<RtspMulticastSender>(stream, worker, fd_, it->second.groups, options_, stats_);
    it->second.sender = sender;
  }
  sender->start();  // outside the lock: attaching replays the cached keyframe to the groups
  return sender;
}

size_t RtspMulticastGroups::streams() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

RtspMulticastSender::RtspMulticastSender(std::shared_ptr<stream::Stream> stream,
                                         boost::asio::io_context& worker, int fd,
                                         const std::array<uint32_t, stream::kMaxSourceTracks>& groups,
                                         const RtspMulticastOptions& options, RtspMulticastStats& stats)
    : stream_(std::move(stream)),
      io_(worker),
      fd_(fd),
      egress_(std::make_shared<core::UdpSendBatch>(worker, fd)),
      stats_(stats),
      tick_(worker) {
  for (size_t i = 0; i < groups.size(); ++i) {
    if (!groups[i]) continue;
    groups_[i].used = true;
    groups_[i].rtp = groupAddress(groups[i], options.rtpPort);
    groups_[i].rtcp = groupAddress(groups[i], options.rtcpPort);
  }
}

RtspMulticastSender::~RtspMulticastSender() {
  // On the worker (the last reader lets go in a handler of its own), or after the workers
  // stopped, when their queues are destroyed at shutdown.
  *alive_ = false;
  try {
    if (attached_) stream_->removeReader(this);
  } catch (...) {  // a destructor must not throw
  }
  egress_->flush();  // whatever happened above: nothing queued may name dropped_ afterwards
  try {
    tick_.cancel();
  } catch (...) {  // a timer's cancel() throws only on an OS error
  }
}

void RtspMulticastSender::start() {
  assert(onThread());
  stream::TrackMask mask = 0;
  for (size_t i = 0; i < groups_.size(); ++i)
    if (groups_[i].used) mask |= stream::TrackMask{1} << i;
  attached_ = true;
  stream_->addReader(this, mask);
  armTick(kFirstSenderReport);
}

void RtspMulticastSender::onStreamPacket(size_t track, const stream::HistoryPacket& packet) {
  if (track >= groups_.size() || !groups_[track].used) return;
  Group& g = groups_[track];
  egress_->send(packet.data, packet.size, g.rtp, sizeof(sockaddr_in), &dropped_);
  ++g.packets;
  g.octets += packet.size > 12 ? packet.size - 12 : 0;
  stats_.packetsSent.fetch_add(1, std::memory_order_relaxed);
  stats_.bytesSent.fetch_add(packet.size, std::memory_order_relaxed);
}

void RtspMulticastSender::onStreamEnded(const std::string&) {
  // Detached already; the readers close their sessions themselves (they are readers too).
  attached_ = false;
}

void RtspMulticastSender::armTick(std::chrono::milliseconds after) {
  tick_.expires_after(after);
  tick_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive) return;
    if (attached_) sendSenderReports();
    armTick(kSenderReportPeriod);
  });
}

void RtspMulticastSender::sendSenderReports() {
  // "Now" on each track's output timeline, one clock for every track (as unicast readers get).
  const int64_t nowUs = core::monotonicUs();
  for (size_t i = 0; i < groups_.size(); ++i) {
    const Group& g = groups_[i];
    const stream::StreamTrack* track = g.used ? stream_->findTrack(i) : nullptr;
    if (!track || !track->timeline().haveOutput()) continue;
    uint8_t sr[64];
    const size_t n = media::buildSenderReport(
        sr, sizeof(sr), track->ssrc(), core::ntpNow(), track->timeline().timestampAt(nowUs),
        static_cast<uint32_t>(g.packets), static_cast<uint32_t>(g.octets));
    if (n == 0) continue;
    if (::sendto(fd_, sr, n, MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&g.rtcp), sizeof(sockaddr_in)) >
        0)
      stats_.senderReports.fetch_add(1, std::memory_order_relaxed);
  }
  const uint64_t dropped = dropped_.exchange(0, std::memory_order_relaxed);
  if (dropped) stats_.packetsDropped.fetch_add(dropped, std::memory_order_relaxed);
}

}  // namespace sluice::rtsp
