// CamsimSession: output. Media frames and RTCP sender reports over TCP (interleaved,
// one gathered write per frame) or UDP (through the worker's batch), and RTSP responses.
#include <boost/asio/write.hpp>

#include "camsim/CamsimSession.h"
#include "camsim/CamsimUdpSender.h"
#include "camsim/CamsimWorker.h"
#include "core/Clock.h"
#include "media/Rtcp.h"
#include "media/RtpPacket.h"

namespace sluice::camsim {

namespace asio = boost::asio;

namespace {
constexpr int64_t kReportIntervalUs = 1000000;
}  // namespace

void CamsimSession::prepareTcpMedia() {
  // Sized once for the largest frame (an audio packet is one packet): per-frame work then
  // never allocates. The template's channels (0-1 video, 2-3 audio: what clients ask for)
  // send the stream's run as it is; others need their own headers.
  uint32_t packets = stream_->clip().maxFramePackets();
  if (gather_.size() < 2 * packets + 1) gather_.assign(2 * packets + 1, asio::const_buffer());
  if (prefixes_.size() < kInterleavedPrefix * packets) prefixes_.assign(kInterleavedPrefix * packets, 0);
}

void CamsimSession::clearQueue() {
  queued_ = 0;
  for (auto& t : tracks_) t.queued = 0;
}

void CamsimSession::startPlaying() {
  if (playing_) return;
  playing_ = true;
  needKeyframe_ = true;
  for (auto& t : tracks_) t.nextReportUs = 0;  // a report with the first frame: readers can map time at once
  if (attachedTo_ != stream_) {
    detachIfIdle(true);
    stream_->attach(this);
    attachedTo_ = stream_;
  }
  worker_->counters().playing.fetch_add(1, std::memory_order_relaxed);
  log::info("[camsim] {}: playing", label_);
}

void CamsimSession::stopPlaying() {
  if (!playing_) return;
  playing_ = false;
  clearQueue();
  worker_->counters().playing.fetch_sub(1, std::memory_order_relaxed);
  detachIfIdle(false);
}

void CamsimSession::detachIfIdle(bool force) {
  // A frame being written still points into the stream's ring: stay attached (so the
  // stream keeps checking holdsFrameBefore) until the write ends, unless it was cancelled.
  if (!attachedTo_ || (!force && writingFrame_)) return;
  attachedTo_->detach(this);
  attachedTo_ = nullptr;
}

bool CamsimSession::holdsFrameBefore(uint8_t track, uint64_t number) const {
  if (writingFrame_ && inflightTrack_ == track && inflightFrame_ < number) return true;
  for (size_t i = 0; i < queued_; ++i) {
    const CamsimFrame& f = frameQueue_[(queueHead_ + i) % kQueueCapacity];
    if (f.track == track && f.number < number) return true;
  }
  return false;
}

void CamsimSession::onFrame(const CamsimFrame& frame, int64_t nowUs, CamsimUdpSender& udp) {
  if (!playing_) return;
  TrackOut& t = tracks_[frame.track];
  if (!t.setUp || frame.number < t.startNumber) return;
  // With video, everything (audio too) waits for the keyframe a reader starts or resumes at.
  if (needKeyframe_ && tracks_[kVideoTrack].setUp) {
    if (frame.track != kVideoTrack || !frame.keyframe) return;
    needKeyframe_ = false;
  }
  if (transport_ == Transport::Udp) {
    sendUdp(frame, nowUs, udp);
    return;
  }
  if (!writing_) {
    writeFrame(frame);
    return;
  }
  if (t.queued < (frame.track == kVideoTrack ? kMaxQueuedFrames : kMaxQueuedAudio)) {
    frameQueue_[(queueHead_ + queued_++) % kQueueCapacity] = frame;
    ++t.queued;
    return;
  }
  ++dropped_;
  worker_->counters().tcpFramesDropped.fetch_add(1, std::memory_order_relaxed);
  if (frame.track == kVideoTrack) needKeyframe_ = true;
  uint64_t suppressed = 0;
  if (dropLog_.allow(suppressed)) {
    log::warn("[camsim] {}: reader too slow, dropping until the next keyframe ({} frames dropped)", label_,
              dropped_);
  }
}

void CamsimSession::sendUdp(const CamsimFrame& frame, int64_t nowUs, CamsimUdpSender& udp) {
  TrackOut& t = tracks_[frame.track];
  for (size_t off = 0; off < frame.size;) {
    size_t len = media::readBe16(frame.data + off + 2);
    udp.addRtp(t.udpRtp, frame.data + off + kInterleavedPrefix, len);
    off += kInterleavedPrefix + len;
  }
  t.packetsSent += frame.packets;
  t.octetsSent += frame.payloadOctets;
  if (nowUs >= t.nextReportUs) {
    size_t len = buildReport(frame.track, t.report.data(), t.report.size());
    udp.addRtcp(t.udpRtcp, t.report.data(), len);
    t.nextReportUs = nowUs + kReportIntervalUs;
  }
}

void CamsimSession::writeFrame(const CamsimFrame& frame) {
  TrackOut& t = tracks_[frame.track];
  size_t n = 0;
  if (t.rtpChannel == frame.data[1]) {  // the template's channel
    gather_[n++] = asio::const_buffer(frame.data, frame.size);
  } else {
    uint8_t* prefix = prefixes_.data();
    for (size_t off = 0; off < frame.size; prefix += kInterleavedPrefix) {
      size_t len = media::readBe16(frame.data + off + 2);
      prefix[0] = '$';
      prefix[1] = t.rtpChannel;
      prefix[2] = frame.data[off + 2];
      prefix[3] = frame.data[off + 3];
      gather_[n++] = asio::const_buffer(prefix, kInterleavedPrefix);
      gather_[n++] = asio::const_buffer(frame.data + off + kInterleavedPrefix, len);
      off += kInterleavedPrefix + len;
    }
  }
  t.packetsSent += frame.packets;
  t.octetsSent += frame.payloadOctets;
  int64_t now = core::monotonicUs();
  if (now >= t.nextReportUs) {
    size_t len =
        buildReport(frame.track, t.report.data() + kInterleavedPrefix, t.report.size() - kInterleavedPrefix);
    t.report[0] = '$';
    t.report[1] = t.rtcpChannel;
    media::writeBe16(t.report.data() + 2, static_cast<uint16_t>(len));
    gather_[n++] = asio::const_buffer(t.report.data(), kInterleavedPrefix + len);
    t.nextReportUs = now + kReportIntervalUs;
  }
  writing_ = writingFrame_ = true;
  inflightFrame_ = frame.number;
  inflightTrack_ = frame.track;
  asio::async_write(
      *socket_, BufferRange{gather_.data(), gather_.data() + n},
      withMemory(writeMemory_, [self = shared_from_this()](const boost::system::error_code& ec, size_t size) {
        self->onWritten(ec, size);
      }));
}

size_t CamsimSession::buildReport(uint8_t track, uint8_t* out, size_t cap) {
  // Both clocks read back to back: the pair is the NTP ↔ RTP mapping readers use to
  // compute latency and to align the tracks (frames and audio packets leave on deadlines
  // of one origin, so every track's RTP time tracks the same wall clock).
  int64_t mono = core::monotonicUs();
  uint64_t ntp = core::ntpNow();
  const TrackOut& t = tracks_[track];
  uint32_t ssrc = stream_->ssrc(track);
  size_t n = media::buildSenderReport(out, cap, ssrc, ntp, stream_->rtpTimestampAt(track, mono),
                                      t.packetsSent, t.octetsSent);
  n += media::buildSdesCname(out + n, cap - n, ssrc, cname_);
  return n;
}

void CamsimSession::sendControl(std::string bytes) {
  if (closed_) return;
  controlQueue_.push_back(std::move(bytes));
  if (!writing_) writeNext();
}

void CamsimSession::writeNext() {
  if (closed_) return;
  if (!controlQueue_.empty()) {
    controlInFlight_ = std::move(controlQueue_.front());
    controlQueue_.pop_front();
    writing_ = true;
    writingFrame_ = false;
    asio::async_write(
        *socket_, asio::buffer(controlInFlight_),
        withMemory(writeMemory_, [self = shared_from_this()](const boost::system::error_code& ec,
                                                             size_t size) { self->onWritten(ec, size); }));
    return;
  }
  if (queued_ > 0) {
    CamsimFrame frame = frameQueue_[queueHead_];
    queueHead_ = (queueHead_ + 1) % kQueueCapacity;
    --queued_;
    --tracks_[frame.track].queued;
    writeFrame(frame);
    return;
  }
  if (!playing_) detachIfIdle(false);
  if (migrateTo_) migrate();
}

void CamsimSession::onWritten(const boost::system::error_code& ec, size_t size) {
  writing_ = writingFrame_ = false;
  if (closed_) return;
  if (ec) {
    close("write failed: " + ec.message());
    return;
  }
  worker_->counters().tcpBytes.fetch_add(size, std::memory_order_relaxed);
  writeNext();
}

}  // namespace sluice::camsim
