#include "webrtc/StunMessage.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

using namespace sluice::webrtc;

namespace {

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

// RFC 5769 test vectors. Their SOFTWARE and USERNAME values are padded with spaces
// (RFC 5389 allowed any padding), which the builder tests below account for.
const std::string kPassword = "VOkJxbRl1RmTxUk/WvJxBt";

const std::vector<uint8_t> kRequest =
    hex("00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
        "80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74"
        "00 24 00 04 6e 00 01 ff"
        "80 29 00 08 93 2f f9 b1 51 26 3b 36"
        "00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20"
        "00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2"
        "80 28 00 04 e5 7a 3b cf");

const std::vector<uint8_t> kIpv4Response =
    hex("01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
        "80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20"
        "00 20 00 08 00 01 a1 47 e1 12 a6 43"
        "00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7"
        "80 28 00 04 c0 7d 4c 96");

const std::vector<uint8_t> kIpv6Response =
    hex("01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
        "80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20"
        "00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9"
        "00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41"
        "80 28 00 04 c8 fb 0b 4c");

const StunTransactionId kTransactionId = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
                                          0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

const uint8_t kIpv4Mapped[4] = {192, 0, 2, 1};
const uint8_t kIpv6Mapped[16] = {0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78,
                                 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
constexpr uint16_t kMappedPort = 32853;

std::vector<uint8_t> text(std::string_view s) { return std::vector<uint8_t>(s.begin(), s.end()); }

// A message assembled without any validation, to feed the parser malformed input.
std::vector<uint8_t> rawMessage(uint16_t type,
                                const std::vector<std::pair<uint16_t, std::vector<uint8_t>>>& attributes) {
  std::vector<uint8_t> m(20, 0);
  m[0] = static_cast<uint8_t>(type >> 8);
  m[1] = static_cast<uint8_t>(type);
  m[4] = 0x21;
  m[5] = 0x12;
  m[6] = 0xa4;
  m[7] = 0x42;
  for (const auto& [attrType, value] : attributes) {
    m.push_back(static_cast<uint8_t>(attrType >> 8));
    m.push_back(static_cast<uint8_t>(attrType));
    m.push_back(static_cast<uint8_t>(value.size() >> 8));
    m.push_back(static_cast<uint8_t>(value.size()));
    m.insert(m.end(), value.begin(), value.end());
    while (m.size() % 4) m.push_back(0);
  }
  m[2] = static_cast<uint8_t>((m.size() - 20) >> 8);
  m[3] = static_cast<uint8_t>(m.size() - 20);
  return m;
}

StunParseError parseBytes(const std::vector<uint8_t>& bytes) {
  StunMessage m;
  return m.parse(bytes.data(), bytes.size());
}

std::vector<uint8_t> built(const StunMessageBuilder& b) {
  return std::vector<uint8_t>(b.data(), b.data() + b.size());
}

}  // namespace

TEST(StunMessage, ParsesRfc5769SampleRequest) {
  StunMessage m;
  ASSERT_EQ(m.parse(kRequest.data(), kRequest.size()), StunParseError::None);
  EXPECT_EQ(m.type(), StunMessageType::BindingRequest);
  EXPECT_TRUE(m.isRequest());
  EXPECT_EQ(m.method(), 0x001);
  EXPECT_EQ(m.transactionId(), kTransactionId);
  EXPECT_EQ(m.username(), "evtj:h6vY");
  EXPECT_EQ(m.priority(), 0x6e0001ffu);
  EXPECT_EQ(m.iceControlled(), 0x932ff9b151263b36ull);
  EXPECT_FALSE(m.iceControlling());
  EXPECT_FALSE(m.useCandidate());
  auto software = m.attribute(StunAttributeType::Software);
  ASSERT_TRUE(software);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(software->value), software->length),
            "STUN test client");
  EXPECT_TRUE(m.hasMessageIntegrity());
  EXPECT_TRUE(m.hasFingerprint());
  EXPECT_TRUE(m.verifyFingerprint());
  EXPECT_TRUE(m.verifyMessageIntegrity(kPassword));
  EXPECT_FALSE(m.verifyMessageIntegrity("VOkJxbRl1RmTxUk/WvJxBu"));
  EXPECT_FALSE(m.unknownComprehensionRequired());
}

