#include "app/ClipPlayer.h"

#include "core/Random.h"
#include "media/RtpPacket.h"

namespace sluice::app {

ClipPlayer::ClipPlayer(boost::asio::io_context& io, std::shared_ptr<stream::Stream> stream,
                       std::shared_ptr<const media::H264Clip> clip)
    : stream_(std::move(stream)),
      clip_(std::move(clip)),
      timer_(io),
      packetizer_(stream::kMaxRtpPayload),
      packet_(12 + stream::kMaxRtpPayload) {}

void ClipPlayer::start() {
  if (clip_->frames.empty()) return;
  running_ = true;
  ssrc_ = core::random32();
  seq_ = static_cast<uint16_t>(core::random32());
  decodeTime_ = core::random32();
  next_ = 0;
  due_ = std::chrono::steady_clock::now();
  sendNext();
}

void ClipPlayer::stop() {
  running_ = false;
  ++generation_;  // a wait that already completed must not play on after a restart
  timer_.cancel();
}

void ClipPlayer::sendNext() {
  const media::H264ClipFrame& frame = clip_->frames[next_];
  const uint32_t timestamp = decodeTime_ + static_cast<uint32_t>(frame.presentationOffset);
  // The packetizer writes each payload right behind the 12-byte header slot.
  packetizer_.packetize(frame.nals.data(), frame.nals.size(), packet_.data() + 12,
                        [&](const uint8_t*, size_t size, bool marker) {
                          media::RtpHeader h;
                          h.marker = marker;
                          h.payloadType = 96;
                          h.sequence = seq_++;
                          h.timestamp = timestamp;
                          h.ssrc = ssrc_;
                          size_t hs = media::writeRtpHeader(packet_.data(), h);
                          stream_->ingestRtp(packet_.data(), hs + size);
                        });
  decodeTime_ += frame.durationTicks;
  next_ = (next_ + 1) % clip_->frames.size();

  due_ += std::chrono::microseconds(int64_t{frame.durationTicks} * 1000 / 90);
  auto now = std::chrono::steady_clock::now();
  if (due_ < now - std::chrono::seconds(1)) due_ = now;  // after a stall, don't burst to catch up
  timer_.expires_at(due_);
  timer_.async_wait([this, generation = generation_](const boost::system::error_code& ec) {
    if (!ec && running_ && generation == generation_) sendNext();
  });
}

}  // namespace sluice::app
