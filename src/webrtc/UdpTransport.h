#pragma once
// The UDP path of a session: its viewer's address on the shared UDP socket, sent through
// the worker's batched egress.
#include "core/UdpSendBatch.h"
#include "webrtc/SessionTransport.h"
#include "webrtc/SocketAddress.h"

namespace sluice::webrtc {

class UdpTransport final : public SessionTransport {
 public:
  static_assert(kMaxPacket == core::UdpSendBatch::kSlotSize);

  explicit UdpTransport(core::UdpSendBatch& egress) : egress_(egress) {}

  void setRemote(const SocketAddress& remote) { remote_ = remote; }
  const SocketAddress& remote() const { return remote_; }

  uint8_t* slot() override { return egress_.slot(); }
  void commit(size_t size) override { egress_.commit(size, remote_.storage, remote_.length); }
  const char* protocol() const override { return "udp"; }
  std::string remoteText() const override { return remote_.toString(); }

 private:
  core::UdpSendBatch& egress_;  // borrowed: the worker's, outlives the session
  SocketAddress remote_;
};

}  // namespace sluice::webrtc
