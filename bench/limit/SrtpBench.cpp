// SRTP protect of a 1200-byte RTP packet, per suite, with Debian's libsrtp2 and with our
// SrtpSession (OpenSSL EVP); plus the raw primitives at 1200-byte blocks for reference.
//
// Each iteration bumps the sequence number and protects the same buffer in place with the
// plaintext length: the header stays clear, so re-encrypting the previous ciphertext costs
// exactly what encrypting fresh payload does, and no copy is timed.
#include <openssl/evp.h>
#include <srtp2/srtp.h>

#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "Limit.h"
#include "webrtc/SrtpCrypto.h"
#include "webrtc/SrtpSession.h"

namespace sluice::bench {
namespace {

using webrtc::SrtpProfile;

constexpr uint32_t kSsrc = 0x11223344;

struct Packet {
  alignas(64) std::array<uint8_t, kPacketSize + 64> bytes{};

  Packet() {
    bytes[0] = 0x80;  // V=2
    bytes[1] = 96;    // PT 96, no marker
    bytes[4] = 0x00;  // timestamp
    bytes[5] = 0x01;
    bytes[6] = 0x02;
    bytes[7] = 0x03;
    bytes[8] = static_cast<uint8_t>(kSsrc >> 24);
    bytes[9] = static_cast<uint8_t>(kSsrc >> 16);
    bytes[10] = static_cast<uint8_t>(kSsrc >> 8);
    bytes[11] = static_cast<uint8_t>(kSsrc);
    for (size_t i = 12; i < kPacketSize; ++i) bytes[i] = static_cast<uint8_t>(i * 7 + 3);
  }
  void setSeq(uint16_t seq) {
    bytes[2] = static_cast<uint8_t>(seq >> 8);
    bytes[3] = static_cast<uint8_t>(seq);
  }
  uint8_t* data() { return bytes.data(); }
  size_t capacity() const { return bytes.size(); }
};

// Fixed, arbitrary key material: 16-byte master key followed by the salt.
const uint8_t kKeyAndSalt[30] = {0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f,
                                 0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39, 0x0e, 0xc6, 0x75, 0xad,
                                 0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6};

const char* suiteName(SrtpProfile p) {
  return p == SrtpProfile::AeadAes128Gcm ? "AEAD_AES_128_GCM" : "AES_CM_128_HMAC_SHA1_80";
}

bool libsrtpInit() {
  // srtp_init() once per process; a second call fails in libsrtp2 2.5.
  static const bool ok = srtp_init() == srtp_err_status_ok;
  return ok;
}

void BM_SrtpProtect_libsrtp2(benchmark::State& state, SrtpProfile profile) {
  state.SetLabel(std::string("srtp:libsrtp2:") + suiteName(profile));
  if (!libsrtpInit()) {
    state.SkipWithError("srtp_init failed");
    return;
  }
  srtp_policy_t policy;
  std::memset(&policy, 0, sizeof(policy));
  if (profile == SrtpProfile::AeadAes128Gcm) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
  } else {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
  }
  uint8_t key[30];
  std::memcpy(key, kKeyAndSalt, sizeof(key));
  policy.ssrc.type = ssrc_any_outbound;
  policy.key = key;
  policy.window_size = 1024;
  policy.allow_repeat_tx = 1;
  srtp_t session = nullptr;
  if (srtp_create(&session, &policy) != srtp_err_status_ok) {
    state.SkipWithError("srtp_create failed (suite not supported by this libsrtp2 build?)");
    return;
  }
  Packet packet;
  uint16_t seq = 1;
  for (auto _ : state) {
    packet.setSeq(seq++);
    int len = static_cast<int>(kPacketSize);
    if (srtp_protect(session, packet.data(), &len) != srtp_err_status_ok) {
      state.SkipWithError("srtp_protect failed");
      break;
    }
    benchmark::DoNotOptimize(len);
  }
  srtp_dealloc(session);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(kPacketSize));
  setPacketCounters(state, static_cast<double>(state.iterations()));
}

// Protects one packet per iteration with a Sluice SrtpSession: `protect(session, seq)` returns
// the protected length (0: the benchmark is skipped with the session's error).
template <typename Protect>
void runSluiceProtect(benchmark::State& state, SrtpProfile profile, Protect protect) {
  webrtc::SrtpSession session;
  std::string error;
  if (!session.init(profile, kKeyAndSalt, kKeyAndSalt + 16, error)) {
    state.SkipWithError(("SrtpSession::init: " + error).c_str());
    return;
  }
  uint16_t seq = 1;
  for (auto _ : state) {
    size_t len = protect(session, seq++);
    if (len == 0) {
      state.SkipWithError(toString(session.lastError()));
      break;
    }
    benchmark::DoNotOptimize(len);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(kPacketSize));
  setPacketCounters(state, static_cast<double>(state.iterations()));
}

void BM_SrtpProtect_sluice(benchmark::State& state, SrtpProfile profile) {
  state.SetLabel(std::string("srtp:sluice:") + suiteName(profile));
  Packet packet;
  runSluiceProtect(state, profile, [&](webrtc::SrtpSession& session, uint16_t seq) {
    packet.setSeq(seq);
    return session.protectRtp(packet.data(), kPacketSize, packet.capacity());
  });
}

