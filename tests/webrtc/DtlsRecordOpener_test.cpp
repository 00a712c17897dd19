// DtlsRecordOpener against records sealed here with keys from an independent TLS 1.2 PRF
// (P_SHA256/P_SHA384 written out with HMAC), then malformed and forged records. The
// end-to-end check against OpenSSL's own record layer is in Dtls_test and DtlsInterop_test.
#include "webrtc/DtlsRecordOpener.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstring>
#include <optional>
#include <string>
#include <vector>

using namespace sluice::webrtc;
using Bytes = std::vector<uint8_t>;

namespace {

// RFC 5246 section 5: P_hash(secret, label + seed), as many bytes as asked.
Bytes prf(const EVP_MD* md, const Bytes& secret, const std::string& label, const Bytes& seed, size_t n) {
  Bytes labelSeed(label.begin(), label.end());
  labelSeed.insert(labelSeed.end(), seed.begin(), seed.end());
  Bytes out, a = labelSeed;
  unsigned int len = 0;
  uint8_t mac[EVP_MAX_MD_SIZE];
  while (out.size() < n) {
    HMAC(md, secret.data(), static_cast<int>(secret.size()), a.data(), a.size(), mac, &len);
    a.assign(mac, mac + len);
    Bytes input = a;
    input.insert(input.end(), labelSeed.begin(), labelSeed.end());
    HMAC(md, secret.data(), static_cast<int>(secret.size()), input.data(), input.size(), mac, &len);
    out.insert(out.end(), mac, mac + len);
  }
  out.resize(n);
  return out;
}

struct Suite {
  int nid;
  const EVP_MD* md;
  const EVP_CIPHER* cipher;
  size_t keyLength, ivLength;
};

const Suite kSuites[] = {
    {NID_aes_128_gcm, EVP_sha256(), EVP_aes_128_gcm(), 16, 4},
    {NID_aes_256_gcm, EVP_sha384(), EVP_aes_256_gcm(), 32, 4},
    {NID_chacha20_poly1305, EVP_sha256(), EVP_chacha20_poly1305(), 32, 12},
};

struct Fixture {
  Bytes master = Bytes(48, 0x11), clientRandom = Bytes(32, 0x22), serverRandom = Bytes(32, 0x33);
  // The client's write key and IV: what a server's opener must hold.
  Bytes clientKey, clientIv;

  explicit Fixture(const Suite& s) {
    Bytes seed = serverRandom;
    seed.insert(seed.end(), clientRandom.begin(), clientRandom.end());
    Bytes block = prf(s.md, master, "key expansion", seed, 2 * (s.keyLength + s.ivLength));
    clientKey.assign(block.begin(), block.begin() + static_cast<long>(s.keyLength));
    clientIv.assign(block.begin() + static_cast<long>(2 * s.keyLength),
                    block.begin() + static_cast<long>(2 * s.keyLength + s.ivLength));
  }

  std::optional<DtlsRecordOpener> serverOpener(const Suite& s) const {
    std::string why;
    return DtlsRecordOpener::fromMasterSecret(s.nid, s.md, master.data(), master.size(), clientRandom.data(),
                                              serverRandom.data(), true, why);
  }

  // A DTLS 1.2 record of `type` at epoch 1, sequence `seq`, sealed as the client would.
  Bytes seal(const Suite& s, uint8_t type, uint64_t seq, const Bytes& plaintext) const {
    const bool chacha = s.nid == NID_chacha20_poly1305;
    const size_t fragment = (chacha ? 0 : 8) + plaintext.size() + 16;
    Bytes record = {type, 0xfe, 0xfd, 0, 1};
    for (int i = 5; i >= 0; --i) record.push_back(static_cast<uint8_t>(seq >> (8 * i)));
    record.push_back(static_cast<uint8_t>(fragment >> 8));
    record.push_back(static_cast<uint8_t>(fragment));
    uint8_t nonce[12];
    Bytes explicitNonce = {9, 8, 7, 6, 5, 4, 3, 2};
    if (chacha) {
      std::memcpy(nonce, clientIv.data(), 12);
      for (int i = 0; i < 8; ++i) nonce[4 + i] ^= record[3 + i];
    } else {
      std::memcpy(nonce, clientIv.data(), 4);
      std::memcpy(nonce + 4, explicitNonce.data(), 8);
      record.insert(record.end(), explicitNonce.begin(), explicitNonce.end());
    }
    uint8_t aad[13];
    std::memcpy(aad, record.data() + 3, 8);
    aad[8] = type;
    aad[9] = 0xfe;
    aad[10] = 0xfd;
    aad[11] = static_cast<uint8_t>(plaintext.size() >> 8);
    aad[12] = static_cast<uint8_t>(plaintext.size());
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    int len = 0;
    Bytes out(plaintext.size() + 16);
    EVP_EncryptInit_ex(ctx, s.cipher, nullptr, nullptr, nullptr);
    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, nullptr);
    EVP_EncryptInit_ex(ctx, nullptr, nullptr, clientKey.data(), nonce);
    EVP_EncryptUpdate(ctx, nullptr, &len, aad, sizeof(aad));
    if (!plaintext.empty())
      EVP_EncryptUpdate(ctx, out.data(), &len, plaintext.data(), static_cast<int>(plaintext.size()));
    EVP_EncryptFinal_ex(ctx, out.data(), &len);
    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, out.data() + plaintext.size());
    EVP_CIPHER_CTX_free(ctx);
    record.insert(record.end(), out.begin(), out.end());
    return record;
  }
};