TEST(StunMessage, ParsesRfc5769Ipv4Response) {
  StunMessage m;
  ASSERT_EQ(m.parse(kIpv4Response.data(), kIpv4Response.size()), StunParseError::None);
  EXPECT_EQ(m.type(), StunMessageType::BindingSuccessResponse);
  EXPECT_TRUE(m.isSuccessResponse());
  EXPECT_EQ(m.xorMappedAddress(), StunAddress::ipv4(kIpv4Mapped, kMappedPort));
  EXPECT_TRUE(m.verifyFingerprint());
  EXPECT_TRUE(m.verifyMessageIntegrity(kPassword));
}

TEST(StunMessage, ParsesRfc5769Ipv6Response) {
  StunMessage m;
  ASSERT_EQ(m.parse(kIpv6Response.data(), kIpv6Response.size()), StunParseError::None);
  EXPECT_EQ(m.xorMappedAddress(), StunAddress::ipv6(kIpv6Mapped, kMappedPort));
  EXPECT_TRUE(m.verifyFingerprint());
  EXPECT_TRUE(m.verifyMessageIntegrity(kPassword));
}

// The builder writes zero padding (RFC 8489); the vectors pad with spaces. Overwriting
// those padding bytes before MESSAGE-INTEGRITY is appended must then reproduce the
// vectors byte for byte, HMAC and CRC included.
TEST(StunMessageBuilder, ReproducesRfc5769SampleRequest) {
  uint8_t buf[256];
  StunMessageBuilder b(buf, sizeof(buf));
  const std::vector<uint8_t> software = text("STUN test client");
  ASSERT_TRUE(b.start(StunMessageType::BindingRequest, kTransactionId));
  ASSERT_TRUE(b.appendAttribute(StunAttributeType::Software, software.data(), software.size()));
  ASSERT_TRUE(b.appendPriority(0x6e0001ff));
  ASSERT_TRUE(b.appendIceControlled(0x932ff9b151263b36ull));
  ASSERT_TRUE(b.appendUsername("evtj:h6vY"));
  std::memset(buf + b.size() - 3, ' ', 3);
  ASSERT_TRUE(b.appendMessageIntegrity(kPassword));
  ASSERT_TRUE(b.appendFingerprint());
  EXPECT_EQ(built(b), kRequest);
}

TEST(StunMessageBuilder, ReproducesRfc5769Responses) {
  const std::vector<uint8_t> software = text("test vector");
  const std::pair<StunAddress, const std::vector<uint8_t>*> cases[] = {
      {StunAddress::ipv4(kIpv4Mapped, kMappedPort), &kIpv4Response},
      {StunAddress::ipv6(kIpv6Mapped, kMappedPort), &kIpv6Response},
  };
  for (const auto& [address, expected] : cases) {
    uint8_t buf[256];
    StunMessageBuilder b(buf, sizeof(buf));
    ASSERT_TRUE(b.start(StunMessageType::BindingSuccessResponse, kTransactionId));
    ASSERT_TRUE(b.appendAttribute(StunAttributeType::Software, software.data(), software.size()));
    buf[b.size() - 1] = ' ';
    ASSERT_TRUE(b.appendXorMappedAddress(address));
    ASSERT_TRUE(b.appendMessageIntegrity(kPassword));
    ASSERT_TRUE(b.appendFingerprint());
    EXPECT_EQ(built(b), *expected);
  }
}

TEST(StunMessageBuilder, BindingSuccessRoundTrips) {
  for (const StunAddress& address :
       {StunAddress::ipv4(kIpv4Mapped, kMappedPort), StunAddress::ipv6(kIpv6Mapped, 9)}) {
    uint8_t buf[128];
    StunMessageBuilder b(buf, sizeof(buf));
    ASSERT_TRUE(b.bindingSuccess(kTransactionId, address));
    ASSERT_TRUE(b.appendMessageIntegrity("secret"));
    ASSERT_TRUE(b.appendFingerprint());
    EXPECT_EQ(b.size(), 20u + (address.family == StunAddress::Family::Ipv4 ? 12u : 24u) + 24u + 8u);
    StunMessage m;
    ASSERT_EQ(m.parse(buf, b.size()), StunParseError::None);
    EXPECT_TRUE(isStun(buf, b.size()));
    EXPECT_EQ(m.type(), StunMessageType::BindingSuccessResponse);
    EXPECT_EQ(m.transactionId(), kTransactionId);
    EXPECT_EQ(m.xorMappedAddress(), address);
    EXPECT_TRUE(m.verifyMessageIntegrity("secret"));
    EXPECT_TRUE(m.verifyFingerprint());
  }
}

