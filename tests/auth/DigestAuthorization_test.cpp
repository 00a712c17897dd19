// RTSP Digest credentials on the server side: the Authorization parser on well-formed and
// malformed headers, the response check (MD5 and SHA-256, realm, nonce, uri), and the access
// decision with Digest answers: right password allowed, wrong password or another nonce denied
// and counted exactly as a wrong Basic password.
#include "auth/DigestAuthorization.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "auth/AccessControl.h"
#include "config/Config.h"
#include "core/DigestHash.h"

namespace sluice::auth {
namespace {

constexpr const char* kUri = "rtsp://127.0.0.1:8554/cam";

DigestChallenge challenge(std::string nonce = "n0nce", std::string method = "DESCRIBE",
                          std::string uri = kUri) {
  return {"ipcam", std::move(nonce), std::move(method), std::move(uri)};
}

// The header a client (ffmpeg) sends for `pass`, answering `c`.
std::string answer(const std::string& user, const std::string& pass, const DigestChallenge& c,
                   std::string uri = {}, const char* algorithm = nullptr) {
  if (uri.empty()) uri = c.requestUri;
  const auto a = algorithm ? *core::digestAlgorithmFromName(algorithm) : core::DigestAlgorithm::Md5;
  const std::string response = core::digestResponseWithoutQop(a, user, c.realm, pass, c.nonce, c.method, uri);
  std::string h =
      fmt::format("Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{}\", response=\"{}\"", user,
                  c.realm, c.nonce, uri, response);
  if (algorithm) h += fmt::format(", algorithm={}", algorithm);
  return h;
}

TEST(DigestAuthorization, ParsesWhatClientsSend) {
  auto a = parseDigestAuthorization(
      "Digest username=\"viewer\", realm=\"ipcam\", nonce=\"abc\", uri=\"rtsp://h/cam\", "
      "response=\"0123456789abcdef0123456789abcdef\"");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->username, "viewer");
  EXPECT_EQ(a->realm, "ipcam");
  EXPECT_EQ(a->nonce, "abc");
  EXPECT_EQ(a->uri, "rtsp://h/cam");
  EXPECT_EQ(a->algorithm, core::DigestAlgorithm::Md5);
  // Case-insensitive scheme and keys, tokens unquoted, escapes, extra parameters ignored.
  auto b = parseDigestAuthorization(
      "digest USERNAME=\"a\\\"b\",realm=ipcam , nonce=x,uri=\"/p\",response=r, opaque=\"o\", "
      "algorithm=SHA-256");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->username, "a\"b");
  EXPECT_EQ(b->realm, "ipcam");
  EXPECT_EQ(b->algorithm, core::DigestAlgorithm::Sha256);
  EXPECT_TRUE(isDigestAuthorization("Digest username=x"));
  EXPECT_TRUE(isDigestAuthorization("  DIGEST x"));
  EXPECT_FALSE(isDigestAuthorization("Basic dTpw"));
  EXPECT_FALSE(isDigestAuthorization("Digestive x"));
  EXPECT_FALSE(isDigestAuthorization(""));
}