std::optional<Bytes> openRecord(const DtlsRecordOpener& opener, const Bytes& record, size_t capacity = 64) {
  Bytes out(capacity);
  auto n = opener.open(record.data(), record.size(), out.data(), out.size());
  if (!n) return std::nullopt;
  out.resize(*n);
  return out;
}

// Runs `check(suite, fixture, opener)` for every AEAD suite, with the server's opener of the
// client's records.
template <class Check>
void forEverySuite(Check check) {
  for (const Suite& s : kSuites) {
    SCOPED_TRACE(OBJ_nid2sn(s.nid));
    Fixture f(s);
    auto opener = f.serverOpener(s);
    ASSERT_TRUE(opener);
    check(s, f, *opener);
  }
}

}  // namespace

TEST(DtlsRecordOpener, OpensWhatThePeerSealedUnderEveryAeadSuite) {
  forEverySuite([](const Suite& s, const Fixture& f, const DtlsRecordOpener& opener) {
    const Bytes closeNotify = {1, 0};
    EXPECT_EQ(openRecord(opener, f.seal(s, 21, 7, closeNotify)), closeNotify);
    EXPECT_EQ(openRecord(opener, f.seal(s, 23, 0x0000123456789aULL, Bytes(40, 0xab))), Bytes(40, 0xab));
    EXPECT_EQ(openRecord(opener, f.seal(s, 23, 1, {})), Bytes{}) << "an empty record is genuine";
    EXPECT_EQ(opener.minimumFragmentLength(), s.nid == NID_chacha20_poly1305 ? 16u : 24u);

    // The client's own opener (for what the server sends) has the other key.
    std::string why;
    auto clientSide =
        DtlsRecordOpener::fromMasterSecret(s.nid, s.md, f.master.data(), f.master.size(),
                                           f.clientRandom.data(), f.serverRandom.data(), false, why);
    ASSERT_TRUE(clientSide);
    EXPECT_FALSE(openRecord(*clientSide, f.seal(s, 21, 7, closeNotify)));
  });
}

TEST(DtlsRecordOpener, RejectsMalformedAndForgedRecords) {
  forEverySuite([](const Suite& s, const Fixture& f, const DtlsRecordOpener& opener) {
    const Bytes good = f.seal(s, 21, 9, {1, 0});
    for (size_t i = 0; i < good.size(); ++i) {  // any bit of header, nonce, ciphertext or tag
      Bytes flipped = good;
      flipped[i] ^= 0x04;
      EXPECT_FALSE(openRecord(opener, flipped)) << "byte " << i;
    }
    EXPECT_FALSE(openRecord(opener, Bytes(good.begin(), good.end() - 1))) << "truncated";
    Bytes longer = good;
    longer.push_back(0);
    EXPECT_FALSE(openRecord(opener, longer)) << "bytes past the stated length";
    EXPECT_FALSE(openRecord(opener, Bytes(good.begin(), good.begin() + 12))) << "shorter than a header";
    Bytes tiny = {21, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 1, 0, 3, 1, 2, 3};
    EXPECT_FALSE(openRecord(opener, tiny)) << "fragment shorter than nonce and tag";
    EXPECT_FALSE(openRecord(opener, f.seal(s, 23, 2, Bytes(40, 1)), 39)) << "larger than the output";
    Bytes empty;
    EXPECT_FALSE(opener.open(nullptr, 0, nullptr, 0));
    EXPECT_FALSE(openRecord(opener, empty));
  });
}

TEST(DtlsRecordOpener, RefusesSuitesItCannotOpen) {
  const Bytes master(48, 1), random(32, 2);
  std::string why;
  EXPECT_FALSE(DtlsRecordOpener::fromMasterSecret(NID_aes_128_cbc, EVP_sha256(), master.data(), master.size(),
                                                  random.data(), random.data(), true, why));
  EXPECT_FALSE(why.empty());
  why.clear();
  EXPECT_FALSE(DtlsRecordOpener::fromMasterSecret(NID_aes_128_gcm, nullptr, master.data(), master.size(),
                                                  random.data(), random.data(), true, why));
  EXPECT_FALSE(why.empty());
  why.clear();
  EXPECT_FALSE(DtlsRecordOpener::fromSession(nullptr, why));
  EXPECT_FALSE(why.empty());
}
