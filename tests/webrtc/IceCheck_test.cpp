#include "webrtc/IceCheck.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

using namespace sluice::webrtc;

namespace {

SocketAddress v4(const char* ip, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, ip, &a.sin_addr);
  return SocketAddress::from(reinterpret_cast<const sockaddr*>(&a), sizeof(a));
}

size_t buildCheck(uint8_t* out, size_t cap, const char* username, const char* pwd, bool useCandidate,
                  bool fingerprint = true) {
  StunMessageBuilder b(out, cap);
  StunTransactionId id{};
  for (size_t i = 0; i < id.size(); ++i) id[i] = static_cast<uint8_t>(i + 1);
  b.bindingRequest(id, username, 1845501695, 0x1122334455667788ull, useCandidate);
  b.appendMessageIntegrity(pwd);
  if (fingerprint) b.appendFingerprint();
  return b.size();
}

}  // namespace

TEST(IceCheck, AnswersAnAuthenticCheckWithTheMappedAddress) {
  uint8_t req[512];
  size_t n = buildCheck(req, sizeof(req), "serverUfrag:viewerUfrag", "serverPassword", true);
  ASSERT_GT(n, 0u);
  StunMessage msg;
  ASSERT_EQ(msg.parse(req, n), StunParseError::None);
  ASSERT_EQ(iceCheckLocalUfrag(msg), std::optional<std::string_view>("serverUfrag"));
  EXPECT_TRUE(msg.useCandidate());

  uint8_t out[kIceCheckResponseMax];
  SocketAddress from = v4("10.9.0.2", 47698);
  size_t r = answerIceCheck(msg, "serverPassword", from, out, sizeof(out));
  ASSERT_GT(r, 0u);
  StunMessage resp;
  ASSERT_EQ(resp.parse(out, r), StunParseError::None);
  EXPECT_EQ(resp.transactionId(), msg.transactionId());
  EXPECT_TRUE(resp.verifyMessageIntegrity("serverPassword"));
  EXPECT_TRUE(resp.verifyFingerprint());
  auto mapped = resp.xorMappedAddress();
  ASSERT_TRUE(mapped);
  EXPECT_EQ(*mapped,
            *StunAddress::fromSockaddr(reinterpret_cast<const sockaddr*>(&from.storage), from.length));
}

TEST(IceCheck, IgnoresUnauthenticChecks) {
  uint8_t req[512], out[kIceCheckResponseMax];
  SocketAddress from = v4("10.9.0.2", 1);
  size_t n = buildCheck(req, sizeof(req), "serverUfrag:viewerUfrag", "otherPassword", false);
  StunMessage msg;
  ASSERT_EQ(msg.parse(req, n), StunParseError::None);
  EXPECT_EQ(answerIceCheck(msg, "serverPassword", from, out, sizeof(out)), 0u) << "wrong password";

  n = buildCheck(req, sizeof(req), "serverUfrag:viewerUfrag", "serverPassword", false, false);
  ASSERT_EQ(msg.parse(req, n), StunParseError::None);
  EXPECT_EQ(answerIceCheck(msg, "serverPassword", from, out, sizeof(out)), 0u) << "no FINGERPRINT";
}

TEST(IceCheck, UfragOnlyFromBindingRequestsWithUsername) {
  uint8_t buf[512];
  StunMessageBuilder b(buf, sizeof(buf));
  StunTransactionId id{};
  b.bindingSuccess(id, StunAddress{});
  StunMessage msg;
  ASSERT_EQ(msg.parse(buf, b.size()), StunParseError::None);
  EXPECT_FALSE(iceCheckLocalUfrag(msg)) << "a response is not a check";

  StunMessageBuilder c(buf, sizeof(buf));
  c.start(StunMessageType::BindingRequest, id);
  ASSERT_EQ(msg.parse(buf, c.size()), StunParseError::None);
  EXPECT_FALSE(iceCheckLocalUfrag(msg)) << "no USERNAME";

  size_t n = buildCheck(buf, sizeof(buf), "onlyUfrag", "pwd", false);
  ASSERT_EQ(msg.parse(buf, n), StunParseError::None);
  EXPECT_EQ(iceCheckLocalUfrag(msg), std::optional<std::string_view>("onlyUfrag"));
}