TEST(StunMessageBuilder, BindingErrorCarriesCodeAndReason) {
  for (uint16_t code : {400, 401, 420, 487, 500}) {
    uint8_t buf[128];
    StunMessageBuilder b(buf, sizeof(buf));
    ASSERT_TRUE(b.bindingError(kTransactionId, code));
    ASSERT_TRUE(b.appendFingerprint());
    StunMessage m;
    ASSERT_EQ(m.parse(buf, b.size()), StunParseError::None);
    EXPECT_TRUE(m.isErrorResponse());
    EXPECT_EQ(m.type(), StunMessageType::BindingErrorResponse);
    auto error = m.errorCode();
    ASSERT_TRUE(error);
    EXPECT_EQ(error->code, code);
    EXPECT_EQ(error->reason, stunErrorReason(code));
    EXPECT_TRUE(m.verifyFingerprint());
  }
  uint8_t buf[128];
  StunMessageBuilder b(buf, sizeof(buf));
  ASSERT_TRUE(b.bindingError(kTransactionId, 487, "Role Conflict, try controlled"));
  StunMessage m;
  ASSERT_EQ(m.parse(buf, b.size()), StunParseError::None);
  EXPECT_EQ(m.errorCode()->reason, "Role Conflict, try controlled");
  EXPECT_FALSE(b.bindingError(kTransactionId, 200));
  EXPECT_FALSE(b.bindingError(kTransactionId, 700));
  EXPECT_EQ(b.size(), 0u);
}

TEST(StunMessageBuilder, BindingRequestForIceClient) {
  uint8_t buf[256];
  StunMessageBuilder b(buf, sizeof(buf));
  ASSERT_TRUE(b.bindingRequest(kTransactionId, "remote:local", 0x6e7f1eff, 0x0102030405060708ull, true));
  ASSERT_TRUE(b.appendMessageIntegrity("remotepassword"));
  ASSERT_TRUE(b.appendFingerprint());
  StunMessage m;
  ASSERT_EQ(m.parse(buf, b.size()), StunParseError::None);
  EXPECT_EQ(m.type(), StunMessageType::BindingRequest);
  EXPECT_EQ(m.username(), "remote:local");
  EXPECT_EQ(m.priority(), 0x6e7f1effu);
  EXPECT_EQ(m.iceControlling(), 0x0102030405060708ull);
  EXPECT_FALSE(m.iceControlled());
  EXPECT_TRUE(m.useCandidate());
  EXPECT_TRUE(m.verifyMessageIntegrity("remotepassword"));
  EXPECT_FALSE(m.verifyMessageIntegrity("localpassword"));
  EXPECT_TRUE(m.verifyFingerprint());

  ASSERT_TRUE(b.bindingRequest(kTransactionId, "remote:local", 1, 2, false));
  ASSERT_EQ(m.parse(buf, b.size()), StunParseError::None);
  EXPECT_FALSE(m.useCandidate());
  EXPECT_FALSE(m.hasMessageIntegrity());
  EXPECT_FALSE(m.verifyMessageIntegrity("remotepassword"));
  EXPECT_FALSE(m.verifyFingerprint());
}

// Passwords longer than a SHA-1 block are hashed into the HMAC key (RFC 2104); ICE allows
// up to 256 characters. Cross-checked against OpenSSL's one-shot HMAC.
TEST(StunMessageBuilder, IntegrityMatchesOpenSslHmacForLongPasswords) {
  for (size_t length : {0, 1, 22, 64, 65, 256}) {
    const std::string password(length, 'p');
    uint8_t buf[128];
    StunMessageBuilder b(buf, sizeof(buf));
    ASSERT_TRUE(b.bindingSuccess(kTransactionId, StunAddress::ipv4(kIpv4Mapped, 1)));
    ASSERT_TRUE(b.appendMessageIntegrity(password));
    const size_t before = b.size() - kStunMessageIntegritySize;
    uint8_t expected[20];
    unsigned int expectedLength = 0;
    HMAC(EVP_sha1(), password.data(), static_cast<int>(password.size()), buf, before, expected,
         &expectedLength);
    EXPECT_EQ(std::memcmp(expected, buf + before + 4, 20), 0) << "password length " << length;
    StunMessage m;
    ASSERT_EQ(m.parse(buf, b.size()), StunParseError::None);
    EXPECT_TRUE(m.verifyMessageIntegrity(password));
  }
}

