#include "webrtc/IceCheck.h"

namespace sluice::webrtc {

std::optional<std::string_view> iceCheckLocalUfrag(const StunMessage& msg) {
  if (!msg.isRequest() || msg.method() != 0x001) return std::nullopt;
  std::optional<std::string_view> username = msg.username();
  if (!username) return std::nullopt;
  size_t colon = username->find(':');
  return colon == std::string_view::npos ? *username : username->substr(0, colon);
}

size_t answerIceCheck(const StunMessage& msg, std::string_view localPwd, const SocketAddress& from,
                      uint8_t* out, size_t capacity) {
  if (!msg.verifyFingerprint() || !msg.verifyMessageIntegrity(localPwd)) return 0;
  auto mapped = StunAddress::fromSockaddr(reinterpret_cast<const sockaddr*>(&from.storage), from.length);
  if (!mapped) return 0;
  StunMessageBuilder b(out, capacity);
  b.bindingSuccess(msg.transactionId(), *mapped);
  b.appendMessageIntegrity(localPwd);
  b.appendFingerprint();
  return b.size();
}

}  // namespace sluice::webrtc
