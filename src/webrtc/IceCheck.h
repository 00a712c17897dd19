#pragma once
// The ICE-lite answer to a connectivity check (RFC 8445 §7.3), shared by the UDP mux, the
// ICE-TCP listener and a bound ICE-TCP connection, so every transport verifies checks the
// same way: a Binding request with USERNAME "<our ufrag>:<theirs>", a valid FINGERPRINT and
// a MESSAGE-INTEGRITY keyed with our password, answered with XOR-MAPPED-ADDRESS.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "webrtc/SocketAddress.h"
#include "webrtc/StunMessage.h"

namespace sluice::webrtc {

// Big enough for a Binding success response with an IPv6 address, integrity and fingerprint.
constexpr size_t kIceCheckResponseMax = 256;

// Our ufrag (the part of USERNAME before ':') when `msg` is a Binding request with a
// USERNAME, else nullopt. Says nothing about authenticity yet.
std::optional<std::string_view> iceCheckLocalUfrag(const StunMessage& msg);

// Verifies FINGERPRINT and MESSAGE-INTEGRITY with `localPwd` and writes the success
// response for a check seen from `from` into `out`. Returns its size, 0 if the check is
// not authentic (it must then be ignored, RFC 8445 §7.3).
size_t answerIceCheck(const StunMessage& msg, std::string_view localPwd, const SocketAddress& from,
                      uint8_t* out, size_t capacity);

}  // namespace sluice::webrtc