TEST(StunMessageBuilder, EnforcesOrderAndCapacity) {
  uint8_t buf[64];
  StunMessageBuilder b(buf, sizeof(buf));
  EXPECT_FALSE(b.appendPriority(1));  // not started
  ASSERT_TRUE(b.start(StunMessageType::BindingRequest, kTransactionId));
  ASSERT_TRUE(b.appendMessageIntegrity("pw"));
  EXPECT_FALSE(b.appendPriority(1));  // only FINGERPRINT may follow MESSAGE-INTEGRITY
  EXPECT_FALSE(b.ok());
  EXPECT_EQ(b.size(), 0u);

  ASSERT_TRUE(b.start(StunMessageType::BindingRequest, kTransactionId));
  ASSERT_TRUE(b.appendFingerprint());
  EXPECT_FALSE(b.appendFingerprint());  // FINGERPRINT is last

  ASSERT_TRUE(b.start(StunMessageType::BindingRequest, kTransactionId));
  EXPECT_FALSE(b.appendUsername(std::string(41, 'u')));  // 20 + 4 + 44 > 64
  EXPECT_EQ(b.size(), 0u);
  EXPECT_FALSE(b.appendPriority(1));  // sticky

  StunMessageBuilder tiny(buf, 19);
  EXPECT_FALSE(tiny.start(StunMessageType::BindingRequest, kTransactionId));
  StunMessageBuilder exact(buf, 20 + 8);
  ASSERT_TRUE(exact.start(StunMessageType::BindingRequest, kTransactionId));
  EXPECT_TRUE(exact.appendPriority(7));
  EXPECT_FALSE(exact.appendUseCandidate());
  EXPECT_FALSE(StunMessageBuilder(buf, sizeof(buf)).appendUsername(std::string(kStunMaxTextLength + 1, 'u')));
}

TEST(StunMessage, IsStunDemultiplexes) {
  EXPECT_TRUE(isStun(kRequest.data(), kRequest.size()));
  EXPECT_TRUE(isStun(kIpv6Response.data(), kIpv6Response.size()));
  EXPECT_FALSE(isStun(kRequest.data(), 19));
  EXPECT_FALSE(isStun(nullptr, 0));
  std::vector<uint8_t> m = kRequest;
  m[0] = 22;  // DTLS handshake
  EXPECT_FALSE(isStun(m.data(), m.size()));
  m[0] = 0x80;  // RTP
  EXPECT_FALSE(isStun(m.data(), m.size()));
  m = kRequest;
  m[7] ^= 1;
  EXPECT_FALSE(isStun(m.data(), m.size()));
}

TEST(StunMessage, RejectsMalformedHeaders) {
  EXPECT_EQ(parseBytes({}), StunParseError::TooShort);
  EXPECT_EQ(parseBytes(std::vector<uint8_t>(kRequest.begin(), kRequest.begin() + 19)),
            StunParseError::TooShort);
  StunMessage m;
  EXPECT_EQ(m.parse(nullptr, 100), StunParseError::TooShort);

  std::vector<uint8_t> bad = kRequest;
  bad[0] |= 0x40;
  EXPECT_EQ(parseBytes(bad), StunParseError::NotStun);

  bad = kRequest;
  bad[4] = 0x00;
  EXPECT_EQ(parseBytes(bad), StunParseError::BadMagicCookie);

  bad = kRequest;
  bad[3] = 0x59;
  bad.push_back(0);
  EXPECT_EQ(parseBytes(bad), StunParseError::LengthNotMultipleOf4);

  bad = kRequest;
  bad.resize(bad.size() - 4);
  EXPECT_EQ(parseBytes(bad), StunParseError::LengthMismatch);
  bad = kRequest;
  bad.insert(bad.end(), {0, 0, 0, 0});
  EXPECT_EQ(parseBytes(bad), StunParseError::LengthMismatch);

  // Every truncation of a valid message is rejected.
  for (size_t n = 0; n < kRequest.size(); ++n) {
    EXPECT_NE(parseBytes(std::vector<uint8_t>(kRequest.begin(), kRequest.begin() + n)), StunParseError::None)
        << n;
  }
  // A failed parse leaves an empty message behind.
  ASSERT_EQ(m.parse(kRequest.data(), kRequest.size()), StunParseError::None);
  ASSERT_NE(m.parse(bad.data(), bad.size()), StunParseError::None);
  EXPECT_FALSE(m.username());
  EXPECT_FALSE(m.verifyFingerprint());
  EXPECT_EQ(m.size(), 0u);
}