// ---- forwarding (information only): a history packet into a send slot ----
//
// What a viewer's send costs besides the socket: the packet comes from a history larger than
// the caches (2,048 packets, 2.5 MB), goes to one of 128 send slots with its header rewritten,
// and is protected there (AES-GCM). `copy` copies it whole and protects in place (the forwarding
// path before 2026-12-07); `apart` copies the header only and encrypts the payload from the
// history straight into the slot.
void BM_Forward(benchmark::State& state, bool apart) {
  state.SetLabel(apart ? "info:forward:header copy + GCM out of place" : "info:forward:copy + GCM in place");
  constexpr size_t kHistory = 2048, kSlots = 128, kSlotSize = 1536, kHeader = 12;
  std::vector<Packet> history(kHistory);
  std::vector<std::array<uint8_t, kSlotSize>> slots(kSlots);
  size_t next = 0;
  runSluiceProtect(state, SrtpProfile::AeadAes128Gcm, [&](webrtc::SrtpSession& session, uint16_t seq) {
    const uint8_t* from = history[next % kHistory].data();
    uint8_t* to = slots[next % kSlots].data();
    ++next;
    std::memcpy(to, from, apart ? kHeader : kPacketSize);
    to[2] = static_cast<uint8_t>(seq >> 8);
    to[3] = static_cast<uint8_t>(seq);
    return session.protectRtp(to, kPacketSize, kSlotSize, apart ? from + kHeader : nullptr);
  });
}

// ---- primitives (information only: they explain the protect figures) ----

void BM_Primitive_AesCtr(benchmark::State& state) {
  state.SetLabel("info:EVP AES-128-CTR 1188 B");
  webrtc::SrtpCipherContext ctx;
  if (!ctx.initAes128Ctr(kKeyAndSalt)) {
    state.SkipWithError("EVP AES-128-CTR init failed");
    return;
  }
  Packet packet;
  uint8_t iv[16] = {};
  for (auto _ : state) {
    ++iv[15];
    ctx.applyCtr(iv, packet.data() + 12, kPacketSize - 12);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(kPacketSize - 12));
  setPacketCounters(state, static_cast<double>(state.iterations()));
}

void BM_Primitive_HmacSha1(benchmark::State& state) {
  state.SetLabel("info:HMAC-SHA1 1204 B");
  webrtc::SrtpHmacSha1 mac;
  mac.setKey(kKeyAndSalt, 20);
  Packet packet;
  const uint8_t roc[4] = {0, 0, 0, 0};
  uint8_t out[webrtc::SrtpHmacSha1::kDigestSize];
  for (auto _ : state) {
    mac.compute(packet.data(), kPacketSize, roc, sizeof(roc), out);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(kPacketSize + 4));
  setPacketCounters(state, static_cast<double>(state.iterations()));
}

void BM_Primitive_AesGcm(benchmark::State& state) {
  state.SetLabel("info:EVP AES-128-GCM 1188 B + 12 B AAD");
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (!ctx || EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), nullptr, kKeyAndSalt, nullptr) != 1) {
    EVP_CIPHER_CTX_free(ctx);
    state.SkipWithError("EVP AES-128-GCM init failed");
    return;
  }
  Packet packet;
  uint8_t iv[12] = {};
  uint8_t tag[16];
  int outLen = 0;
  for (auto _ : state) {
    ++iv[11];
    EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, iv);
    EVP_EncryptUpdate(ctx, nullptr, &outLen, packet.data(), 12);
    EVP_EncryptUpdate(ctx, packet.data() + 12, &outLen, packet.data() + 12,
                      static_cast<int>(kPacketSize - 12));
    EVP_EncryptFinal_ex(ctx, packet.data() + kPacketSize, &outLen);
    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag);
    benchmark::DoNotOptimize(tag);
  }
  EVP_CIPHER_CTX_free(ctx);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(kPacketSize - 12));
  setPacketCounters(state, static_cast<double>(state.iterations()));
}

}  // namespace

BENCHMARK_CAPTURE(BM_SrtpProtect_libsrtp2, AES_CM_128_HMAC_SHA1_80, SrtpProfile::AesCm128HmacSha1_80);
BENCHMARK_CAPTURE(BM_SrtpProtect_libsrtp2, AEAD_AES_128_GCM, SrtpProfile::AeadAes128Gcm);
BENCHMARK_CAPTURE(BM_SrtpProtect_sluice, AES_CM_128_HMAC_SHA1_80, SrtpProfile::AesCm128HmacSha1_80);
BENCHMARK_CAPTURE(BM_SrtpProtect_sluice, AEAD_AES_128_GCM, SrtpProfile::AeadAes128Gcm);
BENCHMARK_CAPTURE(BM_Forward, copy, false);
BENCHMARK_CAPTURE(BM_Forward, apart, true);
BENCHMARK(BM_Primitive_AesCtr);
BENCHMARK(BM_Primitive_HmacSha1);
BENCHMARK(BM_Primitive_AesGcm);

}  // namespace sluice::bench
