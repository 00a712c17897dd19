#include "webrtc/SrtpSession.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstring>

#include "media/RtpPacket.h"

namespace sluice::webrtc {

namespace {

constexpr size_t kRtpFixedHeader = 12;
constexpr size_t kRtcpFixedHeader = 8;  // V/P/RC, PT, length, sender SSRC
constexpr size_t kHmacTagLength = 10;
// Lengths go to EVP as int; a UDP datagram cannot be larger anyway.
constexpr size_t kMaxPacketLength = 65535;
constexpr uint64_t kMaxSrtpIndex = (uint64_t{1} << 48) - 1;
constexpr uint32_t kMaxSrtcpIndex = 0x7fffffff;
constexpr uint32_t kSrtcpEncryptedFlag = 0x80000000;

uint16_t read16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t read32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}
void write32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

// RFC 3711 3.3.1: the index of `seq` given the highest index seen so far, choosing the
// rollover counter (ROC - 1, ROC, ROC + 1) that puts `seq` closest to it. Negative when
// the packet would precede index 0 of the stream.
int64_t estimateIndex(uint64_t highest, uint16_t seq) {
  const int64_t roc = static_cast<int64_t>(highest >> 16);
  const int64_t last = static_cast<int64_t>(highest & 0xffff);
  int64_t guess = roc;
  if (last < 0x8000) {
    if (int64_t{seq} - last > 0x8000) guess = roc - 1;
  } else if (last - 0x8000 > int64_t{seq}) {
    guess = roc + 1;
  }
  return guess < 0 ? -1 : (guess << 16 | seq);
}

// RFC 7714 8.1: IV = salt XOR (00 00 || SSRC || ROC || SEQ).
void gcmRtpIv(const uint8_t salt[12], uint32_t ssrc, uint32_t roc, uint16_t seq, uint8_t iv[12]) {
  iv[0] = 0;
  iv[1] = 0;
  write32(iv + 2, ssrc);
  write32(iv + 6, roc);
  iv[10] = static_cast<uint8_t>(seq >> 8);
  iv[11] = static_cast<uint8_t>(seq);
  for (size_t i = 0; i < 12; ++i) iv[i] ^= salt[i];
}

// RFC 7714 9.1: IV = salt XOR (00 00 || SSRC || 00 00 || 0 || SRTCP index).
void gcmRtcpIv(const uint8_t salt[12], uint32_t ssrc, uint32_t index, uint8_t iv[12]) {
  iv[0] = 0;
  iv[1] = 0;
  write32(iv + 2, ssrc);
  iv[6] = 0;
  iv[7] = 0;
  write32(iv + 8, index);
  for (size_t i = 0; i < 12; ++i) iv[i] ^= salt[i];
}

}  // namespace

const char* toString(SrtpError error) {
  switch (error) {
    case SrtpError::None:
      return "none";
    case SrtpError::NotInitialized:
      return "SRTP session not initialized";
    case SrtpError::Malformed:
      return "malformed packet";
    case SrtpError::BufferTooSmall:
      return "buffer too small for the SRTP overhead";
    case SrtpError::AuthFailure:
      return "authentication failed";
    case SrtpError::Replay:
      return "replayed or too old packet";
    case SrtpError::SsrcTableFull:
      return "too many SSRCs";
    case SrtpError::IndexExhausted:
      return "packet index exhausted, rekey needed";
    case SrtpError::CryptoFailure:
      return "OpenSSL cipher failure";
  }
  return "unknown";
}

SrtpSession::~SrtpSession() {
  OPENSSL_cleanse(&rtpKeys_, sizeof(rtpKeys_));
  OPENSSL_cleanse(&rtcpKeys_, sizeof(rtcpKeys_));
}

