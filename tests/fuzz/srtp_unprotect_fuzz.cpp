// module: webrtc
// SRTP/SRTCP receive path under a fixed key. The first input byte picks the mode:
//   bit 0: profile (0 AES_CM_128_HMAC_SHA1_80, 1 AEAD_AES_128_GCM)
//   bit 1: RTP (0) or RTCP (1)
//   bit 2: 0 = the rest is a sequence of packets, each prefixed by a 16-bit big-endian
//          length, unprotected in order by one session (exercises ROC estimation and the
//          replay window); 1 = the rest is a plaintext packet that must survive
//          protect + unprotect unchanged.
#include <cstdlib>
#include <cstring>
#include <string>

#include "webrtc/SrtpSession.h"

using namespace sluice::webrtc;

namespace {

constexpr size_t kMaxPacket = 2048;
// Master key 00 01 .. 0f, master salt a0 a1 .. ad (GCM uses the first 12 bytes).
const uint8_t kMasterKey[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
const uint8_t kMasterSalt[14] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6,
                                 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad};

void check(bool condition) {
  if (!condition) std::abort();
}

size_t unprotect(SrtpSession& session, bool rtcp, uint8_t* packet, size_t len) {
  const size_t out = rtcp ? session.unprotectRtcp(packet, len) : session.unprotectRtp(packet, len);
  check(out <= len);
  check((out == 0) == (session.lastError() != SrtpError::None));
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  ++data;
  --size;
  const SrtpProfile profile = (mode & 1) ? SrtpProfile::AeadAes128Gcm : SrtpProfile::AesCm128HmacSha1_80;
  const bool rtcp = (mode & 2) != 0;
  std::string error;
  SrtpSession receiver;
  check(receiver.init(profile, kMasterKey, kMasterSalt, error));
  uint8_t buf[kMaxPacket + SrtpSession::kMaxOverhead];

  if (mode & 4) {
    if (size > kMaxPacket) return 0;
    SrtpSession sender;
    check(sender.init(profile, kMasterKey, kMasterSalt, error));
    std::memcpy(buf, data, size);
    const size_t protectedLength =
        rtcp ? sender.protectRtcp(buf, size, sizeof(buf)) : sender.protectRtp(buf, size, sizeof(buf));
    if (protectedLength == 0) return 0;  // not a valid plaintext packet
    check(protectedLength == size + (rtcp ? sender.rtcpOverhead() : sender.rtpOverhead()));
    check(unprotect(receiver, rtcp, buf, protectedLength) == size);
    check(std::memcmp(buf, data, size) == 0);
    return 0;
  }

  while (size >= 2) {
    size_t len = size_t{data[0]} << 8 | data[1];
    data += 2;
    size -= 2;
    if (len > size) len = size;
    if (len <= kMaxPacket) {
      std::memcpy(buf, data, len);
      unprotect(receiver, rtcp, buf, len);
    }
    data += len;
    size -= len;
  }
  return 0;
}
