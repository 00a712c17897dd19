#pragma once
// SRTP and SRTCP (RFC 3711) for one direction of a DTLS-SRTP association, with the
// AES_CM_128_HMAC_SHA1_80 and AEAD_AES_128_GCM (RFC 7714) profiles.
//
// Packets are transformed in place. The per-packet path does not allocate, lock or log:
// cipher contexts are keyed once in init() and only get a new IV per packet, HMAC pad
// states are precomputed, and the per-SSRC state lives in a fixed table.
//
// Not thread-safe: one instance belongs to one worker thread.
#include <cstddef>
#include <cstdint>
#include <string>

#include "webrtc/SrtpCrypto.h"
#include "webrtc/SrtpProfile.h"

namespace sluice::webrtc {

enum class SrtpError : uint8_t {
  None,
  NotInitialized,
  Malformed,       // too short, not version 2, header or trailer past the end
  BufferTooSmall,  // protect: capacity < length + overhead
  AuthFailure,     // tag mismatch
  Replay,          // duplicate, or older than the replay window
  SsrcTableFull,   // a new SSRC beyond kMaxSsrcs
  IndexExhausted,  // SRTCP index (2^31) or SRTP index (2^48) used up: rekey
  CryptoFailure,   // OpenSSL refused an operation (not expected at run time)
};
const char* toString(SrtpError error);

struct SrtpCounters {
  uint64_t rtpProtected = 0;
  uint64_t rtpUnprotected = 0;
  uint64_t rtcpProtected = 0;
  uint64_t rtcpUnprotected = 0;
  uint64_t authFailures = 0;
  uint64_t replays = 0;
  uint64_t malformed = 0;
  uint64_t ssrcTableFull = 0;
  uint64_t otherErrors = 0;  // buffer too small, index exhausted, crypto failure
};

class SrtpSession {
 public:
  // Streams tracked per direction: enough for audio + simulcast video with RTX.
  static constexpr size_t kMaxSsrcs = 16;
  static constexpr uint64_t kReplayWindow = 64;
  static constexpr size_t kSrtcpIndexSize = 4;
  // Largest growth of a protected packet over its plaintext (GCM tag + SRTCP index), for
  // sizing buffers.
  static constexpr size_t kMaxOverhead = 16 + kSrtcpIndexSize;

  enum class Use : uint8_t {
    RtpAndRtcp,
    RtcpOnly,  // e.g. what a WHEP viewer sends us: RTP calls fail with NotInitialized
  };

  explicit SrtpSession(Use use = Use::RtpAndRtcp) : use_(use) {}
  ~SrtpSession();
  SrtpSession(const SrtpSession&) = delete;
  SrtpSession& operator=(const SrtpSession&) = delete;

  // Derives the SRTP and SRTCP session keys (RFC 3711 4.3, rate 0) from the master key
  // (16 bytes) and salt (srtpSaltLength(profile) bytes) exported by DTLS. Resets all
  // stream state; may be called again to rekey.
  bool init(SrtpProfile profile, const uint8_t* masterKey, const uint8_t* masterSalt, std::string& error);
  // Same, from session keys that are already derived (known-answer tests, e.g. RFC 7714).
  bool initWithSessionKeys(SrtpProfile profile, const SrtpSessionKeys& rtpKeys,
                           const SrtpSessionKeys& rtcpKeys, std::string& error);
  // Makes the cipher contexts for `profile` now, under placeholder keys, so that a later
  // init() with that profile only rekeys them. For sessions created long before their keys
  // arrive: their long-lived allocations are then made with the session's others, not among
  // the DTLS handshake's short-lived ones (which would keep those pages resident once freed).
  // Not initialized afterwards.
  bool reserve(SrtpProfile profile);
  bool initialized() const { return initialized_; }
  SrtpProfile profile() const { return profile_; }

  // Protect in place: `capacity` must be >= len + rtpOverhead() (rtcpOverhead() for RTCP).
  // Returns the new length, 0 on error. Protecting a sequence number again (a NACK
  // retransmission without RTX) is allowed and yields the same bytes for the same payload.
  // With `payload`, `packet` holds only the RTP header and the len - header payload bytes are
  // read from `payload` and written encrypted after it: a forwarded packet is encrypted
  // straight from the shared history into the send buffer, without copying it there first.
  size_t protectRtp(uint8_t* packet, size_t len, size_t capacity, const uint8_t* payload = nullptr);
  size_t protectRtcp(uint8_t* packet, size_t len, size_t capacity);
  // Unprotect in place. Returns the plaintext length, or 0 when the packet is malformed,
  // fails authentication or is a replay; the buffer contents are then unspecified (GCM
  // decrypts before the tag is checked).
  size_t unprotectRtp(uint8_t* packet, size_t len);
  size_t unprotectRtcp(uint8_t* packet, size_t len);

  size_t rtpOverhead() const { return srtpRtpTagLength(profile_); }
  size_t rtcpOverhead() const { return srtpRtpTagLength(profile_) + kSrtcpIndexSize; }

  const SrtpCounters& counters() const { return counters_; }
  // Why the last call returned 0 (None after a success).
  SrtpError lastError() const { return lastError_; }

 private:
  // Receive-side replay state of one index space (SRTP or SRTCP) of one SSRC.
  struct ReplayState {
    uint64_t highest = 0;  // highest authenticated index
    uint64_t window = 0;   // bit k set: index highest - k was accepted
    bool any = false;
  };
  struct Stream {
    uint32_t ssrc = 0;
    bool inUse = false;
    // Sender: highest SRTP index protected so far; carries the rollover counter.
    uint64_t sentHighest = 0;
    bool sentAny = false;
    ReplayState rtp;
    ReplayState rtcp;
  };

  Stream* findStream(uint32_t ssrc);
  Stream* findOrAddStream(uint32_t ssrc);
  bool hasFreeStream() const;
  static bool isReplay(const ReplayState& state, uint64_t index);
  static void acceptIndex(ReplayState& state, uint64_t index);
  size_t fail(SrtpError error);

  Use use_;
  SrtpProfile profile_ = SrtpProfile::AesCm128HmacSha1_80;
  bool initialized_ = false;
  SrtpSessionKeys rtpKeys_;
  SrtpSessionKeys rtcpKeys_;
  SrtpCipherContext rtpCipher_;
  SrtpCipherContext rtcpCipher_;
  SrtpHmacSha1 rtpAuth_;
  SrtpHmacSha1 rtcpAuth_;
  uint32_t srtcpSendIndex_ = 0;
  Stream streams_[kMaxSsrcs];
  size_t lastStream_ = 0;  // most packets repeat the previous SSRC
  SrtpCounters counters_;
  SrtpError lastError_ = SrtpError::None;
};

}  // namespace sluice::webrtc
