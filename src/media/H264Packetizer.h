#pragma once
// Access unit -> RTP payloads, RFC 6184 packetization-mode 1: a NAL unit that fits goes
// whole (single NAL unit packet), a larger one as FU-A fragments. No allocation.
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "media/AnnexB.h"

namespace sluice::media {

class RtpPayloadSink {
 public:
  virtual ~RtpPayloadSink() = default;
  virtual void onPayload(const uint8_t* payload, size_t size, bool marker) = 0;
};

class H264Packetizer {
 public:
  // maxPayload is clamped to at least 3 (an FU-A with one byte of body).
  explicit H264Packetizer(size_t maxPayload = 1200);

  size_t maxPayload() const { return maxPayload_; }

  // Every payload is written to `out` (capacity >= maxPayload()) and handed to the sink
  // before the next one is written, so `out` can be the payload area of the caller's RTP
  // packet buffer. The marker is set on the last payload. Empty NAL units are skipped.
  void packetize(const NalUnitSpan* nals, size_t count, uint8_t* out, RtpPayloadSink& sink) const;

  // Same, with any callable void(const uint8_t*, size_t, bool marker).
  template <class F>
  requires std::is_invocable_v<F&, const uint8_t*, size_t, bool>
  void packetize(const NalUnitSpan* nals, size_t count, uint8_t* out, F&& f) const {
    struct Adapter : RtpPayloadSink {
      F& f;
      explicit Adapter(F& fn) : f(fn) {}
      void onPayload(const uint8_t* p, size_t n, bool m) override { f(p, n, m); }
    } adapter(f);
    packetize(nals, count, out, static_cast<RtpPayloadSink&>(adapter));
  }

 private:
  size_t maxPayload_;
};

}  // namespace sluice::media