bool SrtpSession::init(SrtpProfile profile, const uint8_t* masterKey, const uint8_t* masterSalt,
                       std::string& error) {
  // A failed rekey must not leave the previous keys in use.
  initialized_ = false;
  SrtpSessionKeys rtp, rtcp;
  bool ok = srtpDeriveSessionKeys(profile, masterKey, masterSalt, false, rtp, error) &&
            srtpDeriveSessionKeys(profile, masterKey, masterSalt, true, rtcp, error) &&
            initWithSessionKeys(profile, rtp, rtcp, error);
  OPENSSL_cleanse(&rtp, sizeof(rtp));
  OPENSSL_cleanse(&rtcp, sizeof(rtcp));
  return ok;
}

bool SrtpSession::initWithSessionKeys(SrtpProfile profile, const SrtpSessionKeys& rtpKeys,
                                      const SrtpSessionKeys& rtcpKeys, std::string& error) {
  initialized_ = false;
  profile_ = profile;
  rtpKeys_ = rtpKeys;
  rtcpKeys_ = rtcpKeys;
  const bool rtp = use_ == Use::RtpAndRtcp;
  bool ok;
  if (profile == SrtpProfile::AeadAes128Gcm) {
    ok = (!rtp || rtpCipher_.initAes128Gcm(rtpKeys.cipherKey)) &&
         rtcpCipher_.initAes128Gcm(rtcpKeys.cipherKey);
  } else {
    ok = (!rtp || rtpCipher_.initAes128Ctr(rtpKeys.cipherKey)) &&
         rtcpCipher_.initAes128Ctr(rtcpKeys.cipherKey);
    if (rtp) rtpAuth_.setKey(rtpKeys.authKey, sizeof(rtpKeys.authKey));
    rtcpAuth_.setKey(rtcpKeys.authKey, sizeof(rtcpKeys.authKey));
  }
  if (!ok) {
    error = "SRTP cipher setup failed (OpenSSL)";
    return false;
  }
  srtcpSendIndex_ = 0;
  for (Stream& s : streams_) s = Stream{};
  lastStream_ = 0;
  lastError_ = SrtpError::None;
  initialized_ = true;
  return true;
}

bool SrtpSession::reserve(SrtpProfile profile) {
  SrtpSessionKeys placeholder{};
  std::string error;
  const bool ok = initWithSessionKeys(profile, placeholder, placeholder, error);
  initialized_ = false;
  return ok;
}

SrtpSession::Stream* SrtpSession::findStream(uint32_t ssrc) {
  Stream& last = streams_[lastStream_];
  if (last.inUse && last.ssrc == ssrc) return &last;
  for (size_t i = 0; i < kMaxSsrcs; ++i) {
    if (streams_[i].inUse && streams_[i].ssrc == ssrc) {
      lastStream_ = i;
      return &streams_[i];
    }
  }
  return nullptr;
}

SrtpSession::Stream* SrtpSession::findOrAddStream(uint32_t ssrc) {
  if (Stream* s = findStream(ssrc)) return s;
  for (size_t i = 0; i < kMaxSsrcs; ++i) {
    if (!streams_[i].inUse) {
      streams_[i] = Stream{};
      streams_[i].ssrc = ssrc;
      streams_[i].inUse = true;
      lastStream_ = i;
      return &streams_[i];
    }
  }
  return nullptr;
}

bool SrtpSession::hasFreeStream() const {
  for (const Stream& s : streams_) {
    if (!s.inUse) return true;
  }
  return false;
}

bool SrtpSession::isReplay(const ReplayState& state, uint64_t index) {
  if (!state.any || index > state.highest) return false;
  uint64_t age = state.highest - index;
  return age >= kReplayWindow || ((state.window >> age) & 1) != 0;
}

void SrtpSession::acceptIndex(ReplayState& state, uint64_t index) {
  if (!state.any) {
    state = ReplayState{index, 1, true};
  } else if (index > state.highest) {
    uint64_t shift = index - state.highest;
    state.window = shift >= kReplayWindow ? 1 : (state.window << shift) | 1;
    state.highest = index;
  } else {
    state.window |= uint64_t{1} << (state.highest - index);
  }
}

