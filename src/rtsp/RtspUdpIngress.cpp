#include "rtsp/RtspUdpIngress.h"

#include <boost/asio/post.hpp>
#include <cassert>
#include <cstring>

#include "core/Clock.h"
#include "media/Rtcp.h"
#include "media/RtpPacket.h"
#include "rtsp/RtspUdpServer.h"

namespace sluice::rtsp {

namespace {

// What a receiver report needs from the publisher's sender reports.
class SenderReportVisitor : public media::RtcpVisitor {
 public:
  SenderReportVisitor(uint32_t ssrc, media::RtpReceptionStats& stats, int64_t nowUs)
      : ssrc_(ssrc), stats_(stats), nowUs_(nowUs) {}
  void onSenderReport(uint32_t ssrc, uint64_t ntp, uint32_t, uint32_t, uint32_t) override {
    if (ssrc == ssrc_) stats_.onSenderReport(ntp, nowUs_);
  }

 private:
  uint32_t ssrc_;
  media::RtpReceptionStats& stats_;
  int64_t nowUs_;
};

}  // namespace

RtspUdpIngress::RtspUdpIngress(boost::asio::io_context& worker, std::vector<Track> tracks, int rtcpFd,
                               uint32_t localSsrc)
    : worker_(worker),
      tracks_(std::move(tracks)),
      rtcpFd_(rtcpFd),
      localSsrc_(localSsrc),
      originUs_(core::monotonicUs()) {
  assert(tracks_.size() <= kMaxTracks);
  stats_.lastPacketUs.store(originUs_, std::memory_order_relaxed);
}

RtspUdpIngress::Received RtspUdpIngress::receive(size_t track, bool rtcp, const uint8_t* data, size_t size,
                                                 int64_t nowUs) {
  if (track >= tracks_.size()) return Received::Malformed;
  if (rtcp) {
    if (!isReceiverRtcp(data, size)) {
      stats_.rtcpMalformed.fetch_add(1, std::memory_order_relaxed);
      return Received::Malformed;
    }
  } else {
    media::RtpHeader header;
    const uint8_t* payload = nullptr;
    size_t payloadSize = 0;
    if (media::parseRtp(data, size, header, payload, payloadSize) != media::RtpError::None) {
      stats_.rtpMalformed.fetch_add(1, std::memory_order_relaxed);
      return Received::Malformed;
    }
  }
  // A well-formed datagram keeps the session alive even when the worker cannot take it.
  stats_.lastPacketUs.store(nowUs, std::memory_order_relaxed);
  (rtcp ? stats_.rtcpPackets : stats_.rtpPackets).fetch_add(1, std::memory_order_relaxed);
  (rtcp ? stats_.rtcpBytes : stats_.rtpBytes).fetch_add(size, std::memory_order_relaxed);
  const uint64_t head = head_.load(std::memory_order_relaxed);
  if (size > kDatagram || head - tail_.load(std::memory_order_acquire) >= kSlots) {
    stats_.inboxDropped.fetch_add(1, std::memory_order_relaxed);
    return Received::InboxFull;
  }
  Slot& slot = slots_[head % kSlots];
  slot.track = static_cast<uint8_t>(track);
  slot.rtcp = rtcp;
  slot.size = static_cast<uint16_t>(size);
  std::memcpy(slot.data, data, size);
  head_.store(head + 1, std::memory_order_seq_cst);
  // One drain per burst: posted only when none is pending. The drain clears the flag before it
  // reads the head, so a datagram queued after that read finds the flag clear and posts again.
  if (!drainPosted_.exchange(true, std::memory_order_seq_cst)) {
    // The operation lives in drainMemory_; the aliasing pointer keeps this ingress alive for it.
    std::shared_ptr<core::SmallHandlerMemory> memory(shared_from_this(), &drainMemory_);
    boost::asio::post(worker_, core::withMemory(memory, [this] { drain(); }));
  }
  return Received::Queued;
}

void RtspUdpIngress::start(std::shared_ptr<stream::Stream> stream) {
  assert(worker_.get_executor().running_in_this_thread());
  stream_ = std::move(stream);
  for (size_t i = 0; i < tracks_.size(); ++i) {
    const stream::StreamTrack* t =
        tracks_[i].streamTrack == SIZE_MAX ? nullptr : stream_->findTrack(tracks_[i].streamTrack);
    reception_[i].clockRate = t ? t->clockRate() : 90000;
  }
}

void RtspUdpIngress::stop() {
  assert(worker_.get_executor().running_in_this_thread());
  stream_.reset();
}

void RtspUdpIngress::drain() {
  assert(worker_.get_executor().running_in_this_thread());
  drainPosted_.store(false, std::memory_order_seq_cst);
  const uint64_t head = head_.load(std::memory_order_seq_cst);
  uint64_t tail = tail_.load(std::memory_order_relaxed);
  const int64_t nowUs = core::monotonicUs();
  for (; tail < head; ++tail) {
    deliver(slots_[tail % kSlots], nowUs);
    tail_.store(tail + 1, std::memory_order_release);  // the producer may reuse the slot
  }
  uint64_t lost = 0;
  double jitter = 0;
  size_t started = 0;
  for (size_t i = 0; i < tracks_.size(); ++i) {
    const media::RtpReceptionStats& st = reception_[i].stats;
    const int64_t l = st.cumulativeLost();
    lost += l > 0 ? static_cast<uint64_t>(l) : 0;
    if (st.started()) {
      jitter += st.jitterUnits();
      ++started;
    }
  }
  stats_.rtpLost.store(lost, std::memory_order_relaxed);
  // As MediaMTX reports it: the mean over the tracks, each in its own clock's units.
  stats_.rtpJitter.store(started ? jitter / static_cast<double>(started) : 0, std::memory_order_relaxed);
}

void RtspUdpIngress::deliver(const Slot& slot, int64_t nowUs) {
  if (!stream_) return;  // before RECORD took effect or after the session closed: dropped
  const size_t streamTrack = tracks_[slot.track].streamTrack;
  if (streamTrack == SIZE_MAX) return;  // a medium Sluice does not carry
  Reception& r = reception_[slot.track];
  if (slot.rtcp) {
    if (r.haveSsrc) {
      SenderReportVisitor visitor(r.ssrc, r.stats, nowUs);
      media::parseRtcpCompound(slot.data, slot.size, visitor);
    }
    stream_->ingestRtcp(streamTrack, slot.data, slot.size);
    return;
  }
  const uint32_t ssrc = media::readSsrc(slot.data);
  if (!r.haveSsrc || r.ssrc != ssrc) {
    // A new source (the publisher restarted its stream): statistics start over.
    r.haveSsrc = true;
    r.ssrc = ssrc;
    r.stats = media::RtpReceptionStats{};
  }
  const auto arrival =
      static_cast<uint32_t>(static_cast<uint64_t>(nowUs - originUs_) * r.clockRate / 1000000);
  r.stats.onPacket(media::readSequence(slot.data), media::readTimestamp(slot.data), arrival);
  if (stream_->ingestRtp(streamTrack, slot.data, slot.size) != media::IngestError::None)
    stats_.ingestErrors.fetch_add(1, std::memory_order_relaxed);
}

size_t RtspUdpIngress::sendReceiverReports(int64_t nowUs) {
  size_t sent = 0;
  assert(worker_.get_executor().running_in_this_thread());
  for (size_t i = 0; i < tracks_.size(); ++i) {
    Reception& r = reception_[i];
    if (!r.haveSsrc || !r.stats.started() || tracks_[i].rtcpToLength == 0) continue;
    media::RtcpReportBlock block;
    r.stats.fillReportBlock(r.ssrc, nowUs, block);
    uint8_t packet[256];
    size_t n = media::buildReceiverReport(packet, sizeof(packet), localSsrc_, &block, 1);
    if (n == 0) continue;
    n += media::buildSdesCname(packet + n, sizeof(packet) - n, localSsrc_, "sluice");
    const ssize_t w =
        ::sendto(rtcpFd_, packet, n, MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&tracks_[i].rtcpTo),
                 tracks_[i].rtcpToLength);
    if (w > 0) {
      ++sent;
      stats_.reportsSent.fetch_add(1, std::memory_order_relaxed);
      stats_.reportBytesSent.fetch_add(static_cast<uint64_t>(w), std::memory_order_relaxed);
    }
  }
  return sent;
}

}  // namespace sluice::rtsp