TEST(DigestAuthorization, RejectsMalformedHeaders) {
  const std::string full = "username=\"u\", realm=\"r\", nonce=\"n\", uri=\"/p\", response=\"x\"";
  struct Case {
    std::string header;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"Basic dTpw", "not a Digest Authorization header"},
      {"Digest", "malformed Digest Authorization"},
      {"Digest" + full, "not a Digest Authorization header"},  // "Digestusername"
      {"Digest\"x\"", "malformed Digest Authorization"},
      {"Digest realm=\"r\", nonce=\"n\", uri=\"/p\", response=\"x\"",
       "Digest Authorization without username, realm, nonce, uri or response"},
      {"Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"/p\"",
       "Digest Authorization without username, realm, nonce, uri or response"},
      {"Digest username=\"u", "unterminated quoted string in Digest Authorization"},
      {"Digest username=\"u\\", "unterminated quoted string in Digest Authorization"},
      {"Digest " + full + ", username=\"v\"", "duplicate Digest parameter"},
      {"Digest " + full + ", RESPONSE=y", "duplicate Digest parameter"},
      {"Digest username", "Digest parameter without a value"},
      {"Digest username=", "missing Digest parameter value"},
      {"Digest username=\"u\" realm=\"r\"", "malformed Digest parameter list"},
      {"Digest =x", "malformed Digest parameter"},
      {"Digest " + full + ", algorithm=MD5-sess", "unsupported Digest algorithm (expected MD5 or SHA-256)"},
      {"Digest " + full + ", qop=auth, nc=00000001, cnonce=\"c\"",
       "qop in a Digest answer to a challenge that offered none"},
      {"Digest username=\"" + std::string(5000, 'a') + "\"", "Authorization header too long"},
  };
  for (const Case& c : cases) {
    std::string error;
    EXPECT_FALSE(parseDigestAuthorization(c.header, &error)) << c.header.substr(0, 80);
    EXPECT_EQ(error, c.error) << c.header.substr(0, 80);
  }
  // Just under the limit, a huge value is still a value.
  auto big = parseDigestAuthorization("Digest " + full + ", opaque=\"" + std::string(3900, 'o') + "\"");
  EXPECT_TRUE(big);
}

TEST(DigestAuthorization, ChecksResponseRealmNonceAndUri) {
  const DigestChallenge c = challenge();
  auto ok = parseDigestAuthorization(answer("viewer", "s3cret", c));
  ASSERT_TRUE(ok);
  EXPECT_TRUE(digestAnswerMatches(*ok, c, "viewer", "s3cret"));
  EXPECT_FALSE(digestAnswerMatches(*ok, c, "viewer", "other"));
  EXPECT_FALSE(digestAnswerMatches(*ok, c, "viewer2", "s3cret"));
  // The same answer to another challenge (nonce of another connection), realm or request.
  EXPECT_FALSE(digestAnswerMatches(*ok, challenge("other-nonce"), "viewer", "s3cret"));
  DigestChallenge otherRealm = c;
  otherRealm.realm = "mediamtx";
  EXPECT_FALSE(digestAnswerMatches(*ok, otherRealm, "viewer", "s3cret"));
  EXPECT_FALSE(digestAnswerMatches(*ok, challenge("n0nce", "ANNOUNCE"), "viewer", "s3cret"));
  EXPECT_FALSE(digestAnswerMatches(*ok, challenge("n0nce", "DESCRIBE", "rtsp://127.0.0.1:8554/other"),
                                   "viewer", "s3cret"));
  // Uppercase hex is the same response.
  DigestAuthorization upper = *ok;
  for (char& ch : upper.response) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_TRUE(digestAnswerMatches(upper, c, "viewer", "s3cret"));
  // SHA-256 when the client says so.
  auto sha = parseDigestAuthorization(answer("viewer", "s3cret", c, {}, "SHA-256"));
  ASSERT_TRUE(sha);
  EXPECT_TRUE(digestAnswerMatches(*sha, c, "viewer", "s3cret"));
  // SETUP of a track with the stream's URL as uri (VLC), with or without the final '/'.
  const DigestChallenge setup = challenge("n0nce", "SETUP", std::string(kUri) + "/trackID=1");
  auto base = parseDigestAuthorization(answer("viewer", "s3cret", setup, std::string(kUri) + "/"));
  auto bare = parseDigestAuthorization(answer("viewer", "s3cret", setup, kUri));
  auto wrong = parseDigestAuthorization(answer("viewer", "s3cret", setup, "rtsp://127.0.0.1:8554/x/"));
  ASSERT_TRUE(base && bare && wrong);
  EXPECT_TRUE(digestAnswerMatches(*base, setup, "viewer", "s3cret"));
  EXPECT_TRUE(digestAnswerMatches(*bare, setup, "viewer", "s3cret"));
  EXPECT_FALSE(digestAnswerMatches(*wrong, setup, "viewer", "s3cret"));
}