size_t SrtpSession::fail(SrtpError error) {
  lastError_ = error;
  switch (error) {
    case SrtpError::AuthFailure:
      ++counters_.authFailures;
      break;
    case SrtpError::Replay:
      ++counters_.replays;
      break;
    case SrtpError::Malformed:
      ++counters_.malformed;
      break;
    case SrtpError::SsrcTableFull:
      ++counters_.ssrcTableFull;
      break;
    default:
      ++counters_.otherErrors;
      break;
  }
  return 0;
}

// ---- SRTP ----

size_t SrtpSession::protectRtp(uint8_t* packet, size_t len, size_t capacity, const uint8_t* payload) {
  if (!initialized_ || use_ != Use::RtpAndRtcp) return fail(SrtpError::NotInitialized);
  const size_t header = len <= kMaxPacketLength ? media::rtpHeaderSize(packet, len) : 0;
  if (header == 0) return fail(SrtpError::Malformed);
  const size_t tagLength = srtpRtpTagLength(profile_);
  if (capacity < len + tagLength) return fail(SrtpError::BufferTooSmall);
  const uint16_t seq = read16(packet + 2);
  const uint32_t ssrc = read32(packet + 8);
  Stream* stream = findOrAddStream(ssrc);
  if (!stream) return fail(SrtpError::SsrcTableFull);

  uint64_t index = seq;
  if (stream->sentAny) {
    int64_t estimate = estimateIndex(stream->sentHighest, seq);
    // Older than the first packet of the stream: there is no rollover counter for it.
    if (estimate < 0) return fail(SrtpError::Replay);
    index = static_cast<uint64_t>(estimate);
    if (index > kMaxSrtpIndex) return fail(SrtpError::IndexExhausted);
  }
  const uint32_t roc = static_cast<uint32_t>(index >> 16);

  if (profile_ == SrtpProfile::AeadAes128Gcm) {
    uint8_t iv[12];
    gcmRtpIv(rtpKeys_.salt, ssrc, roc, seq, iv);
    const uint8_t* in = payload ? payload : packet + header;
    if (!rtpCipher_.gcmSeal(iv, packet, header, nullptr, 0, in, packet + header, len - header,
                            packet + len)) {
      return fail(SrtpError::CryptoFailure);
    }
  } else {
    if (payload) std::memcpy(packet + header, payload, len - header);
    uint8_t iv[16];
    srtpAesCmIv(rtpKeys_.salt, ssrc, index, iv);
    if (!rtpCipher_.applyCtr(iv, packet + header, len - header)) return fail(SrtpError::CryptoFailure);
    // RFC 3711 4.2: the tag covers the packet followed by the 32-bit ROC.
    uint8_t rocBytes[4];
    write32(rocBytes, roc);
    uint8_t mac[SrtpHmacSha1::kDigestSize];
    rtpAuth_.compute(packet, len, rocBytes, sizeof(rocBytes), mac);
    std::memcpy(packet + len, mac, kHmacTagLength);
  }
  if (!stream->sentAny || index > stream->sentHighest) {
    stream->sentHighest = index;
    stream->sentAny = true;
  }
  ++counters_.rtpProtected;
  lastError_ = SrtpError::None;
  return len + tagLength;
}

