#pragma once
// Opens SRTP packets that arrive behind SrtpSession's replay window.
//
// SrtpSession keeps a 64-packet replay window and refuses anything older as a replay. A
// NACK retransmission (same SSRC and sequence number, no RTX) of a packet lost early in a
// keyframe's burst arrives after the rest of that burst, often more than 64 packets behind
// the highest one: a browser's libsrtp accepts it (WebRTC configures a 1024-packet window),
// so the load client must too, or it would report recoverable loss as lost. The caller's
// own sequence tracking knows such a packet was missing (so it is no replay) and knows its
// extended index; this class authenticates and decrypts it at that index.
//
// Not for the common path (SrtpSession is): it is only fed the few late packets.
#include <cstddef>
#include <cstdint>
#include <string>

#include "webrtc/SrtpCrypto.h"
#include "webrtc/SrtpProfile.h"

namespace sluice::load {

class LateSrtpOpener {
 public:
  // Same master key and salt as the SrtpSession that receives the stream.
  bool init(webrtc::SrtpProfile profile, const uint8_t* masterKey, const uint8_t* masterSalt,
            std::string& error);
  // Unprotects in place at SRTP index `index` (ROC << 16 | sequence). Returns the plaintext
  // length, 0 when the packet is malformed or fails authentication.
  size_t unprotectRtp(uint8_t* packet, size_t len, uint64_t index);

 private:
  webrtc::SrtpProfile profile_ = webrtc::SrtpProfile::AeadAes128Gcm;
  bool initialized_ = false;
  webrtc::SrtpSessionKeys keys_;
  webrtc::SrtpCipherContext cipher_;
  webrtc::SrtpHmacSha1 auth_;
};

}  // namespace sluice::load
