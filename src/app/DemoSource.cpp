#include "app/DemoSource.h"

#include "app/DemoClip.h"
#include "core/Log.h"
#include "core/Random.h"
#include "media/AnnexB.h"
#include "media/RtpPacket.h"

namespace sluice::app {

namespace {
constexpr auto kFrameInterval = std::chrono::microseconds(1000000 / 30);
constexpr uint32_t kTicksPerFrame = 90000 / 30;
}  // namespace

DemoSource::DemoSource(boost::asio::io_context& io, std::shared_ptr<stream::Stream> stream,
                       std::string pathName)
    : io_(io),
      stream_(std::move(stream)),
      path_(std::move(pathName)),
      timer_(io),
      packetizer_(stream::kMaxRtpPayload) {
  EmbeddedClip clip = demoClip();
  units_ = media::splitAccessUnits(clip.data, clip.size);
  packet_.resize(12 + stream::kMaxRtpPayload);
}

void DemoSource::start() {
  if (units_.empty()) {
    log::error("[path {}] [demo source] the embedded clip holds no video", path_);
    return;
  }
  running_ = true;
  ssrc_ = core::random32();
  seq_ = static_cast<uint16_t>(core::random32());
  timestamp_ = core::random32();
  next_ = 0;
  stream_->start({}, {});
  log::info("[path {}] [demo source] ready: 1 track (H264), {} frames looping at 30 fps", path_,
            units_.size());
  due_ = std::chrono::steady_clock::now();
  sendNext();
}

void DemoSource::stop() {
  running_ = false;
  timer_.cancel();
  stream_->stop("demo source stopped");
}

void DemoSource::schedule() {
  due_ += kFrameInterval;
  auto now = std::chrono::steady_clock::now();
  if (due_ < now - std::chrono::seconds(1)) due_ = now;  // after a stall, don't burst to catch up
  timer_.expires_at(due_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && running_) sendNext();
  });
}

void DemoSource::sendNext() {
  const auto& au = units_[next_];
  // The packetizer writes each payload right behind the 12-byte header slot.
  packetizer_.packetize(au.data(), au.size(), packet_.data() + 12,
                        [&](const uint8_t*, size_t size, bool marker) {
                          media::RtpHeader h;
                          h.marker = marker;
                          h.payloadType = 96;
                          h.sequence = seq_++;
                          h.timestamp = timestamp_;
                          h.ssrc = ssrc_;
                          size_t hs = media::writeRtpHeader(packet_.data(), h);
                          stream_->ingestRtp(packet_.data(), hs + size);
                        });
  timestamp_ += kTicksPerFrame;
  next_ = (next_ + 1) % units_.size();
  schedule();
}

}  // namespace sluice::app