TEST(StunMessage, RejectsMalformedAttributes) {
  const uint16_t request = 0x0001;
  const uint16_t mi = static_cast<uint16_t>(StunAttributeType::MessageIntegrity);
  const uint16_t fp = static_cast<uint16_t>(StunAttributeType::Fingerprint);
  const uint16_t priority = static_cast<uint16_t>(StunAttributeType::Priority);
  const uint16_t xorMapped = static_cast<uint16_t>(StunAttributeType::XorMappedAddress);
  const uint16_t errorCode = static_cast<uint16_t>(StunAttributeType::ErrorCode);

  // Attribute length beyond the message: the header says 8 bytes of body, the attribute
  // claims 8 bytes of value.
  std::vector<uint8_t> overrun = rawMessage(request, {{priority, {1, 2, 3, 4}}});
  overrun[23] = 8;
  EXPECT_EQ(parseBytes(overrun), StunParseError::AttributeOverrun);
  // Padding counts: a 5-byte value needs 8 bytes.
  overrun = rawMessage(request, {{0x8022, {1, 2, 3, 4}}});
  overrun[23] = 5;
  EXPECT_EQ(parseBytes(overrun), StunParseError::AttributeOverrun);
  overrun[23] = 0xff;
  overrun[22] = 0xff;
  EXPECT_EQ(parseBytes(overrun), StunParseError::AttributeOverrun);

  EXPECT_EQ(parseBytes(rawMessage(request, {{priority, {1, 2, 3}}})), StunParseError::BadAttributeLength);
  EXPECT_EQ(parseBytes(rawMessage(request, {{mi, std::vector<uint8_t>(19)}})),
            StunParseError::BadAttributeLength);
  EXPECT_EQ(parseBytes(rawMessage(request, {{fp, {1, 2, 3, 4, 5, 6, 7, 8}}})),
            StunParseError::BadAttributeLength);
  EXPECT_EQ(parseBytes(rawMessage(request, {{0x8029, {1, 2, 3, 4}}})), StunParseError::BadAttributeLength);
  EXPECT_EQ(parseBytes(rawMessage(request, {{0x0025, {1}}})), StunParseError::BadAttributeLength);
  EXPECT_EQ(parseBytes(rawMessage(request, {{xorMapped, {0, 1, 0, 0}}})), StunParseError::BadAttributeLength);
  EXPECT_EQ(parseBytes(rawMessage(request, {{xorMapped, {0, 2, 0, 0, 1, 2, 3, 4}}})),
            StunParseError::BadAttributeLength);
  EXPECT_EQ(parseBytes(rawMessage(request, {{xorMapped, {0, 3, 0, 0, 1, 2, 3, 4}}})),
            StunParseError::BadAttributeValue);
  EXPECT_EQ(parseBytes(rawMessage(request, {{errorCode, {0, 0, 4}}})), StunParseError::BadAttributeLength);
  EXPECT_EQ(parseBytes(rawMessage(request, {{errorCode, {0, 0, 7, 0}}})), StunParseError::BadAttributeValue);
  EXPECT_EQ(parseBytes(rawMessage(request, {{errorCode, {0, 0, 4, 100}}})),
            StunParseError::BadAttributeValue);
  EXPECT_EQ(parseBytes(rawMessage(request, {{0x0006, std::vector<uint8_t>(kStunMaxTextLength + 1, 'u')}})),
            StunParseError::BadAttributeLength);

  EXPECT_EQ(parseBytes(rawMessage(request, {{mi, std::vector<uint8_t>(20)}, {priority, {1, 2, 3, 4}}})),
            StunParseError::AttributeAfterMessageIntegrity);
  EXPECT_EQ(parseBytes(rawMessage(request, {{mi, std::vector<uint8_t>(20)}, {mi, std::vector<uint8_t>(20)}})),
            StunParseError::AttributeAfterMessageIntegrity);
  EXPECT_EQ(parseBytes(rawMessage(request, {{fp, {1, 2, 3, 4}}, {priority, {1, 2, 3, 4}}})),
            StunParseError::AttributeAfterFingerprint);
  EXPECT_EQ(parseBytes(rawMessage(request, {{fp, {1, 2, 3, 4}}, {fp, {1, 2, 3, 4}}})),
            StunParseError::AttributeAfterFingerprint);
  EXPECT_EQ(parseBytes(rawMessage(request, {{fp, {1, 2, 3, 4}}, {mi, std::vector<uint8_t>(20)}})),
            StunParseError::AttributeAfterFingerprint);
  // MESSAGE-INTEGRITY then FINGERPRINT, and an empty body, are fine.
  EXPECT_EQ(parseBytes(rawMessage(request, {{mi, std::vector<uint8_t>(20)}, {fp, {1, 2, 3, 4}}})),
            StunParseError::None);
  EXPECT_EQ(parseBytes(rawMessage(request, {})), StunParseError::None);
  for (int e = 0; e <= static_cast<int>(StunParseError::AttributeAfterFingerprint); ++e) {
    EXPECT_STRNE(toString(static_cast<StunParseError>(e)), "unknown");
  }
}

