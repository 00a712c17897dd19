#pragma once
// Where a WebRTC session's packets leave: the one interface between WebrtcSession and its
// selected ICE path. UdpTransport queues into the worker's batched UDP egress;
// TcpTransport writes RFC 4571 frames to an ICE-TCP connection. The session writes a
// packet into slot() (SRTP-protects it in place) and commit()s it; neither call blocks
// or allocates. Worker thread of the session only.
#include <cstddef>
#include <cstdint>
#include <string>

namespace sluice::webrtc {

class SessionTransport {
 public:
  // Room in slot(): a full RTP packet plus the SRTP tag (as core::UdpSendBatch::kSlotSize).
  static constexpr size_t kMaxPacket = 1536;

  virtual ~SessionTransport() = default;
  // A buffer of kMaxPacket bytes for the next packet, valid until commit().
  virtual uint8_t* slot() = 0;
  // Sends (or queues) the `size` bytes written into slot(); a full path drops the packet.
  virtual void commit(size_t size) = 0;
  // "udp" or "tcp".
  virtual const char* protocol() const = 0;
  // The viewer's end of the path, "1.2.3.4:5000".
  virtual std::string remoteText() const = 0;
};

}  // namespace sluice::webrtc
