#include "webrtc/SrtpSession.h"

#include <gtest/gtest.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <srtp2/srtp.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "media/RtpPacket.h"
#include "webrtc/SrtpCrypto.h"

using namespace sluice::webrtc;

namespace {

// Counts OpenSSL heap allocations so that a test can prove the packet path makes none.
// Installing the hooks only works before OpenSSL's first allocation, hence a static
// initializer; if something allocated earlier, the allocation test is skipped.
std::atomic<uint64_t> gOpensslAllocations{0};
void* countingMalloc(size_t n, const char*, int) {
  gOpensslAllocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n);
}
void* countingRealloc(void* p, size_t n, const char*, int) {
  gOpensslAllocations.fetch_add(1, std::memory_order_relaxed);
  return std::realloc(p, n);
}
void countingFree(void* p, const char*, int) { std::free(p); }
const bool gAllocationHooksInstalled =
    CRYPTO_set_mem_functions(countingMalloc, countingRealloc, countingFree) == 1;

std::vector<uint8_t> hex(std::string_view text) {
  std::vector<uint8_t> out;
  int high = -1;
  for (char c : text) {
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else {
      continue;
    }
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  return out;
}

std::vector<uint8_t> bytes(const uint8_t* p, size_t n) { return std::vector<uint8_t>(p, p + n); }

// Master key || salt as DTLS-SRTP exports them (30 bytes for AES-CM, 28 for GCM).
std::vector<uint8_t> masterKeyAndSalt(SrtpProfile profile, uint8_t seed) {
  std::vector<uint8_t> k(srtpKeyLength(profile) + srtpSaltLength(profile));
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(seed + 7 * i);
  return k;
}

// A session initialized from master key || salt (SrtpSession itself is not movable).
struct KeyedSession : SrtpSession {
  KeyedSession(SrtpProfile profile, const std::vector<uint8_t>& keyAndSalt) {
    std::string error;
    EXPECT_TRUE(init(profile, keyAndSalt.data(), keyAndSalt.data() + srtpKeyLength(profile), error)) << error;
  }
};

// An RTP packet with `csrcs` CSRCs, an optional one-word header extension and a payload
// whose bytes depend on the sequence number.
std::vector<uint8_t> rtpPacket(uint16_t seq, uint32_t ssrc, size_t payload, int csrcs = 0,
                               bool extension = false) {
  std::vector<uint8_t> p = {static_cast<uint8_t>(0x80 | (extension ? 0x10 : 0) | csrcs),
                            96,
                            static_cast<uint8_t>(seq >> 8),
                            static_cast<uint8_t>(seq),
                            0x00,
                            0x01,
                            0x02,
                            0x03,
                            static_cast<uint8_t>(ssrc >> 24),
                            static_cast<uint8_t>(ssrc >> 16),
                            static_cast<uint8_t>(ssrc >> 8),
                            static_cast<uint8_t>(ssrc)};
  for (int i = 0; i < csrcs * 4; ++i) p.push_back(static_cast<uint8_t>(0xc0 + i));
  if (extension) p.insert(p.end(), {0xbe, 0xde, 0x00, 0x01, 0x10, 0xaa, 0x00, 0x00});
  for (size_t i = 0; i < payload; ++i) p.push_back(static_cast<uint8_t>(seq * 31 + i));
  return p;
}

// A receiver report with one report block (RTCP header + sender SSRC + 24 bytes).
std::vector<uint8_t> rtcpPacket(uint32_t ssrc, uint8_t fill) {
  std::vector<uint8_t> p = {0x81,
                            201,
                            0x00,
                            0x07,
                            static_cast<uint8_t>(ssrc >> 24),
                            static_cast<uint8_t>(ssrc >> 16),
                            static_cast<uint8_t>(ssrc >> 8),
                            static_cast<uint8_t>(ssrc)};
  for (int i = 0; i < 24; ++i) p.push_back(static_cast<uint8_t>(fill + i));
  return p;
}

// Protect/unprotect helpers on a vector with spare capacity; an empty result is an error.
std::vector<uint8_t> protectRtp(SrtpSession& s, std::vector<uint8_t> p) {
  const size_t len = p.size();
  p.resize(len + SrtpSession::kMaxOverhead);
  p.resize(s.protectRtp(p.data(), len, p.size()));
  return p;
}
std::vector<uint8_t> unprotectRtp(SrtpSession& s, std::vector<uint8_t> p) {
  p.resize(s.unprotectRtp(p.data(), p.size()));
  return p;
}
std::vector<uint8_t> protectRtcp(SrtpSession& s, std::vector<uint8_t> p) {
  const size_t len = p.size();
  p.resize(len + SrtpSession::kMaxOverhead);
  p.resize(s.protectRtcp(p.data(), len, p.size()));
  return p;
}
std::vector<uint8_t> unprotectRtcp(SrtpSession& s, std::vector<uint8_t> p) {
  p.resize(s.unprotectRtcp(p.data(), p.size()));
  return p;
}

const SrtpProfile kProfiles[] = {SrtpProfile::AesCm128HmacSha1_80, SrtpProfile::AeadAes128Gcm};
const char* name(SrtpProfile p) {
  return p == SrtpProfile::AeadAes128Gcm ? "AEAD_AES_128_GCM" : "AES_CM_128_HMAC_SHA1_80";
}

// ---- libsrtp2 as the reference implementation ----

class LibSrtp {
 public:
  LibSrtp(SrtpProfile profile, std::vector<uint8_t> keyAndSalt, bool outbound) : key_(std::move(keyAndSalt)) {
    // libsrtp2 2.5 fails a second srtp_init() in the process (another test may have made
    // the first), so its result is not checked; srtp_create() below proves the state.
    static const srtp_err_status_t initStatus = srtp_init();
    (void)initStatus;
    srtp_policy_t policy;
    std::memset(&policy, 0, sizeof(policy));
    if (profile == SrtpProfile::AeadAes128Gcm) {
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
    } else {
      srtp_crypto_policy_set_rtp_default(&policy.rtp);
      srtp_crypto_policy_set_rtcp_default(&policy.rtcp);
    }
    policy.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
    policy.key = key_.data();
    policy.window_size = 128;
    policy.allow_repeat_tx = 1;
    EXPECT_EQ(srtp_create(&session_, &policy), srtp_err_status_ok);
  }
  ~LibSrtp() { srtp_dealloc(session_); }
  LibSrtp(const LibSrtp&) = delete;
  LibSrtp& operator=(const LibSrtp&) = delete;

  std::vector<uint8_t> protectRtp(std::vector<uint8_t> p) { return run(p, srtp_protect, true); }
  std::vector<uint8_t> unprotectRtp(std::vector<uint8_t> p) { return run(p, srtp_unprotect, false); }
  std::vector<uint8_t> protectRtcp(std::vector<uint8_t> p) { return run(p, srtp_protect_rtcp, true); }
  std::vector<uint8_t> unprotectRtcp(std::vector<uint8_t> p) { return run(p, srtp_unprotect_rtcp, false); }
  srtp_t get() const { return session_; }

 private:
  using Fn = srtp_err_status_t (*)(srtp_t, void*, int*);
  std::vector<uint8_t> run(std::vector<uint8_t>& p, Fn fn, bool grows) {
    int len = static_cast<int>(p.size());
    if (grows) p.resize(p.size() + SRTP_MAX_TRAILER_LEN + 4);
    if (fn(session_, p.data(), &len) != srtp_err_status_ok) return {};
    p.resize(static_cast<size_t>(len));
    return p;
  }
  std::vector<uint8_t> key_;
  srtp_t session_ = nullptr;
};

}  // namespace