size_t SrtpSession::unprotectRtp(uint8_t* packet, size_t len) {
  if (!initialized_ || use_ != Use::RtpAndRtcp) return fail(SrtpError::NotInitialized);
  const size_t tagLength = srtpRtpTagLength(profile_);
  if (len < kRtpFixedHeader + tagLength || len > kMaxPacketLength) return fail(SrtpError::Malformed);
  const size_t bodyEnd = len - tagLength;
  const size_t header = media::rtpHeaderSize(packet, bodyEnd);
  if (header == 0) return fail(SrtpError::Malformed);
  const uint16_t seq = read16(packet + 2);
  const uint32_t ssrc = read32(packet + 8);
  Stream* stream = findStream(ssrc);
  if (!stream && !hasFreeStream()) return fail(SrtpError::SsrcTableFull);

  // A stream's first packet has ROC 0: DTLS-SRTP keys are fresh for every association.
  uint64_t index = seq;
  if (stream && stream->rtp.any) {
    int64_t estimate = estimateIndex(stream->rtp.highest, seq);
    if (estimate < 0) return fail(SrtpError::Replay);
    index = static_cast<uint64_t>(estimate);
    if (index > kMaxSrtpIndex) return fail(SrtpError::IndexExhausted);
    // Checked before spending the crypto; the window only moves after authentication.
    if (isReplay(stream->rtp, index)) return fail(SrtpError::Replay);
  }
  const uint32_t roc = static_cast<uint32_t>(index >> 16);

  if (profile_ == SrtpProfile::AeadAes128Gcm) {
    uint8_t iv[12];
    gcmRtpIv(rtpKeys_.salt, ssrc, roc, seq, iv);
    if (!rtpCipher_.gcmOpen(iv, packet, header, nullptr, 0, packet + header, bodyEnd - header,
                            packet + bodyEnd)) {
      return fail(SrtpError::AuthFailure);
    }
  } else {
    uint8_t rocBytes[4];
    write32(rocBytes, roc);
    uint8_t mac[SrtpHmacSha1::kDigestSize];
    rtpAuth_.compute(packet, bodyEnd, rocBytes, sizeof(rocBytes), mac);
    if (CRYPTO_memcmp(mac, packet + bodyEnd, kHmacTagLength) != 0) return fail(SrtpError::AuthFailure);
    uint8_t iv[16];
    srtpAesCmIv(rtpKeys_.salt, ssrc, index, iv);
    if (!rtpCipher_.applyCtr(iv, packet + header, bodyEnd - header)) return fail(SrtpError::CryptoFailure);
  }
  if (!stream) stream = findOrAddStream(ssrc);  // a free slot was checked above
  acceptIndex(stream->rtp, index);
  ++counters_.rtpUnprotected;
  lastError_ = SrtpError::None;
  return bodyEnd;
}

// ---- SRTCP ----

size_t SrtpSession::protectRtcp(uint8_t* packet, size_t len, size_t capacity) {
  if (!initialized_) return fail(SrtpError::NotInitialized);
  if (len < kRtcpFixedHeader || len > kMaxPacketLength || (packet[0] >> 6) != 2) {
    return fail(SrtpError::Malformed);
  }
  const size_t tagLength = srtpRtpTagLength(profile_);
  if (capacity < len + tagLength + kSrtcpIndexSize) return fail(SrtpError::BufferTooSmall);
  if (srtcpSendIndex_ > kMaxSrtcpIndex) return fail(SrtpError::IndexExhausted);
  const uint32_t index = srtcpSendIndex_;
  const uint32_t ssrc = read32(packet + 4);
  uint8_t trailer[kSrtcpIndexSize];
  write32(trailer, kSrtcpEncryptedFlag | index);

  if (profile_ == SrtpProfile::AeadAes128Gcm) {
    // RFC 7714 9: AAD = the first 8 octets and the E || index word; layout: header,
    // ciphertext, tag, E || index.
    uint8_t iv[12];
    gcmRtcpIv(rtcpKeys_.salt, ssrc, index, iv);
    if (!rtcpCipher_.gcmSeal(iv, packet, kRtcpFixedHeader, trailer, sizeof(trailer),
                             packet + kRtcpFixedHeader, packet + kRtcpFixedHeader, len - kRtcpFixedHeader,
                             packet + len)) {
      return fail(SrtpError::CryptoFailure);
    }
    std::memcpy(packet + len + tagLength, trailer, sizeof(trailer));
  } else {
    // RFC 3711 3.4: header, ciphertext, E || index, tag over everything before it.
    uint8_t iv[16];
    srtpAesCmIv(rtcpKeys_.salt, ssrc, index, iv);
    if (!rtcpCipher_.applyCtr(iv, packet + kRtcpFixedHeader, len - kRtcpFixedHeader)) {
      return fail(SrtpError::CryptoFailure);
    }
    std::memcpy(packet + len, trailer, sizeof(trailer));
    uint8_t mac[SrtpHmacSha1::kDigestSize];
    rtcpAuth_.compute(packet, len + sizeof(trailer), nullptr, 0, mac);
    std::memcpy(packet + len + sizeof(trailer), mac, kHmacTagLength);
  }
  ++srtcpSendIndex_;
  ++counters_.rtcpProtected;
  lastError_ = SrtpError::None;
  return len + tagLength + kSrtcpIndexSize;
}

