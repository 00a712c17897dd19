#include "load/LateSrtp.h"

#include <openssl/crypto.h>

#include <climits>

#include "media/RtpPacket.h"

namespace sluice::load {
namespace {

constexpr size_t kHmacTagLength = 10;  // AES_CM_128_HMAC_SHA1_80

// Length of the RTP header including CSRCs and the extension, 0 if it does not fit. The
// padding bit is not looked at: the padding count byte is encrypted.
size_t rtpHeaderLength(const uint8_t* p, size_t len) {
  if (len < media::kRtpFixedHeaderSize || (p[0] >> 6) != 2) return 0;
  size_t header = media::kRtpFixedHeaderSize + 4 * size_t{p[0] & 0x0fu};
  if (p[0] & 0x10) {
    if (header + 4 > len) return 0;
    header += 4 + 4 * size_t{media::readBe16(p + header + 2)};
  }
  return header <= len ? header : 0;
}

}  // namespace

bool LateSrtpOpener::init(webrtc::SrtpProfile profile, const uint8_t* masterKey, const uint8_t* masterSalt,
                          std::string& error) {
  initialized_ = false;
  profile_ = profile;
  if (!webrtc::srtpDeriveSessionKeys(profile, masterKey, masterSalt, false, keys_, error)) return false;
  bool ok = profile == webrtc::SrtpProfile::AeadAes128Gcm ? cipher_.initAes128Gcm(keys_.cipherKey)
                                                          : cipher_.initAes128Ctr(keys_.cipherKey);
  if (!ok) {
    error = "cipher initialisation failed";
    return false;
  }
  if (profile != webrtc::SrtpProfile::AeadAes128Gcm) auth_.setKey(keys_.authKey, sizeof(keys_.authKey));
  initialized_ = true;
  return true;
}

size_t LateSrtpOpener::unprotectRtp(uint8_t* packet, size_t len, uint64_t index) {
  if (!initialized_) return 0;
  const size_t tagLength = webrtc::srtpRtpTagLength(profile_);
  if (len < media::kRtpFixedHeaderSize + tagLength || len > INT_MAX) return 0;
  const size_t bodyEnd = len - tagLength;
  const size_t header = rtpHeaderLength(packet, bodyEnd);
  if (header == 0) return 0;
  const uint32_t ssrc = media::readSsrc(packet);
  const uint32_t roc = static_cast<uint32_t>(index >> 16);
  const uint16_t seq = static_cast<uint16_t>(index);

  if (profile_ == webrtc::SrtpProfile::AeadAes128Gcm) {
    // RFC 7714 8.1: IV = salt XOR (00 00 || SSRC || ROC || SEQ); AAD = the RTP header.
    uint8_t iv[12] = {0, 0};
    media::writeBe32(iv + 2, ssrc);
    media::writeBe32(iv + 6, roc);
    media::writeBe16(iv + 10, seq);
    for (size_t i = 0; i < sizeof(iv); ++i) iv[i] ^= keys_.salt[i];
    const bool ok =
        cipher_.gcmOpen(iv, packet, header, nullptr, 0, packet + header, bodyEnd - header, packet + bodyEnd);
    return ok ? bodyEnd : 0;
  }
  // RFC 3711 4.2: the tag covers the packet followed by the 32-bit ROC; check, then decrypt.
  uint8_t rocBytes[4];
  media::writeBe32(rocBytes, roc);
  uint8_t mac[webrtc::SrtpHmacSha1::kDigestSize];
  auth_.compute(packet, bodyEnd, rocBytes, sizeof(rocBytes), mac);
  if (CRYPTO_memcmp(mac, packet + bodyEnd, kHmacTagLength) != 0) return 0;
  uint8_t iv[16];
  webrtc::srtpAesCmIv(keys_.salt, ssrc, index, iv);
  if (!cipher_.applyCtr(iv, packet + header, bodyEnd - header)) return 0;
  return bodyEnd;
}

}  // namespace sluice::load
