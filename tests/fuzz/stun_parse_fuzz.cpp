// module: webrtc
// Parses arbitrary bytes as STUN. Whatever parses must be readable through every accessor
// without leaving the input, and rebuilding the attributes it carries must produce a
// message that parses back to the same values with valid MESSAGE-INTEGRITY/FINGERPRINT.
#include <cstdlib>
#include <cstring>

#include "webrtc/StunMessage.h"

using namespace sluice::webrtc;

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

bool inside(const void* p, size_t n, const uint8_t* data, size_t size) {
  auto* b = static_cast<const uint8_t*>(p);
  return b >= data && b + n <= data + size;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const bool demuxedAsStun = isStun(data, size);
  StunMessage message;
  if (message.parse(data, size) != StunParseError::None) return 0;
  check(!(size > 0 && data[0] <= 3) || demuxedAsStun);

  const auto username = message.username();
  if (username) check(inside(username->data(), username->size(), data, size));
  const auto errorCode = message.errorCode();
  if (errorCode) {
    check(errorCode->code >= 300 && errorCode->code <= 699);
    check(inside(errorCode->reason.data(), errorCode->reason.size(), data, size));
  }
  const auto priority = message.priority();
  const auto controlling = message.iceControlling();
  const auto controlled = message.iceControlled();
  const auto mapped = message.xorMappedAddress();
  (void)message.unknownComprehensionRequired();
  (void)message.verifyFingerprint();
  (void)message.verifyMessageIntegrity("fuzz-password");
  check(message.isRequest() + message.isIndication() + message.isSuccessResponse() +
            message.isErrorResponse() ==
        1);

  uint8_t out[2048];
  StunMessageBuilder builder(out, sizeof(out));
  builder.start(message.type(), message.transactionId());
  if (username) builder.appendUsername(*username);
  if (priority) builder.appendPriority(*priority);
  if (controlling) builder.appendIceControlling(*controlling);
  if (controlled) builder.appendIceControlled(*controlled);
  if (message.useCandidate()) builder.appendUseCandidate();
  if (mapped) builder.appendXorMappedAddress(*mapped);
  if (errorCode) builder.appendErrorCode(errorCode->code, errorCode->reason);
  builder.appendMessageIntegrity("fuzz-password");
  builder.appendFingerprint();
  check(builder.ok());

  StunMessage rebuilt;
  check(rebuilt.parse(out, builder.size()) == StunParseError::None);
  check(rebuilt.type() == message.type() && rebuilt.transactionId() == message.transactionId());
  check(rebuilt.username() == username && rebuilt.priority() == priority);
  check(rebuilt.iceControlling() == controlling && rebuilt.iceControlled() == controlled);
  check(rebuilt.useCandidate() == message.useCandidate() && rebuilt.xorMappedAddress() == mapped);
  const auto rebuiltError = rebuilt.errorCode();
  check(rebuiltError.has_value() == errorCode.has_value());
  if (errorCode) check(rebuiltError->code == errorCode->code && rebuiltError->reason == errorCode->reason);
  check(rebuilt.verifyMessageIntegrity("fuzz-password") && rebuilt.verifyFingerprint());
  return 0;
}