std::shared_ptr<const AuthManager> users() {
  std::vector<config::AuthInternalUser> list = {
      {"viewer", "s3cret", {}, {{"read", "cam"}}},
      // A hashed user can never answer a Digest challenge (the configuration refuses them).
      {"hashed", "sha256:E9JJ8stBJ7QM+nV4ZoUCeHk/gU3tPFh/5YieiJp6n2w=", {}, {{"read", ""}}},
  };
  return std::make_shared<const AuthManager>(*AuthManager::create(list));
}

AuthRequest digestRequest(const std::string& header, const DigestChallenge& c) {
  AuthRequest r;
  r.ip = "10.1.2.3";
  r.action = Action::Read;
  r.path = "cam";
  r.digest = parseDigestAuthorization(header);
  if (r.digest) r.user = r.digest->username;
  r.digestChallenge = c;
  return r;
}

TEST(DigestAccess, RightPasswordAllowedWrongOneOrAnotherNonceDeniedAndCounted) {
  AccessControl access(users(),
                       FailureGuardOptions{2, std::chrono::seconds(60), std::chrono::seconds(60), 100});
  const DigestChallenge c = challenge();
  EXPECT_EQ(access.check(digestRequest(answer("viewer", "s3cret", c), c), "RTSP").verdict,
            AccessVerdict::Allowed);
  // Not the path the user may read.
  AuthRequest otherPath = digestRequest(answer("viewer", "s3cret", c), c);
  otherPath.path = "other";
  EXPECT_EQ(users()->authenticate(otherPath), AuthResult::Denied);

  AccessDecision wrong = access.check(digestRequest(answer("viewer", "guess", c), c), "RTSP");
  EXPECT_EQ(wrong.verdict, AccessVerdict::Denied);
  EXPECT_LE(wrong.delay.count(), 4000);
  AccessDecision stale = access.check(digestRequest(answer("viewer", "s3cret", challenge("old")), c), "RTSP");
  EXPECT_EQ(stale.verdict, AccessVerdict::Denied);
  // A malformed Digest answer the server cannot use counts too.
  AuthRequest unusable = digestRequest("Digest username=\"viewer", c);
  unusable.unusableCredentials = true;
  EXPECT_EQ(access.check(unusable, "RTSP").verdict, AccessVerdict::Denied);
  // Past two failures: the guard now refuses this client's credentials at once, Digest or Basic.
  EXPECT_EQ(access.check(digestRequest(answer("viewer", "s3cret", c), c), "RTSP").verdict,
            AccessVerdict::Throttled);
  AuthRequest basic;
  basic.ip = "10.1.2.3";
  basic.path = "cam";
  basic.user = "viewer";
  basic.pass = "s3cret";
  EXPECT_EQ(access.check(basic, "RTSP").verdict, AccessVerdict::Throttled);
}

TEST(DigestAccess, HashedUsersAndUnusableCredentialsNeverMatch) {
  // The hashed user's password is "testpass" (MediaMTX's sample); Digest cannot check it.
  const DigestChallenge c = challenge();
  AuthRequest r = digestRequest(answer("hashed", "testpass", c), c);
  EXPECT_EQ(users()->authenticate(r), AuthResult::Denied);
  AuthRequest unusable;
  unusable.ip = "10.1.2.3";
  unusable.path = "cam";
  unusable.unusableCredentials = true;
  EXPECT_TRUE(unusable.supplied());
  EXPECT_EQ(users()->authenticate(unusable), AuthResult::Denied);
  // User 'any' needs no credentials, whatever was sent.
  auto open = std::make_shared<const AuthManager>(*AuthManager::create({{"any", "", {}, {{"read", ""}}}}));
  EXPECT_EQ(open->authenticate(unusable), AuthResult::Ok);
  EXPECT_EQ(open->authenticate(digestRequest(answer("x", "y", challenge("old")), c)), AuthResult::Ok);
}

}  // namespace
}  // namespace sluice::auth