TEST(StunMessage, DetectsTampering) {
  // Flipping any byte after the header either breaks parsing or is caught by the
  // FINGERPRINT, and MESSAGE-INTEGRITY catches everything it covers.
  for (size_t i = 0; i < kRequest.size(); ++i) {
    std::vector<uint8_t> m = kRequest;
    m[i] ^= 0x01;
    StunMessage parsed;
    if (parsed.parse(m.data(), m.size()) != StunParseError::None) continue;
    EXPECT_FALSE(parsed.verifyFingerprint()) << "byte " << i;
    const bool coveredByIntegrity = i < kRequest.size() - kStunFingerprintSize;
    if (coveredByIntegrity) {
      EXPECT_FALSE(parsed.verifyMessageIntegrity(kPassword)) << "byte " << i;
    }
  }
}

TEST(StunMessage, FindsFirstUnknownComprehensionRequiredAttribute) {
  // 0xC057 (GOOG-NETWORK-INFO) is comprehension-optional and ignored; 0x0003 is not.
  auto m1 = rawMessage(0x0001, {{0xC057, {0, 1, 0, 0}}, {0x0006, text("a:b")}});
  StunMessage m;
  ASSERT_EQ(m.parse(m1.data(), m1.size()), StunParseError::None);
  EXPECT_FALSE(m.unknownComprehensionRequired());
  auto m2 = rawMessage(0x0001, {{0x0006, text("a:b")}, {0x0003, {0, 0, 0, 0}}, {0x7fff, {}}});
  ASSERT_EQ(m.parse(m2.data(), m2.size()), StunParseError::None);
  EXPECT_EQ(m.unknownComprehensionRequired(), 0x0003);
  // Only the first of duplicate attributes counts.
  auto m3 = rawMessage(0x0001, {{0x0006, text("first")}, {0x0006, text("second")}});
  ASSERT_EQ(m.parse(m3.data(), m3.size()), StunParseError::None);
  EXPECT_EQ(m.username(), "first");
}

TEST(StunAddress, FromSockaddr) {
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  v4.sin_port = htons(5000);
  inet_pton(AF_INET, "192.0.2.1", &v4.sin_addr);
  auto a = StunAddress::fromSockaddr(reinterpret_cast<const sockaddr*>(&v4), sizeof(v4));
  ASSERT_TRUE(a);
  EXPECT_EQ(*a, StunAddress::ipv4(kIpv4Mapped, 5000));

  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  v6.sin6_port = htons(kMappedPort);
  inet_pton(AF_INET6, "2001:db8:1234:5678:11:2233:4455:6677", &v6.sin6_addr);
  a = StunAddress::fromSockaddr(reinterpret_cast<const sockaddr*>(&v6), sizeof(v6));
  ASSERT_TRUE(a);
  EXPECT_EQ(*a, StunAddress::ipv6(kIpv6Mapped, kMappedPort));

  inet_pton(AF_INET6, "::ffff:192.0.2.1", &v6.sin6_addr);
  a = StunAddress::fromSockaddr(reinterpret_cast<const sockaddr*>(&v6), sizeof(v6));
  ASSERT_TRUE(a);
  EXPECT_EQ(*a, StunAddress::ipv4(kIpv4Mapped, kMappedPort));

  EXPECT_FALSE(StunAddress::fromSockaddr(reinterpret_cast<const sockaddr*>(&v4), sizeof(v4) - 1));
  EXPECT_FALSE(StunAddress::fromSockaddr(nullptr, 0));
}