size_t SrtpSession::unprotectRtcp(uint8_t* packet, size_t len) {
  if (!initialized_) return fail(SrtpError::NotInitialized);
  const size_t tagLength = srtpRtpTagLength(profile_);
  if (len < kRtcpFixedHeader + kSrtcpIndexSize + tagLength || len > kMaxPacketLength ||
      (packet[0] >> 6) != 2) {
    return fail(SrtpError::Malformed);
  }
  const size_t bodyEnd = len - tagLength - kSrtcpIndexSize;
  const bool gcm = profile_ == SrtpProfile::AeadAes128Gcm;
  const uint8_t* trailer = gcm ? packet + len - kSrtcpIndexSize : packet + bodyEnd;
  const uint8_t* tag = gcm ? packet + bodyEnd : packet + len - tagLength;
  const uint32_t trailerValue = read32(trailer);
  // RFC 3711 allows unencrypted (E = 0) but authenticated packets per packet.
  const bool encrypted = (trailerValue & kSrtcpEncryptedFlag) != 0;
  const uint32_t index = trailerValue & kMaxSrtcpIndex;
  const uint32_t ssrc = read32(packet + 4);
  Stream* stream = findStream(ssrc);
  if (!stream && !hasFreeStream()) return fail(SrtpError::SsrcTableFull);
  if (stream && isReplay(stream->rtcp, index)) return fail(SrtpError::Replay);

  if (gcm) {
    uint8_t iv[12];
    gcmRtcpIv(rtcpKeys_.salt, ssrc, index, iv);
    // Unencrypted (RFC 7714 9.2): the whole packet is associated data.
    const size_t aadLength = encrypted ? kRtcpFixedHeader : bodyEnd;
    const size_t cipherLength = encrypted ? bodyEnd - kRtcpFixedHeader : 0;
    if (!rtcpCipher_.gcmOpen(iv, packet, aadLength, trailer, kSrtcpIndexSize, packet + kRtcpFixedHeader,
                             cipherLength, tag)) {
      return fail(SrtpError::AuthFailure);
    }
  } else {
    uint8_t mac[SrtpHmacSha1::kDigestSize];
    rtcpAuth_.compute(packet, bodyEnd + kSrtcpIndexSize, nullptr, 0, mac);
    if (CRYPTO_memcmp(mac, tag, kHmacTagLength) != 0) return fail(SrtpError::AuthFailure);
    if (encrypted) {
      uint8_t iv[16];
      srtpAesCmIv(rtcpKeys_.salt, ssrc, index, iv);
      if (!rtcpCipher_.applyCtr(iv, packet + kRtcpFixedHeader, bodyEnd - kRtcpFixedHeader)) {
        return fail(SrtpError::CryptoFailure);
      }
    }
  }
  if (!stream) stream = findOrAddStream(ssrc);
  acceptIndex(stream->rtcp, index);
  ++counters_.rtcpUnprotected;
  lastError_ = SrtpError::None;
  return bodyEnd;
}

}  // namespace sluice::webrtc