// ---- known-answer tests ----

TEST(SrtpCrypto, KeyDerivationRfc3711B3) {
  const auto masterKey = hex("E1F97A0D3E018BE0D64FA32C06DE4139");
  const auto masterSalt = hex("0EC675AD498AFEEBB6960B3AABE6");
  uint8_t cipherKey[16], salt[14], authKey[20];
  ASSERT_TRUE(srtpDeriveKey(masterKey.data(), masterSalt.data(), 14, SrtpKeyLabel::RtpCipher, cipherKey, 16));
  ASSERT_TRUE(srtpDeriveKey(masterKey.data(), masterSalt.data(), 14, SrtpKeyLabel::RtpSalt, salt, 14));
  ASSERT_TRUE(srtpDeriveKey(masterKey.data(), masterSalt.data(), 14, SrtpKeyLabel::RtpAuth, authKey, 20));
  EXPECT_EQ(bytes(cipherKey, 16), hex("C61E7A93744F39EE10734AFE3FF7A087"));
  EXPECT_EQ(bytes(salt, 14), hex("30CBBC08863D8C85D49DB34A9AE1"));
  EXPECT_EQ(bytes(authKey, 20), hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4"));

  SrtpSessionKeys keys;
  std::string error;
  ASSERT_TRUE(srtpDeriveSessionKeys(SrtpProfile::AesCm128HmacSha1_80, masterKey.data(), masterSalt.data(),
                                    false, keys, error));
  EXPECT_EQ(bytes(keys.cipherKey, 16), hex("C61E7A93744F39EE10734AFE3FF7A087"));
  EXPECT_EQ(bytes(keys.salt, 14), hex("30CBBC08863D8C85D49DB34A9AE1"));
  EXPECT_EQ(bytes(keys.authKey, 20), hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4"));
}

TEST(SrtpCrypto, AesCmKeystreamRfc3711B2) {
  const auto sessionKey = hex("2B7E151628AED2A6ABF7158809CF4F3C");
  const auto sessionSalt = hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD");
  uint8_t iv[16];
  srtpAesCmIv(sessionSalt.data(), /*ssrc=*/0, /*index=*/0, iv);
  EXPECT_EQ(bytes(iv, 16), hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000"));
  SrtpCipherContext ctr;
  ASSERT_TRUE(ctr.initAes128Ctr(sessionKey.data()));
  std::vector<uint8_t> keystream(0xff02 * 16, 0);
  ASSERT_TRUE(ctr.applyCtr(iv, keystream.data(), keystream.size()));
  auto block = [&](size_t i) { return bytes(keystream.data() + 16 * i, 16); };
  EXPECT_EQ(block(0x0000), hex("E03EAD0935C95E80E166B16DD92B4EB4"));
  EXPECT_EQ(block(0x0001), hex("D23513162B02D0F72A43A2FE4A5F97AB"));
  EXPECT_EQ(block(0x0002), hex("41E95B3BB0A2E8DD477901E4FCA894C0"));
  EXPECT_EQ(block(0xfeff), hex("EC8CDF7398607CB0F2D21675EA9EA1E4"));
  EXPECT_EQ(block(0xff00), hex("362B7C3C6773516318A077D7FC5073AE"));
  EXPECT_EQ(block(0xff01), hex("6A2CC3787889374FBEB4C81B17BA6C44"));

  // The IV places the SSRC in bytes 4..7 and the 48-bit index in bytes 8..13.
  srtpAesCmIv(sessionSalt.data(), 0x11223344, 0xAABBCCDDEEFFull, iv);
  EXPECT_EQ(bytes(iv, 16), hex("F0F1F2F3 E5D7C5B3 52423626 1202 0000"));
}

namespace {
// RFC 7714 sections 16 and 17 state session keys directly.
void initRfc7714Session(SrtpSession& s) {
  SrtpSessionKeys keys;
  const auto key = hex("000102030405060708090a0b0c0d0e0f");
  const auto salt = hex("517569642070726f2071756f");  // "Quid pro quo"
  std::memcpy(keys.cipherKey, key.data(), 16);
  std::memcpy(keys.salt, salt.data(), 12);
  std::string error;
  ASSERT_TRUE(s.initWithSessionKeys(SrtpProfile::AeadAes128Gcm, keys, keys, error)) << error;
}
const std::vector<uint8_t> kRfc7714Rtp = hex(
    "8040f17b8041f8d35501a0b247616c6c696120657374206f6d6e69732064697669736120696e207061727465732074726573");
const std::vector<uint8_t> kRfc7714Srtp =
    hex("8040f17b8041f8d35501a0b2f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f42a5f47a51c7d19b36de3adf8833"
        "899d7f27beb16a9152cf765ee4390cce");
const std::vector<uint8_t> kRfc7714Rtcp =
    hex("81c8000d4d6172734e5450314e545032525450200000042a0000e9304c756e61deadbeefdeadbeefdeadbeefdeadbeefdead"
        "beef");
const std::vector<uint8_t> kRfc7714Srtcp = hex(
    "81c8000d4d61727363e94885dcdab67ca727d7662f6b7e997ff5c0f76c06f32dc676a5f1730d6fda4ce09b4686303ded0bb927"
    "5bc84aa45896cf4d2fc5abf87245d9eade800005d4");
const std::vector<uint8_t> kRfc7714SrtcpUnencrypted = hex(
    "81c8000d4d6172734e5450314e545032525450200000042a0000e9304c756e61deadbeefdeadbeefdeadbeefdeadbeefdeadbeef"
    "841dd9683dd78ec92ae58790125f62b3000005d4");
}  // namespace

TEST(SrtpSession, GcmRtpRfc7714Section16) {
  SrtpSession sender;
  initRfc7714Session(sender);
  EXPECT_EQ(protectRtp(sender, kRfc7714Rtp), kRfc7714Srtp);
  SrtpSession receiver;
  initRfc7714Session(receiver);
  EXPECT_EQ(unprotectRtp(receiver, kRfc7714Srtp), kRfc7714Rtp);
}

TEST(SrtpSession, GcmRtcpRfc7714Section17) {
  SrtpSession receiver;
  initRfc7714Session(receiver);
  EXPECT_EQ(unprotectRtcp(receiver, kRfc7714Srtcp), kRfc7714Rtcp);
  SrtpSession tagOnlyReceiver;
  initRfc7714Session(tagOnlyReceiver);
  EXPECT_EQ(unprotectRtcp(tagOnlyReceiver, kRfc7714SrtcpUnencrypted), kRfc7714Rtcp);

  // The vector uses SRTCP index 0x5d4; the sender counts from 0.
  SrtpSession sender;
  initRfc7714Session(sender);
  for (int i = 0; i < 0x5d4; ++i) ASSERT_FALSE(protectRtcp(sender, kRfc7714Rtcp).empty());
  EXPECT_EQ(protectRtcp(sender, kRfc7714Rtcp), kRfc7714Srtcp);
}

// ---- interoperability with libsrtp2 ----

TEST(SrtpSession, RtpMatchesLibsrtpAcrossRolloverAndSsrcs) {
  for (SrtpProfile profile : kProfiles) {
    SCOPED_TRACE(name(profile));
    const auto key = masterKeyAndSalt(profile, 0x11);
    KeyedSession ours(profile, key);
    KeyedSession oursIn(profile, key);
    LibSrtp theirs(profile, key, true);
    LibSrtp theirsIn(profile, key, false);
    const uint32_t ssrcs[] = {0x11111111, 0xcafebabe, 0x00000001};
    int packets = 0;
    // 65530..65535 then 0..9 on every SSRC: the ROC goes from 0 to 1 mid-run.
    for (uint32_t n = 65530; n < 65536 + 10; ++n) {
      for (size_t k = 0; k < 3; ++k) {
        const uint16_t seq = static_cast<uint16_t>(n + k * 1000);  // the SSRCs wrap at different packets
        const auto plain =
            rtpPacket(seq, ssrcs[k], 10 + (n * 37 + k * 101) % 1200, static_cast<int>(k), k == 1);
        const auto mine = protectRtp(ours, plain);
        const auto reference = theirs.protectRtp(plain);
        ASSERT_FALSE(mine.empty());
        ASSERT_EQ(mine, reference) << "seq " << seq << " ssrc " << ssrcs[k];
        EXPECT_EQ(theirsIn.unprotectRtp(mine), plain);
        EXPECT_EQ(unprotectRtp(oursIn, reference), plain);
        ++packets;
      }
    }
    EXPECT_EQ(ours.counters().rtpProtected, static_cast<uint64_t>(packets));
    EXPECT_EQ(oursIn.counters().rtpUnprotected, static_cast<uint64_t>(packets));
    EXPECT_EQ(oursIn.counters().authFailures, 0u);
  }
}

// A forwarded packet: only its header is in the send buffer, the payload is read from the
// history (out of place). The bytes are libsrtp's, whatever the header's CSRCs and extension.
TEST(SrtpSession, RtpWithThePayloadReadFromElsewhereMatchesLibsrtp) {
  for (SrtpProfile profile : kProfiles) {
    SCOPED_TRACE(name(profile));
    const auto key = masterKeyAndSalt(profile, 0x5a);
    KeyedSession ours(profile, key);
    LibSrtp theirs(profile, key, true);
    for (uint16_t seq = 100; seq < 130; ++seq) {
      const int csrcs = seq % 3;
      const bool extension = seq % 2 == 0;
      const auto plain = rtpPacket(seq, 0x1234, 1 + (seq * 41) % 1200, csrcs, extension);
      const size_t header = sluice::media::rtpHeaderSize(plain.data(), plain.size());
      ASSERT_EQ(header, 12u + 4u * static_cast<size_t>(csrcs) + (extension ? 8u : 0u));
      std::vector<uint8_t> out(plain.size() + SrtpSession::kMaxOverhead, 0xee);
      std::copy(plain.begin(), plain.begin() + static_cast<std::ptrdiff_t>(header), out.begin());
      out.resize(ours.protectRtp(out.data(), plain.size(), out.size(), plain.data() + header));
      ASSERT_EQ(out, theirs.protectRtp(plain)) << "seq " << seq;
    }
  }
}

TEST(SrtpSession, RtcpMatchesLibsrtp) {
  for (SrtpProfile profile : kProfiles) {
    SCOPED_TRACE(name(profile));
    const auto key = masterKeyAndSalt(profile, 0x5a);
    KeyedSession ours(profile, key);
    KeyedSession oursIn(profile, key);
    LibSrtp theirs(profile, key, true);
    LibSrtp theirsIn(profile, key, false);
    // libsrtp numbers SRTCP per SSRC from 1 and this session per session from 0:
    // one packet realigns them, after which a single SSRC gives identical bytes.
    ASSERT_FALSE(protectRtcp(ours, rtcpPacket(0x12345678, 0)).empty());
    for (int i = 0; i < 50; ++i) {
      const auto plain = rtcpPacket(0x12345678, static_cast<uint8_t>(i));
      const auto mine = protectRtcp(ours, plain);
      const auto reference = theirs.protectRtcp(plain);
      ASSERT_FALSE(mine.empty());
      ASSERT_EQ(mine, reference) << i;
      EXPECT_EQ(theirsIn.unprotectRtcp(mine), plain);
      EXPECT_EQ(unprotectRtcp(oursIn, reference), plain);
    }
    // Several SSRCs: the session-wide index is still accepted by libsrtp's per-SSRC
    // windows, and libsrtp's per-SSRC indices by ours.
    for (int i = 0; i < 30; ++i) {
      const auto plain = rtcpPacket(0xa0000000u + i % 3, static_cast<uint8_t>(i));
      EXPECT_EQ(theirsIn.unprotectRtcp(protectRtcp(ours, plain)), plain);
      EXPECT_EQ(unprotectRtcp(oursIn, theirs.protectRtcp(plain)), plain);
    }
  }
}

// A session whose contexts were made ahead (reserve) and rekeyed in place protects exactly as
// libsrtp under the real keys; an RTCP-only one (what a WHEP session keeps for its viewer)
// takes SRTCP and refuses RTP.
TEST(SrtpSession, ReservedThenKeyedMatchesLibsrtpAndRtcpOnlyRefusesRtp) {
  for (SrtpProfile profile : kProfiles) {
    SCOPED_TRACE(name(profile));
    const auto key = masterKeyAndSalt(profile, 0x33);
    SrtpSession reserved;
    ASSERT_TRUE(reserved.reserve(SrtpProfile::AeadAes128Gcm));
    EXPECT_FALSE(reserved.initialized()) << "placeholder keys are never usable";
    EXPECT_TRUE(protectRtp(reserved, rtpPacket(1, 1, 10)).empty());
    std::string error;
    ASSERT_TRUE(reserved.init(profile, key.data(), key.data() + srtpKeyLength(profile), error)) << error;
    LibSrtp theirs(profile, key, true);
    for (uint16_t seq = 1; seq < 20; ++seq) {
      const auto plain = rtpPacket(seq, 0x0badcafe, 100 + seq * 50);
      ASSERT_EQ(protectRtp(reserved, plain), theirs.protectRtp(plain)) << seq;
    }

    SrtpSession rtcpOnly(SrtpSession::Use::RtcpOnly);
    ASSERT_TRUE(rtcpOnly.reserve(SrtpProfile::AeadAes128Gcm));
    ASSERT_TRUE(rtcpOnly.init(profile, key.data(), key.data() + srtpKeyLength(profile), error)) << error;
    const auto report = rtcpPacket(0x12345678, 7);
    EXPECT_EQ(unprotectRtcp(rtcpOnly, theirs.protectRtcp(report)), report);
    const auto media = theirs.protectRtp(rtpPacket(30, 0x0badcafe, 100));
    EXPECT_TRUE(unprotectRtp(rtcpOnly, media).empty());
    EXPECT_EQ(rtcpOnly.lastError(), SrtpError::NotInitialized);
  }
}

// ---- sequence number handling and replay ----

TEST(SrtpSession, ReceiverFollowsRolloverWithReordering) {
  for (SrtpProfile profile : kProfiles) {
    SCOPED_TRACE(name(profile));
    const auto key = masterKeyAndSalt(profile, 3);
    KeyedSession sender(profile, key);
    KeyedSession receiver(profile, key);
    std::vector<std::vector<uint8_t>> sent;
    for (uint32_t n = 65533; n < 65536 + 3; ++n)
      sent.push_back(protectRtp(sender, rtpPacket(uint16_t(n), 9, 100)));
    // 65533, 65534, 0 (ROC 1), 65535 (late, ROC 0), 2, 1
    for (int i : {0, 1, 3, 2, 5, 4}) {
      EXPECT_EQ(unprotectRtp(receiver, sent[i]), rtpPacket(uint16_t(65533 + i), 9, 100)) << i;
    }
    // Sender side: a packet just before the wrap sent after it still uses ROC 0.
    KeyedSession lateSender(profile, key);
    ASSERT_FALSE(protectRtp(lateSender, rtpPacket(65534, 9, 100)).empty());
    ASSERT_FALSE(protectRtp(lateSender, rtpPacket(1, 9, 100)).empty());
    EXPECT_EQ(protectRtp(lateSender, rtpPacket(65535, 9, 100)), sent[2]);
  }
}

TEST(SrtpSession, RejectsReplays) {
  for (SrtpProfile profile : kProfiles) {
    SCOPED_TRACE(name(profile));
    const auto key = masterKeyAndSalt(profile, 4);
    KeyedSession sender(profile, key);
    KeyedSession receiver(profile, key);
    std::vector<std::vector<uint8_t>> sent;
    for (uint16_t seq = 1000; seq < 1200; ++seq) sent.push_back(protectRtp(sender, rtpPacket(seq, 5, 50)));

    EXPECT_FALSE(unprotectRtp(receiver, sent[100]).empty());
    EXPECT_TRUE(unprotectRtp(receiver, sent[100]).empty());
    EXPECT_EQ(receiver.lastError(), SrtpError::Replay);
    // Within the window, out of order: accepted once.
    EXPECT_FALSE(unprotectRtp(receiver, sent[90]).empty());
    EXPECT_TRUE(unprotectRtp(receiver, sent[90]).empty());
    // 64 behind the highest: outside the window.
    EXPECT_FALSE(unprotectRtp(receiver, sent[37]).empty());
    EXPECT_TRUE(unprotectRtp(receiver, sent[36]).empty());
    EXPECT_EQ(receiver.lastError(), SrtpError::Replay);
    EXPECT_EQ(receiver.counters().replays, 3u);
    // A jump past the window clears it.
    EXPECT_FALSE(unprotectRtp(receiver, sent[199]).empty());
    EXPECT_TRUE(unprotectRtp(receiver, sent[101]).empty());
    EXPECT_FALSE(unprotectRtp(receiver, sent[198]).empty());

    // SRTCP replays are tracked per SSRC.
    const auto rtcp = protectRtcp(sender, rtcpPacket(5, 1));
    EXPECT_FALSE(unprotectRtcp(receiver, rtcp).empty());
    EXPECT_TRUE(unprotectRtcp(receiver, rtcp).empty());
    EXPECT_EQ(receiver.lastError(), SrtpError::Replay);
  }
}

TEST(SrtpSession, RetransmissionReprotectsIdentically) {
  for (SrtpProfile profile : kProfiles) {
    SCOPED_TRACE(name(profile));
    KeyedSession sender(profile, masterKeyAndSalt(profile, 8));
    const auto first = protectRtp(sender, rtpPacket(10, 1, 300));
    ASSERT_FALSE(protectRtp(sender, rtpPacket(11, 1, 300)).empty());
    EXPECT_EQ(protectRtp(sender, rtpPacket(10, 1, 300)), first);
  }
}

// ---- malformed and forged input ----

TEST(SrtpSession, RejectsForgedPackets) {
  for (SrtpProfile profile : kProfiles) {
    SCOPED_TRACE(name(profile));
    const auto key = masterKeyAndSalt(profile, 6);
    KeyedSession sender(profile, key);
    KeyedSession receiver(profile, key);
    const auto rtp = protectRtp(sender, rtpPacket(77, 0xabc, 200, 1, true));
    const auto rtcp = protectRtcp(sender, rtcpPacket(0xabc, 9));
    // Any single flipped bit (header, payload, tag, SRTCP index) fails authentication,
    // and the failure must not consume the index.
    for (size_t i = 0; i < rtp.size(); i += 7) {
      auto forged = rtp;
      forged[i] ^= 0x04;
      EXPECT_TRUE(unprotectRtp(receiver, forged).empty()) << i;
    }
    for (size_t i = 0; i < rtcp.size(); ++i) {
      auto forged = rtcp;
      forged[i] ^= 0x04;
      EXPECT_TRUE(unprotectRtcp(receiver, forged).empty()) << i;
    }
    EXPECT_GT(receiver.counters().authFailures, 0u);
    EXPECT_EQ(unprotectRtp(receiver, rtp), rtpPacket(77, 0xabc, 200, 1, true));
    EXPECT_EQ(unprotectRtcp(receiver, rtcp), rtcpPacket(0xabc, 9));

    // A different key authenticates nothing.
    KeyedSession stranger(profile, masterKeyAndSalt(profile, 7));
    EXPECT_TRUE(unprotectRtp(stranger, rtp).empty());
    EXPECT_EQ(stranger.lastError(), SrtpError::AuthFailure);
  }
}

TEST(SrtpSession, RejectsMalformedPackets) {
  for (SrtpProfile profile : kProfiles) {
    SCOPED_TRACE(name(profile));
    const auto key = masterKeyAndSalt(profile, 1);
    KeyedSession s(profile, key);
    const size_t tag = srtpRtpTagLength(profile);
    uint8_t buf[256] = {0x80};
    for (size_t n = 0; n < 12 + tag; ++n) {
      EXPECT_EQ(s.unprotectRtp(buf, n), 0u);
      EXPECT_EQ(s.lastError(), SrtpError::Malformed);
    }
    for (size_t n = 0; n < 8 + 4 + tag; ++n) EXPECT_EQ(s.unprotectRtcp(buf, n), 0u);
    for (size_t n = 0; n < 12; ++n) EXPECT_EQ(s.protectRtp(buf, n, sizeof(buf)), 0u);
    for (size_t n = 0; n < 8; ++n) EXPECT_EQ(s.protectRtcp(buf, n, sizeof(buf)), 0u);

    auto p = rtpPacket(1, 2, 20);
    p[0] = 0x40;  // version 1
    EXPECT_TRUE(protectRtp(s, p).empty());
    EXPECT_EQ(s.lastError(), SrtpError::Malformed);
    p = rtpPacket(1, 2, 20);
    p[0] = 0x8f;  // 15 CSRCs do not fit
    EXPECT_TRUE(protectRtp(s, p).empty());
    p = rtpPacket(1, 2, 20, 0, true);
    p[15] = 0xff;  // extension length past the end
    EXPECT_TRUE(protectRtp(s, p).empty());
    auto rtcp = rtcpPacket(1, 0);
    rtcp[0] = 0x01;
    EXPECT_TRUE(protectRtcp(s, rtcp).empty());

    // A valid protected packet whose header claims more than the bytes before the tag.
    auto protectedRtp = protectRtp(s, rtpPacket(5, 2, 4, 0, true));
    protectedRtp[15] = 3;
    EXPECT_TRUE(unprotectRtp(s, protectedRtp).empty());
    EXPECT_EQ(s.lastError(), SrtpError::Malformed);

    // Not enough room for the tag.
    p = rtpPacket(1, 2, 20);
    const size_t len = p.size();
    p.resize(len + tag - 1);
    EXPECT_EQ(s.protectRtp(p.data(), len, p.size()), 0u);
    EXPECT_EQ(s.lastError(), SrtpError::BufferTooSmall);
    rtcp = rtcpPacket(1, 0);
    const size_t rtcpLen = rtcp.size();
    rtcp.resize(rtcpLen + tag + 3);
    EXPECT_EQ(s.protectRtcp(rtcp.data(), rtcpLen, rtcp.size()), 0u);
    EXPECT_EQ(s.lastError(), SrtpError::BufferTooSmall);
    EXPECT_GT(s.counters().malformed, 0u);

    SrtpSession uninitialized;
    EXPECT_EQ(uninitialized.protectRtp(p.data(), len, p.size()), 0u);
    EXPECT_EQ(uninitialized.lastError(), SrtpError::NotInitialized);
    EXPECT_EQ(uninitialized.unprotectRtcp(buf, sizeof(buf)), 0u);
  }
}

TEST(SrtpSession, LimitsTrackedSsrcs) {
  for (SrtpProfile profile : kProfiles) {
    SCOPED_TRACE(name(profile));
    const auto key = masterKeyAndSalt(profile, 2);
    KeyedSession sender(profile, key);
    KeyedSession receiver(profile, key);
    for (uint32_t ssrc = 1; ssrc <= SrtpSession::kMaxSsrcs; ++ssrc) {
      EXPECT_FALSE(unprotectRtp(receiver, protectRtp(sender, rtpPacket(1, ssrc, 10))).empty());
    }
    EXPECT_TRUE(protectRtp(sender, rtpPacket(1, 1000, 10)).empty());
    EXPECT_EQ(sender.lastError(), SrtpError::SsrcTableFull);
    KeyedSession other(profile, key);
    EXPECT_TRUE(unprotectRtp(receiver, protectRtp(other, rtpPacket(1, 1000, 10))).empty());
    EXPECT_EQ(receiver.lastError(), SrtpError::SsrcTableFull);
    EXPECT_EQ(receiver.counters().ssrcTableFull, 1u);
    // Known SSRCs keep working.
    EXPECT_FALSE(unprotectRtp(receiver, protectRtp(sender, rtpPacket(2, 3, 10))).empty());
  }
}

TEST(SrtpSession, RejectsBadInitArguments) {
  KeyedSession s(SrtpProfile::AeadAes128Gcm, masterKeyAndSalt(SrtpProfile::AeadAes128Gcm, 1));
  ASSERT_TRUE(s.initialized());
  std::string error;
  EXPECT_FALSE(s.init(SrtpProfile::AeadAes128Gcm, nullptr, nullptr, error));
  EXPECT_FALSE(error.empty());
  // A failed rekey leaves the session unusable rather than on the old keys.
  EXPECT_FALSE(s.initialized());
  EXPECT_TRUE(protectRtp(s, rtpPacket(1, 1, 10)).empty());
  EXPECT_EQ(s.lastError(), SrtpError::NotInitialized);
  for (int e = 0; e <= static_cast<int>(SrtpError::CryptoFailure); ++e) {
    EXPECT_STRNE(toString(static_cast<SrtpError>(e)), "unknown");
  }
}

// ---- hot path properties ----

TEST(SrtpSession, PacketPathDoesNotAllocate) {
  if (!gAllocationHooksInstalled)
    GTEST_SKIP() << "OpenSSL allocated before the counting hooks were installed";
  for (SrtpProfile profile : kProfiles) {
    SCOPED_TRACE(name(profile));
    const auto key = masterKeyAndSalt(profile, 9);
    const uint64_t beforeInit = gOpensslAllocations.load();
    KeyedSession sender(profile, key);
    KeyedSession receiver(profile, key);
    // init() creates the cipher contexts: this shows the hook is live, so a zero below means something.
    ASSERT_GT(gOpensslAllocations.load(), beforeInit);
    auto plain = rtpPacket(0, 42, 1200);
    auto rtcp = rtcpPacket(42, 0);
    uint8_t buf[1500];
    const uint64_t before = gOpensslAllocations.load();
    for (int i = 0; i < 1000; ++i) {
      plain[2] = static_cast<uint8_t>(i >> 8);
      plain[3] = static_cast<uint8_t>(i);
      std::memcpy(buf, plain.data(), plain.size());
      size_t n = sender.protectRtp(buf, plain.size(), sizeof(buf));
      ASSERT_EQ(receiver.unprotectRtp(buf, n), plain.size());
      std::memcpy(buf, rtcp.data(), rtcp.size());
      n = sender.protectRtcp(buf, rtcp.size(), sizeof(buf));
      ASSERT_EQ(receiver.unprotectRtcp(buf, n), rtcp.size());
    }
    EXPECT_EQ(gOpensslAllocations.load() - before, 0u);
  }
}

// Prints the per-packet CPU cost for a 1200-byte payload, next to libsrtp2 (this Debian
// build of libsrtp2 uses NSS for its ciphers). No assertion on time.
TEST(SrtpSession, ReportsPerPacketCost) {
  constexpr int kIterations = 20000;
  for (SrtpProfile profile : kProfiles) {
    const auto key = masterKeyAndSalt(profile, 10);
    KeyedSession ours(profile, key);
    KeyedSession oursIn(profile, key);
    LibSrtp theirs(profile, key, true);
    LibSrtp theirsIn(profile, key, false);
    const auto plain = rtpPacket(0, 7, 1200);
    std::vector<uint8_t> buf(plain.size() + 64);

    // Thread CPU time rather than wall time, so that other load on the machine (CI, parallel
    // builds) does not count against the loop.
    auto cpuNs = [] {
      timespec ts;
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
      return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
    };
    auto nsPerPacket = [&](auto&& body) {
      const double start = cpuNs();
      for (int i = 0; i < kIterations; ++i) body(i);
      return (cpuNs() - start) / kIterations;
    };
    auto fill = [&](int i) {
      std::memcpy(buf.data(), plain.data(), plain.size());
      buf[2] = static_cast<uint8_t>(i >> 8);
      buf[3] = static_cast<uint8_t>(i);
    };
    // Every timed loop first copies a packet into the buffer; this is that copy alone.
    const double copyOnly = nsPerPacket([&](int i) { fill(i); });
    const double oursProtect = nsPerPacket([&](int i) {
      fill(i);
      ours.protectRtp(buf.data(), plain.size(), buf.size());
    });
    const double theirsProtect = nsPerPacket([&](int i) {
      fill(i);
      int len = static_cast<int>(plain.size());
      srtp_protect(theirs.get(), buf.data(), &len);
    });

    // The same sequence numbers protected again, untimed, as input for unprotect.
    KeyedSession replaySource(profile, key);
    std::vector<std::vector<uint8_t>> packets;
    for (int i = 0; i < kIterations; ++i) {
      fill(i);
      size_t n = replaySource.protectRtp(buf.data(), plain.size(), buf.size());
      packets.emplace_back(buf.data(), buf.data() + n);
    }
    size_t failures = 0;
    const double oursUnprotect = nsPerPacket([&](int i) {
      std::memcpy(buf.data(), packets[i].data(), packets[i].size());
      if (oursIn.unprotectRtp(buf.data(), packets[i].size()) == 0) ++failures;
    });
    const double theirsUnprotect = nsPerPacket([&](int i) {
      std::memcpy(buf.data(), packets[i].data(), packets[i].size());
      int len = static_cast<int>(packets[i].size());
      if (srtp_unprotect(theirsIn.get(), buf.data(), &len) != srtp_err_status_ok) ++failures;
    });
    EXPECT_EQ(failures, 0u);
    std::printf(
        "[ timing ] %-23s 1200-byte payload, ns/packet: protect %.0f (libsrtp2 %.0f), "
        "unprotect %.0f (libsrtp2 %.0f); memcpy alone %.0f\n",
        name(profile), oursProtect, theirsProtect, oursUnprotect, theirsUnprotect, copyOnly);
  }
}

// The GCM made from an ECB context and OpenSSL's GCM128 against EVP's own AES-128-GCM: every
// length from empty to past three keystream chunks, the associated data in one or two parts.
TEST(SrtpCrypto, GcmMatchesEvpForEveryLength) {
  uint8_t key[16], iv[12];
  for (int i = 0; i < 16; ++i) key[i] = static_cast<uint8_t>(i * 37 + 1);
  for (int i = 0; i < 12; ++i) iv[i] = static_cast<uint8_t>(i * 11 + 5);
  SrtpCipherContext ours;
  ASSERT_TRUE(ours.initAes128Gcm(key));
  EVP_CIPHER_CTX* evp = EVP_CIPHER_CTX_new();
  ASSERT_TRUE(EVP_EncryptInit_ex(evp, EVP_aes_128_gcm(), nullptr, key, iv) == 1);
  std::vector<uint8_t> aad(20);
  for (size_t i = 0; i < aad.size(); ++i) aad[i] = static_cast<uint8_t>(0xa0 + i);
  for (size_t length = 0; length <= 1600; length += (length < 40 ? 1 : 37)) {
    std::vector<uint8_t> plain(length);
    for (size_t i = 0; i < length; ++i) plain[i] = static_cast<uint8_t>(i * 13 + length);
    iv[11] = static_cast<uint8_t>(length);
    // EVP: one AAD call of all 20 bytes.
    std::vector<uint8_t> expected = plain;
    uint8_t expectedTag[16], finalBlock[16];
    int n = 0;
    ASSERT_EQ(EVP_EncryptInit_ex(evp, nullptr, nullptr, nullptr, iv), 1);
    ASSERT_EQ(EVP_EncryptUpdate(evp, nullptr, &n, aad.data(), static_cast<int>(aad.size())), 1);
    if (length) {
      ASSERT_EQ(EVP_EncryptUpdate(evp, expected.data(), &n, expected.data(), static_cast<int>(length)), 1);
    }
    ASSERT_EQ(EVP_EncryptFinal_ex(evp, finalBlock, &n), 1);
    ASSERT_EQ(EVP_CIPHER_CTX_ctrl(evp, EVP_CTRL_GCM_GET_TAG, 16, expectedTag), 1);
    // Ours: the AAD in two parts (12 + 8, as SRTCP's header and E || index).
    std::vector<uint8_t> sealed = plain;
    uint8_t tag[16];
    ASSERT_TRUE(
        ours.gcmSeal(iv, aad.data(), 12, aad.data() + 12, 8, sealed.data(), sealed.data(), length, tag));
    ASSERT_EQ(sealed, expected) << "length " << length;
    ASSERT_EQ(std::vector<uint8_t>(tag, tag + 16), std::vector<uint8_t>(expectedTag, expectedTag + 16))
        << "length " << length;
    // Out of place (a forwarded packet, from the history into the send buffer): the same bytes.
    std::vector<uint8_t> apart(length);
    uint8_t apartTag[16];
    ASSERT_TRUE(
        ours.gcmSeal(iv, aad.data(), 12, aad.data() + 12, 8, plain.data(), apart.data(), length, apartTag));
    ASSERT_EQ(apart, expected) << "length " << length;
    ASSERT_EQ(std::vector<uint8_t>(apartTag, apartTag + 16),
              std::vector<uint8_t>(expectedTag, expectedTag + 16));
    ASSERT_TRUE(ours.gcmOpen(iv, aad.data(), 20, nullptr, 0, sealed.data(), length, tag))
        << "length " << length;
    ASSERT_EQ(sealed, plain);
    // A flipped bit anywhere fails the tag.
    tag[length % 16] ^= 0x01;
    std::vector<uint8_t> again = expected;
    EXPECT_FALSE(ours.gcmOpen(iv, aad.data(), 20, nullptr, 0, again.data(), length, tag))
        << "length " << length;
  }
  EVP_CIPHER_CTX_free(evp);
}
