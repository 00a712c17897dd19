#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/srtp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <srtp2/srtp.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <thread>

#include "webrtc/DtlsCertificate.h"
#include "webrtc/DtlsTransport.h"

using namespace sluice::webrtc;
using Bytes = std::vector<uint8_t>;

namespace {

std::shared_ptr<DtlsCertificate> makeCertificate() {
  std::string error;
  auto certificate = DtlsCertificate::generate(error);
  EXPECT_TRUE(certificate) << error;
  return certificate;
}

// One side of an in-memory association: what it sent and what it reported.
struct Endpoint {
  std::unique_ptr<DtlsTransport> transport;
  std::vector<Bytes> outbox;
  std::vector<Bytes> allSent;
  std::optional<DtlsKeys> keys;
  std::optional<std::string> failure;
  bool closed = false;

  DtlsTransport::Callbacks callbacks() {
    DtlsTransport::Callbacks cb;
    cb.sendDatagram = [this](const uint8_t* data, size_t size) {
      outbox.emplace_back(data, data + size);
      allSent.emplace_back(data, data + size);
    };
    cb.onConnected = [this](const DtlsKeys& k) { keys = k; };
    cb.onFailed = [this](std::string reason) { failure = std::move(reason); };
    cb.onClosed = [this] { closed = true; };
    return cb;
  }
  DtlsTransport& operator*() { return *transport; }
  DtlsTransport* operator->() { return transport.get(); }
};

enum class Direction { ClientToServer, ServerToClient };

// A client and a server transport wired to each other through queues, with a hook that can
// drop, inspect or add to the traffic.
struct LinkedPair {
  std::shared_ptr<DtlsCertificate> clientCertificate = makeCertificate();
  std::shared_ptr<DtlsCertificate> serverCertificate = makeCertificate();
  Endpoint client, server;
  // Returns true to drop the datagram. `index` counts datagrams per direction from 0.
  std::function<bool(Direction, size_t index, const Bytes&)> shouldDrop;
  size_t delivered[2] = {0, 0};

  LinkedPair(DtlsOptions clientOptions = {}, DtlsOptions serverOptions = {},
             std::optional<std::string> clientSeesServerFingerprint = std::nullopt,
             std::optional<std::string> serverSeesClientFingerprint = std::nullopt) {
    client.transport = std::make_unique<DtlsTransport>(
        clientCertificate, DtlsRole::Client, "sha-256",
        clientSeesServerFingerprint.value_or(serverCertificate->fingerprintSha256()), client.callbacks(),
        clientOptions);
    server.transport = std::make_unique<DtlsTransport>(
        serverCertificate, DtlsRole::Server, "sha-256",
        serverSeesClientFingerprint.value_or(clientCertificate->fingerprintSha256()), server.callbacks(),
        serverOptions);
  }

  // Delivers queued datagrams until both outboxes are empty.
  void pump() {
    for (int rounds = 0; rounds < 1000 && (!client.outbox.empty() || !server.outbox.empty()); ++rounds) {
      deliver(client, server, Direction::ClientToServer);
      deliver(server, client, Direction::ServerToClient);
    }
  }

  // Pumps and fires retransmission timers (in real time) until `done` or the deadline.
  bool runUntil(const std::function<bool()>& done,
                std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      pump();
      if (done()) return true;
      for (Endpoint* e : {&client, &server}) {
        if (!e->transport) continue;
        auto timeout = e->transport->nextTimeout();
        if (timeout && timeout->count() <= 0) e->transport->onTimeout();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return done();
  }

  bool bothConnected() const { return client.keys && server.keys; }
  bool anyFailed() const { return client.failure || server.failure; }

  bool handshake() {
    client->start();
    server->start();
    return runUntil([&] { return bothConnected() || anyFailed(); }) && bothConnected();
  }

 private:
  void deliver(Endpoint& from, Endpoint& to, Direction direction) {
    std::vector<Bytes> batch;
    batch.swap(from.outbox);
    for (auto& datagram : batch) {
      size_t index = delivered[static_cast<int>(direction)]++;
      if (shouldDrop && shouldDrop(direction, index, datagram)) continue;
      if (to.transport) to->onDatagram(datagram.data(), datagram.size());
    }
  }
};

Bytes concat(const Bytes& a, const Bytes& b) {
  Bytes out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

void expectKeysMirror(const DtlsKeys& client, const DtlsKeys& server, SrtpProfile profile) {
  EXPECT_EQ(client.profile, profile);
  EXPECT_EQ(server.profile, profile);
  EXPECT_EQ(client.localKey.size(), srtpKeyLength(profile));
  EXPECT_EQ(client.localSalt.size(), srtpSaltLength(profile));
  EXPECT_EQ(client.remoteKey.size(), srtpKeyLength(profile));
  EXPECT_EQ(client.remoteSalt.size(), srtpSaltLength(profile));
  EXPECT_EQ(client.localKey, server.remoteKey);
  EXPECT_EQ(client.localSalt, server.remoteSalt);
  EXPECT_EQ(client.remoteKey, server.localKey);
  EXPECT_EQ(client.remoteSalt, server.localSalt);
  EXPECT_NE(client.localKey, client.remoteKey);
}

DtlsOptions fastRetransmit() {
  DtlsOptions options;
  options.initialRetransmitTimeout = std::chrono::milliseconds(30);
  return options;
}

// A first byte of 22 (handshake), DTLS 1.2, epoch 0.
Bytes recordHeader(uint8_t type, uint16_t epoch, uint16_t length) {
  return {type, 0xfe, 0xfd, static_cast<uint8_t>(epoch >> 8),  static_cast<uint8_t>(epoch), 0, 0, 0,
          0,    0,    1,    static_cast<uint8_t>(length >> 8), static_cast<uint8_t>(length)};
}

std::vector<Bytes> garbageDatagrams(const Bytes& realRecord) {
  std::vector<Bytes> out;
  out.push_back({});
  out.push_back({22});
  out.push_back({0x80, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1});  // RTP-looking
  Bytes random(200);
  for (size_t i = 0; i < random.size(); ++i) random[i] = static_cast<uint8_t>(i * 37 + 11);
  random[0] = 22;
  out.push_back(random);
  out.push_back(Bytes(realRecord.begin(), realRecord.begin() + std::min<size_t>(realRecord.size(), 40)));
  out.push_back(Bytes(realRecord.begin(), realRecord.end() - 1));  // truncated by one byte
  out.push_back(concat(realRecord, Bytes{23, 0xfe}));              // trailing partial header
  Bytes badVersion = realRecord;
  badVersion[2] = 0x01;
  out.push_back(badVersion);
  out.push_back(concat(recordHeader(24, 0, 3), Bytes{1, 0, 0}));     // heartbeat-like type
  out.push_back(concat(recordHeader(23, 0, 4), Bytes{1, 2, 3, 4}));  // plaintext application data
  out.push_back(concat(recordHeader(22, 0, 12), Bytes(12, 0xff)));   // fragment beyond its message
  out.push_back(concat(recordHeader(23, 1, 40), Bytes(40, 0x5a)));   // undecryptable epoch 1
  out.push_back(concat(recordHeader(21, 1, 26), Bytes(26, 0xa5)));   // undecryptable alert
  out.push_back(concat(recordHeader(22, 7, 30), Bytes(30, 0x01)));   // unknown epoch
  Bytes huge = recordHeader(23, 1, 0xffff);
  huge.resize(huge.size() + 0xffff, 0x42);
  out.push_back(huge);
  return out;
}

bool queueIsEmpty() { return ERR_peek_error() == 0; }

}  // namespace

// ---------------------------------------------------------------------------------------------
// Certificate

TEST(DtlsCertificate, IsSelfSignedP256WithSdpFingerprint) {
  auto certificate = makeCertificate();
  ASSERT_TRUE(certificate);
  EXPECT_TRUE(std::regex_match(certificate->fingerprintSha256(), std::regex("([0-9A-F]{2}:){31}[0-9A-F]{2}")))
      << certificate->fingerprintSha256();
  EXPECT_EQ(certificateFingerprint(certificate->certificate(), "SHA-256"), certificate->fingerprintSha256());
  EXPECT_EQ(certificateFingerprint(certificate->certificate(), "sha-1").size(), 20u * 3 - 1);
  EXPECT_EQ(certificateFingerprint(certificate->certificate(), "sha-512").size(), 64u * 3 - 1);
  EXPECT_EQ(certificateFingerprint(certificate->certificate(), "md5"), "");

  X509* x509 = certificate->certificate();
  EXPECT_EQ(X509_verify(x509, certificate->privateKey()), 1);  // self-signed
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(x509), X509_get_issuer_name(x509)), 0);
  char cn[64] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(x509), NID_commonName, cn, sizeof(cn));
  EXPECT_STREQ(cn, "sluice");
  EXPECT_EQ(EVP_PKEY_get_base_id(certificate->privateKey()), EVP_PKEY_EC);
  char group[32] = {};
  size_t groupLength = 0;
  EVP_PKEY_get_group_name(certificate->privateKey(), group, sizeof(group), &groupLength);
  EXPECT_STREQ(group, "prime256v1");
  EXPECT_LT(X509_cmp_current_time(X509_get0_notBefore(x509)), 0);
  EXPECT_GT(X509_cmp_current_time(X509_get0_notAfter(x509)), 0);
  EXPECT_TRUE(certificate->sslContext());

  auto other = makeCertificate();
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(x509), X509_get0_serialNumber(other->certificate())), 0);
  EXPECT_NE(other->fingerprintSha256(), certificate->fingerprintSha256());
  EXPECT_TRUE(queueIsEmpty());
}

TEST(DtlsCertificate, ProcessWideIsGeneratedOnce) {
  std::string error;
  auto first = DtlsCertificate::processWide(error);
  ASSERT_TRUE(first) << error;
  EXPECT_EQ(DtlsCertificate::processWide(error), first);
}

// ---------------------------------------------------------------------------------------------
// Handshake and keys

TEST(DtlsTransport, HandshakeYieldsMirroredGcmKeys) {
  LinkedPair pair;
  ASSERT_TRUE(pair.handshake()) << pair.client.failure.value_or("") << " / "
                                << pair.server.failure.value_or("");
  EXPECT_TRUE(pair.client->connected());
  EXPECT_TRUE(pair.server->connected());
  expectKeysMirror(*pair.client.keys, *pair.server.keys, SrtpProfile::AeadAes128Gcm);
  for (const auto& d : pair.client.allSent) EXPECT_LE(d.size(), 1200u);
  for (const auto& d : pair.server.allSent) EXPECT_LE(d.size(), 1200u);
  // Every datagram is made of whole records (nothing glued or split by the transport).
  for (const auto& d : pair.server.allSent) EXPECT_TRUE(looksLikeDtls(d.data(), d.size()));
  EXPECT_FALSE(pair.client->nextTimeout().has_value());
  EXPECT_TRUE(queueIsEmpty());
}

TEST(DtlsTransport, ClientOfferingOnlyAesCmGetsAesCm) {
  DtlsOptions cmOnly;
  cmOnly.srtpProfiles = "SRTP_AES128_CM_SHA1_80";
  LinkedPair pair(cmOnly, {});
  ASSERT_TRUE(pair.handshake());
  expectKeysMirror(*pair.client.keys, *pair.server.keys, SrtpProfile::AesCm128HmacSha1_80);
}

TEST(DtlsTransport, ServerAcceptingOnlyAesCmGetsAesCm) {
  DtlsOptions cmOnly;
  cmOnly.srtpProfiles = "SRTP_AES128_CM_SHA1_80";
  LinkedPair pair({}, cmOnly);
  ASSERT_TRUE(pair.handshake());
  expectKeysMirror(*pair.client.keys, *pair.server.keys, SrtpProfile::AesCm128HmacSha1_80);
}

TEST(DtlsTransport, ServerPreferenceDecidesTheProfile) {
  DtlsOptions cmFirst;
  cmFirst.srtpProfiles = "SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_128_GCM";
  LinkedPair pair(cmFirst, {});
  ASSERT_TRUE(pair.handshake());
  expectKeysMirror(*pair.client.keys, *pair.server.keys, SrtpProfile::AeadAes128Gcm);
}

TEST(DtlsTransport, NoCommonProfileFailsBothSides) {
  DtlsOptions cmOnly, gcmOnly;
  cmOnly.srtpProfiles = "SRTP_AES128_CM_SHA1_80";
  gcmOnly.srtpProfiles = "SRTP_AEAD_AES_128_GCM";
  LinkedPair pair(cmOnly, gcmOnly);
  EXPECT_FALSE(pair.handshake());
  pair.runUntil([&] { return pair.client.failure && pair.server.failure; }, std::chrono::milliseconds(500));
  ASSERT_TRUE(pair.server.failure);
  EXPECT_NE(pair.server.failure->find("no common SRTP profile"), std::string::npos) << *pair.server.failure;
  ASSERT_TRUE(pair.client.failure);
  EXPECT_NE(pair.client.failure->find("no common SRTP profile"), std::string::npos) << *pair.client.failure;
  EXPECT_FALSE(pair.client.keys || pair.server.keys);
  EXPECT_TRUE(queueIsEmpty());
}

TEST(DtlsTransport, SmallMtuFragmentsTheFlightsAndStillConnects) {
  DtlsOptions small;
  small.mtu = 300;
  LinkedPair pair(small, small);
  ASSERT_TRUE(pair.handshake()) << pair.client.failure.value_or("") << pair.server.failure.value_or("");
  for (const auto& d : pair.server.allSent) EXPECT_LE(d.size(), 300u);
  for (const auto& d : pair.client.allSent) EXPECT_LE(d.size(), 300u);
  expectKeysMirror(*pair.client.keys, *pair.server.keys, SrtpProfile::AeadAes128Gcm);
}

TEST(DtlsTransport, MutualAuthenticationIsRequired) {
  // The server asks for the client's certificate: the client's first flight after
  // ServerHelloDone must carry a Certificate message (handshake type 11).
  LinkedPair pair;
  ASSERT_TRUE(pair.handshake());
  bool sawCertificateFromClient = false;
  for (const auto& d : pair.client.allSent) {
    for (size_t i = 0; i + 13 + 12 <= d.size();) {
      size_t length = (size_t{d[i + 11]} << 8) | d[i + 12];
      if (d[i] == 22 && d[i + 13] == 11) sawCertificateFromClient = true;
      i += 13 + length;
    }
  }
  EXPECT_TRUE(sawCertificateFromClient);
}

// ---------------------------------------------------------------------------------------------
// Fingerprints

TEST(DtlsTransport, WrongServerFingerprintFailsTheClient) {
  std::string wrong = makeCertificate()->fingerprintSha256();
  LinkedPair pair({}, {}, wrong, std::nullopt);
  EXPECT_FALSE(pair.handshake());
  ASSERT_TRUE(pair.client.failure);
  EXPECT_EQ(*pair.client.failure, "fingerprint mismatch");
  EXPECT_FALSE(pair.client.keys);
  // The client aborted with an alert, so the server learns of it too and never connects.
  pair.runUntil([&] { return pair.server.failure.has_value(); }, std::chrono::milliseconds(300));
  EXPECT_FALSE(pair.server.keys);
  EXPECT_TRUE(queueIsEmpty());
}

TEST(DtlsTransport, WrongClientFingerprintFailsTheServer) {
  std::string wrong = makeCertificate()->fingerprintSha256();
  LinkedPair pair({}, {}, std::nullopt, wrong);
  EXPECT_FALSE(pair.handshake());
  ASSERT_TRUE(pair.server.failure);
  EXPECT_EQ(*pair.server.failure, "fingerprint mismatch");
  EXPECT_FALSE(pair.server.keys);
  pair.runUntil([&] { return pair.client.failure.has_value(); }, std::chrono::milliseconds(300));
  ASSERT_TRUE(pair.client.failure);
  EXPECT_NE(pair.client.failure->find("peer sent alert"), std::string::npos) << *pair.client.failure;
  EXPECT_FALSE(pair.client.keys);
}

TEST(DtlsTransport, AcceptsOtherFingerprintAlgorithmsAndLowercase) {
  for (std::string algorithm : {"sha-1", "SHA-256", "sha-384", "sha-512"}) {
    auto clientCert = makeCertificate();
    auto serverCert = makeCertificate();
    Endpoint client, server;
    std::string serverPrint = certificateFingerprint(serverCert->certificate(), algorithm);
    std::string clientPrint = certificateFingerprint(clientCert->certificate(), algorithm);
    for (auto& c : clientPrint) c = static_cast<char>(std::tolower(c));
    client.transport = std::make_unique<DtlsTransport>(clientCert, DtlsRole::Client, algorithm, serverPrint,
                                                       client.callbacks());
    server.transport = std::make_unique<DtlsTransport>(serverCert, DtlsRole::Server, algorithm, clientPrint,
                                                       server.callbacks());
    client->start();
    for (int i = 0; i < 20 && (!client.outbox.empty() || !server.outbox.empty()); ++i) {
      auto toServer = std::move(client.outbox);
      client.outbox.clear();
      for (auto& d : toServer) server->onDatagram(d.data(), d.size());
      auto toClient = std::move(server.outbox);
      server.outbox.clear();
      for (auto& d : toClient) client->onDatagram(d.data(), d.size());
    }
    EXPECT_TRUE(client.keys && server.keys)
        << algorithm << ": " << client.failure.value_or("") << server.failure.value_or("");
  }
}

TEST(DtlsTransport, InvalidFingerprintsAreReportedByStart) {
  auto certificate = makeCertificate();
  struct Case {
    std::string algorithm, fingerprint, expected;
  } cases[] = {
      {"md5", "AA:BB", "unsupported fingerprint algorithm 'md5'"},
      {"sha-256", "AB:CD", "malformed remote sha-256 fingerprint"},
      {"sha-256", "", "malformed remote sha-256 fingerprint"},
      {"sha-256", std::string(95, 'Z'), "malformed remote sha-256 fingerprint"},
  };
  for (const auto& c : cases) {
    for (DtlsRole role : {DtlsRole::Client, DtlsRole::Server}) {
      Endpoint e;
      e.transport =
          std::make_unique<DtlsTransport>(certificate, role, c.algorithm, c.fingerprint, e.callbacks());
      e->start();
      ASSERT_TRUE(e.failure);
      EXPECT_EQ(*e.failure, c.expected);
      EXPECT_TRUE(e.outbox.empty());
      e->onDatagram(nullptr, 0);
      EXPECT_FALSE(e->nextTimeout());
    }
  }
  Endpoint noCertificate;
  noCertificate.transport = std::make_unique<DtlsTransport>(
      nullptr, DtlsRole::Server, "sha-256", certificate->fingerprintSha256(), noCertificate.callbacks());
  noCertificate->start();
  EXPECT_EQ(noCertificate.failure.value_or(""), "no local DTLS certificate");
}

// ---------------------------------------------------------------------------------------------
// Loss and retransmission

TEST(DtlsTransport, LostClientHelloIsRetransmitted) {
  LinkedPair pair(fastRetransmit(), fastRetransmit());
  pair.shouldDrop = [](Direction d, size_t index, const Bytes&) {
    return d == Direction::ClientToServer && index == 0;
  };
  pair.client->start();
  pair.pump();
  EXPECT_EQ(pair.client.allSent.size(), 1u);
  auto timeout = pair.client->nextTimeout();
  ASSERT_TRUE(timeout);
  EXPECT_LE(timeout->count(), 30);
  EXPECT_GT(timeout->count(), 0);
  pair.client->onTimeout();  // too early: nothing is resent
  pair.pump();
  EXPECT_EQ(pair.client.allSent.size(), 1u);
  ASSERT_TRUE(pair.runUntil([&] { return pair.bothConnected(); }));
  // The same ClientHello again, in a record with the next sequence number.
  ASSERT_GE(pair.client.allSent.size(), 2u);
  EXPECT_EQ(Bytes(pair.client.allSent[0].begin() + 13, pair.client.allSent[0].end()),
            Bytes(pair.client.allSent[1].begin() + 13, pair.client.allSent[1].end()));
  expectKeysMirror(*pair.client.keys, *pair.server.keys, SrtpProfile::AeadAes128Gcm);
}

TEST(DtlsTransport, FirstRetransmissionIsDueAfter400MsByDefault) {
  LinkedPair pair;
  EXPECT_FALSE(pair.client->nextTimeout());
  EXPECT_FALSE(pair.server->nextTimeout()) << "a server waiting for a ClientHello has nothing to resend";
  pair.client->start();
  auto timeout = pair.client->nextTimeout();
  ASSERT_TRUE(timeout);
  EXPECT_GT(timeout->count(), 100);
  EXPECT_LE(timeout->count(), 400);
}

TEST(DtlsTransport, LostServerFlightIsRetransmitted) {
  LinkedPair pair(fastRetransmit(), fastRetransmit());
  // Lose the server's whole first flight (ServerHello .. ServerHelloDone) once.
  size_t firstFlightSize = 0;
  pair.shouldDrop = [&](Direction d, size_t index, const Bytes&) {
    if (d != Direction::ServerToClient) return false;
    if (firstFlightSize == 0) firstFlightSize = pair.server.allSent.size();
    return index < firstFlightSize;
  };
  ASSERT_TRUE(pair.handshake()) << pair.client.failure.value_or("") << pair.server.failure.value_or("");
  expectKeysMirror(*pair.client.keys, *pair.server.keys, SrtpProfile::AeadAes128Gcm);
}

TEST(DtlsTransport, LostFinalFlightIsResentWhenTheClientRepeatsItsFinished) {
  LinkedPair pair(fastRetransmit(), fastRetransmit());
  bool dropping = true;
  pair.shouldDrop = [&](Direction d, size_t, const Bytes&) {
    // Once the server is connected, everything it sends is its final flight: lose it once.
    if (d == Direction::ServerToClient && pair.server.keys && dropping) return true;
    return false;
  };
  pair.client->start();
  pair.runUntil([&] { return pair.server.keys.has_value(); });
  ASSERT_TRUE(pair.server.keys);
  EXPECT_FALSE(pair.client.keys);
  dropping = false;
  ASSERT_TRUE(pair.runUntil([&] { return pair.bothConnected(); }));
  expectKeysMirror(*pair.client.keys, *pair.server.keys, SrtpProfile::AeadAes128Gcm);
}

TEST(DtlsTransport, SilentPeerTimesOut) {
  DtlsOptions options = fastRetransmit();
  options.initialRetransmitTimeout = std::chrono::milliseconds(1);
  options.maxRetransmitTimeout = std::chrono::milliseconds(20);
  Endpoint client;
  auto serverCert = makeCertificate();
  client.transport =
      std::make_unique<DtlsTransport>(makeCertificate(), DtlsRole::Client, "sha-256",
                                      serverCert->fingerprintSha256(), client.callbacks(), options);
  client->start();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!client.failure && std::chrono::steady_clock::now() < deadline) {
    auto timeout = client->nextTimeout();
    if (!timeout) break;
    if (timeout->count() > 0) std::this_thread::sleep_for(*timeout);
    client->onTimeout();
  }
  ASSERT_TRUE(client.failure);
  EXPECT_NE(client.failure->find("timed out"), std::string::npos) << *client.failure;
  EXPECT_GT(client.allSent.size(), 5u);
  EXPECT_TRUE(queueIsEmpty());
}

// ---------------------------------------------------------------------------------------------
// Robustness

TEST(DtlsTransport, GarbageBeforeDuringAndAfterTheHandshakeIsIgnored) {
  LinkedPair pair;
  // Capture a real record to derive truncated/corrupted variants from.
  pair.client->start();
  ASSERT_EQ(pair.client.outbox.size(), 1u);
  Bytes clientHello = pair.client.outbox[0];
  auto garbage = garbageDatagrams(clientHello);

  // Before: the server has not seen anything yet.
  for (const auto& g : garbage) pair.server->onDatagram(g.data(), g.size());
  EXPECT_FALSE(pair.server.failure);
  EXPECT_TRUE(pair.server.outbox.empty());

  // During: garbage follows every real datagram, in both directions.
  pair.shouldDrop = [&](Direction d, size_t, const Bytes&) {
    Endpoint& target = d == Direction::ClientToServer ? pair.server : pair.client;
    for (const auto& g : garbage) target->onDatagram(g.data(), g.size());
    return false;
  };
  ASSERT_TRUE(pair.runUntil([&] { return pair.bothConnected() || pair.anyFailed(); }));
  ASSERT_TRUE(pair.bothConnected()) << pair.client.failure.value_or("") << pair.server.failure.value_or("");
  pair.shouldDrop = nullptr;

  // After: garbage, a replayed ClientHello and a replayed handshake flight change nothing.
  for (Endpoint* e : {&pair.client, &pair.server}) {
    for (const auto& g : garbage) e->transport->onDatagram(g.data(), g.size());
  }
  pair.server->onDatagram(clientHello.data(), clientHello.size());
  for (const auto& d : pair.client.allSent) pair.server->onDatagram(d.data(), d.size());
  for (const auto& d : pair.server.allSent) pair.client->onDatagram(d.data(), d.size());
  pair.pump();
  EXPECT_TRUE(pair.client->connected());
  EXPECT_TRUE(pair.server->connected());
  EXPECT_FALSE(pair.anyFailed());
  EXPECT_TRUE(queueIsEmpty());

  // The DTLS session itself still works: close_notify goes through.
  pair.client->close();
  pair.pump();
  EXPECT_TRUE(pair.server.closed);
}

TEST(DtlsTransport, ForgedRecordsNeverBreakTheSessionNorAlertThePeer) {
  // Bit-flipped copies of each side's last flight (plaintext handshake records, CCS and the
  // encrypted Finished), plus encrypted records of every short length: none may end the
  // association, and none may make the receiver send an alert that would end the peer's.
  for (bool toServer : {true, false}) {
    LinkedPair pair;
    ASSERT_TRUE(pair.handshake());
    Endpoint& target = toServer ? pair.server : pair.client;
    Endpoint& peer = toServer ? pair.client : pair.server;
    const Bytes lastFlight = peer.allSent.back();
    for (size_t i = 0; i < lastFlight.size(); ++i) {
      for (uint8_t bit : {0x01, 0x80}) {
        Bytes corrupted = lastFlight;
        corrupted[i] ^= bit;
        target->onDatagram(corrupted.data(), corrupted.size());
      }
    }
    for (uint8_t type = 20; type <= 23; ++type) {
      for (uint16_t length = 0; length < 64; ++length) {
        Bytes record = recordHeader(type, 1, length);
        record[10] = static_cast<uint8_t>(100 + length);  // fresh sequence numbers
        for (uint16_t j = 0; j < length; ++j) record.push_back(static_cast<uint8_t>(j * 7));
        target->onDatagram(record.data(), record.size());
      }
    }
    EXPECT_TRUE(target.outbox.empty()) << "the receiver answered forged records";
    EXPECT_TRUE(target->connected());
    EXPECT_FALSE(target.failure);
    EXPECT_TRUE(queueIsEmpty());
    // The DTLS session itself still works both ways.
    target->close();
    pair.pump();
    EXPECT_TRUE(peer.closed) << (toServer ? "server" : "client") << " session broke";
  }
}

TEST(DtlsTransport, PlaintextHandshakeMessagesAfterTheHandshakeLeaveTheSessionIntact) {
  // Found by dtls_fuzz: this datagram (an epoch-0 fragment of a HelloRequest, as from a
  // DTLS 1.0 peer), given 100 times to an established server, went into OpenSSL's handshake
  // state, and the server's close_notify no longer reached the client.
  const Bytes fuzzFound = {
      0x16, 0xfe, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xa1, 0x00, 0x01, 0x59,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x95, 0xfe, 0xfd, 0xb2, 0x3f, 0x0f, 0x6c, 0xf1,
      0xb2, 0xef, 0x5c, 0x11, 0x35, 0x30, 0x05, 0x17, 0x36, 0xd7, 0x4f, 0x09, 0xbb, 0x3d, 0x20, 0x28,
      0xe7, 0x3f, 0xc3, 0x09, 0x47, 0x6e, 0xed, 0x3f, 0xec, 0xe5, 0x80, 0x00, 0x00, 0x00, 0x0d, 0x15,
      0xfe, 0xfd, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0e, 0x15, 0xfe,
      0xfd, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x33, 0x00, 0x15, 0x15, 0xee,
      0x15, 0xfe, 0xfd, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x10, 0x33, 0x33, 0x33,
      0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x6e, 0x33, 0x00, 0x24, 0x15,
      0xfe, 0xfd, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x17, 0x53, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x46, 0x00, 0x00, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x16, 0xc0, 0x2b, 0xc0, 0x2f,
      0xc0, 0x2c, 0xc0, 0x30, 0xcc, 0xa9, 0xcc, 0xa8, 0xc0, 0x09, 0xc0, 0x13, 0xc0, 0x0a};
  // The same with a ClientHello (a renegotiation nobody offered) and a ServerHello.
  Bytes clientHello = fuzzFound, serverHello = fuzzFound;
  clientHello[13] = 1;  // the handshake message type, after the record header
  serverHello[13] = 2;
  for (const Bytes& forged : {fuzzFound, clientHello, serverHello}) {
    LinkedPair pair;
    ASSERT_TRUE(pair.handshake());
    for (int i = 0; i < 100; ++i) pair.server->onDatagram(forged.data(), forged.size());
    pair.server->onTimeout();
    EXPECT_TRUE(pair.server.outbox.empty()) << "the server answered a forged handshake message";
    EXPECT_TRUE(pair.server->connected());
    pair.server->close();
    pair.pump();
    EXPECT_TRUE(pair.client.closed) << "handshake type " << int{forged[13]} << " broke the session";
  }
}

TEST(DtlsTransport, ClientIgnoresDatagramsBeforeStart) {
  LinkedPair pair;
  Bytes record = concat(recordHeader(22, 0, 12), Bytes(12, 0));
  pair.client->onDatagram(record.data(), record.size());
  EXPECT_TRUE(pair.client.outbox.empty());
  EXPECT_FALSE(pair.client.failure);
  EXPECT_EQ(pair.client->state(), DtlsTransport::State::New);
  ASSERT_TRUE(pair.handshake());
}

// ---------------------------------------------------------------------------------------------
// Close

TEST(DtlsTransport, CloseDeliversOnClosedToThePeer) {
  for (bool clientCloses : {true, false}) {
    LinkedPair pair;
    ASSERT_TRUE(pair.handshake());
    Endpoint& closer = clientCloses ? pair.client : pair.server;
    Endpoint& peer = clientCloses ? pair.server : pair.client;
    closer->close();
    EXPECT_FALSE(closer->connected());
    EXPECT_EQ(closer->state(), DtlsTransport::State::Closed);
    ASSERT_EQ(closer.outbox.size(), 1u);
    pair.pump();
    EXPECT_TRUE(peer.closed);
    EXPECT_FALSE(peer->connected());
    EXPECT_FALSE(closer.closed) << "onClosed reports the peer's close_notify, not our own close()";
    EXPECT_FALSE(peer.failure);
    EXPECT_FALSE(closer.failure);
    closer->close();  // idempotent
    EXPECT_TRUE(closer.outbox.empty());
  }
}

TEST(DtlsTransport, CloseBeforeConnectedSendsNothing) {
  LinkedPair pair;
  pair.client->start();
  pair.client.outbox.clear();
  pair.client->close();
  EXPECT_TRUE(pair.client.outbox.empty());
  EXPECT_FALSE(pair.client->nextTimeout());
  pair.client->onTimeout();
  EXPECT_TRUE(pair.client.outbox.empty());
}

TEST(DtlsTransport, CallbacksMayCloseTheTransport) {
  LinkedPair pair;
  pair.client.transport = std::make_unique<DtlsTransport>(pair.clientCertificate, DtlsRole::Client, "sha-256",
                                                          pair.serverCertificate->fingerprintSha256(), [&] {
                                                            auto cb = pair.client.callbacks();
                                                            cb.onConnected = [&](const DtlsKeys& keys) {
                                                              pair.client.keys = keys;
                                                              pair.client->close();
                                                            };
                                                            return cb;
                                                          }());
  ASSERT_TRUE(pair.handshake());
  pair.pump();
  EXPECT_TRUE(pair.server.closed);
}

TEST(DtlsTransport, CallbacksMayDestroyTheTransport) {
  // Each side drops its transport from inside a callback; nothing may touch it afterwards.
  LinkedPair pair;
  auto rebuild = [&](Endpoint& e, DtlsRole role, const std::shared_ptr<DtlsCertificate>& own,
                     const std::shared_ptr<DtlsCertificate>& remote, bool destroyOnFirstSend) {
    auto cb = e.callbacks();
    auto send = cb.sendDatagram;
    cb.sendDatagram = [&e, send, destroyOnFirstSend](const uint8_t* d, size_t n) {
      send(d, n);
      if (destroyOnFirstSend) e.transport.reset();
    };
    cb.onConnected = [&e](const DtlsKeys& keys) {
      e.keys = keys;
      e.transport.reset();
    };
    e.transport = std::make_unique<DtlsTransport>(own, role, "sha-256", remote->fingerprintSha256(), cb);
  };
  rebuild(pair.client, DtlsRole::Client, pair.clientCertificate, pair.serverCertificate, false);
  rebuild(pair.server, DtlsRole::Server, pair.serverCertificate, pair.clientCertificate, false);
  ASSERT_TRUE(pair.handshake());
  EXPECT_FALSE(pair.client.transport);
  EXPECT_FALSE(pair.server.transport);

  // Destroyed while sending the first of several datagrams of a flight.
  LinkedPair second;
  rebuild(second.server, DtlsRole::Server, second.serverCertificate, second.clientCertificate, true);
  second.client->start();
  second.pump();
  EXPECT_FALSE(second.server.transport);
  EXPECT_EQ(second.server.allSent.size(), 1u);
}

// ---------------------------------------------------------------------------------------------
// Release: OpenSSL's session freed once the peer holds the keys

TEST(DtlsTransport, ReleaseWaitsForTheHandshake) {
  LinkedPair pair;
  EXPECT_FALSE(pair.server->release());
  pair.client->start();
  pair.pump();
  ASSERT_TRUE(pair.client.keys);
  EXPECT_TRUE(pair.server->connected());
  EXPECT_TRUE(pair.server->release());
  EXPECT_TRUE(pair.server->released());
  EXPECT_TRUE(pair.server->releaseSettled());
  EXPECT_TRUE(pair.server->release());  // once is enough
  EXPECT_FALSE(pair.server->nextTimeout()) << "nothing left to retransmit";
  EXPECT_TRUE(pair.server.outbox.empty()) << "releasing sends nothing";
}

// Either side released, either side closing: the close_notify made at release is accepted by
// the peer, and the peer's close_notify is recognised (and answered) by the released side.
TEST(DtlsTransport, AReleasedSideClosesAndIsClosedAsBefore) {
  for (bool releaseServer : {true, false}) {
    for (bool releasedCloses : {true, false}) {
      SCOPED_TRACE(std::string(releaseServer ? "server" : "client") + " released, " +
                   (releasedCloses ? "it closes" : "its peer closes"));
      LinkedPair pair;
      ASSERT_TRUE(pair.handshake());
      Endpoint& released = releaseServer ? pair.server : pair.client;
      Endpoint& peer = releaseServer ? pair.client : pair.server;
      Endpoint& closer = releasedCloses ? released : peer;
      Endpoint& other = releasedCloses ? peer : released;
      ASSERT_TRUE(released->release());
      closer->close();
      ASSERT_EQ(closer.outbox.size(), 1u);
      pair.pump();
      EXPECT_TRUE(other.closed) << "the close_notify was not recognised";
      EXPECT_EQ(other->state(), DtlsTransport::State::Closed);
      EXPECT_FALSE(other.failure);
      EXPECT_FALSE(closer.failure);
      EXPECT_EQ(other.allSent.back()[0], 21) << "a close_notify answers the closer's";
      closer->close();  // idempotent
      EXPECT_TRUE(closer.outbox.empty());
    }
  }
}

TEST(DtlsTransport, AReleasedSideIgnoresForgedAlertsAndRepeatedFlights) {
  LinkedPair pair;
  ASSERT_TRUE(pair.handshake());
  const Bytes clientFinalFlight = pair.client.allSent.back();
  ASSERT_TRUE(pair.server->release());
  // The client's real close_notify, held back while its forgeries arrive first.
  pair.client->close();
  const Bytes closeNotify = pair.client.outbox.front();
  pair.client.outbox.clear();
  for (const Bytes& garbage : garbageDatagrams(closeNotify)) {
    if (garbage != closeNotify) pair.server->onDatagram(garbage.data(), garbage.size());  // one is whole
  }
  for (size_t i = 0; i < closeNotify.size(); ++i) {
    Bytes corrupted = closeNotify;
    corrupted[i] ^= 0x01;
    pair.server->onDatagram(corrupted.data(), corrupted.size());
  }
  for (int i = 0; i < 3; ++i) pair.server->onDatagram(clientFinalFlight.data(), clientFinalFlight.size());
  EXPECT_TRUE(pair.server->connected());
  EXPECT_FALSE(pair.server.closed);
  EXPECT_FALSE(pair.server.failure);
  EXPECT_TRUE(pair.server.outbox.empty()) << "a released side answers nothing but a genuine close_notify";
  pair.server->onDatagram(closeNotify.data(), closeNotify.size());
  EXPECT_TRUE(pair.server.closed);
}

// ---------------------------------------------------------------------------------------------
// Cross-checks against independent implementations

namespace {

// A DTLS server built with nothing but OpenSSL's standard API and memory BIOs.
struct PlainOpenSslServer {
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  BIO* in = nullptr;
  BIO* out = nullptr;

  explicit PlainOpenSslServer(const DtlsCertificate& certificate, const char* profiles) {
    ctx = SSL_CTX_new(DTLS_server_method());
    SSL_CTX_use_certificate(ctx, certificate.certificate());
    SSL_CTX_use_PrivateKey(ctx, certificate.privateKey());
    SSL_CTX_set_tlsext_use_srtp(ctx, profiles);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       [](int, X509_STORE_CTX*) { return 1; });
    ssl = SSL_new(ctx);
    in = BIO_new(BIO_s_mem());
    out = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(in, -1);
    BIO_set_mem_eof_return(out, -1);
    SSL_set_bio(ssl, in, out);
    SSL_set_accept_state(ssl);
  }
  ~PlainOpenSslServer() {
    SSL_free(ssl);
    SSL_CTX_free(ctx);
  }

  // Feeds one datagram and returns what the server wrote (as one blob of whole records).
  Bytes exchange(const Bytes& datagram) {
    BIO_write(in, datagram.data(), static_cast<int>(datagram.size()));
    SSL_do_handshake(ssl);
    ERR_clear_error();
    Bytes written(static_cast<size_t>(BIO_ctrl_pending(out)));
    if (!written.empty()) BIO_read(out, written.data(), static_cast<int>(written.size()));
    return written;
  }
};

srtp_t makeSrtp(srtp_ssrc_type_t direction, const Bytes& key, const Bytes& salt) {
  srtp_policy_t policy;
  std::memset(&policy, 0, sizeof(policy));
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
  Bytes master = concat(key, salt);
  policy.key = master.data();
  policy.ssrc.type = direction;
  policy.window_size = 128;
  srtp_t session = nullptr;
  EXPECT_EQ(srtp_create(&session, &policy), srtp_err_status_ok);
  return session;
}

}  // namespace

TEST(DtlsTransport, KeysMatchOpenSslExporterOnAPlainOpenSslPeer) {
  for (const char* profiles : {"SRTP_AEAD_AES_128_GCM", "SRTP_AES128_CM_SHA1_80"}) {
    auto clientCert = makeCertificate();
    auto serverCert = makeCertificate();
    PlainOpenSslServer server(*serverCert, profiles);
    Endpoint client;
    client.transport = std::make_unique<DtlsTransport>(clientCert, DtlsRole::Client, "sha-256",
                                                       serverCert->fingerprintSha256(), client.callbacks());
    client->start();
    for (int round = 0; round < 10 && !client.keys && !client.failure; ++round) {
      auto batch = std::move(client.outbox);
      client.outbox.clear();
      for (const auto& d : batch) {
        Bytes reply = server.exchange(d);
        if (!reply.empty()) client->onDatagram(reply.data(), reply.size());
      }
    }
    ASSERT_TRUE(client.keys) << client.failure.value_or("");
    ASSERT_EQ(SSL_is_init_finished(server.ssl), 1);

    bool gcm = std::string(profiles) == "SRTP_AEAD_AES_128_GCM";
    EXPECT_EQ(SSL_get_selected_srtp_profile(server.ssl)->id,
              static_cast<unsigned long>(gcm ? SRTP_AEAD_AES_128_GCM : SRTP_AES128_CM_SHA1_80));
    SrtpProfile profile = gcm ? SrtpProfile::AeadAes128Gcm : SrtpProfile::AesCm128HmacSha1_80;
    const size_t k = srtpKeyLength(profile), s = srtpSaltLength(profile);
    Bytes material(2 * (k + s));
    const char label[] = "EXTRACTOR-dtls_srtp";
    ASSERT_EQ(SSL_export_keying_material(server.ssl, material.data(), material.size(), label,
                                         sizeof(label) - 1, nullptr, 0, 0),
              1);
    auto at = [&](size_t offset, size_t length) {
      return Bytes(material.begin() + offset, material.begin() + offset + length);
    };
    EXPECT_EQ(client.keys->profile, profile);
    EXPECT_EQ(client.keys->localKey, at(0, k));            // client_write_SRTP_master_key
    EXPECT_EQ(client.keys->remoteKey, at(k, k));           // server_write_SRTP_master_key
    EXPECT_EQ(client.keys->localSalt, at(2 * k, s));       // client_write_SRTP_master_salt
    EXPECT_EQ(client.keys->remoteSalt, at(2 * k + s, s));  // server_write_SRTP_master_salt
  }
}

TEST(DtlsTransport, KeysInteroperateThroughLibsrtp) {
  // Once per process; a repeated srtp_init() reports an error although the library is usable.
  static const srtp_err_status_t initStatus = srtp_init();
  (void)initStatus;
  DtlsOptions cmOnly;  // this libsrtp build has no GCM
  cmOnly.srtpProfiles = "SRTP_AES128_CM_SHA1_80";
  LinkedPair pair(cmOnly, cmOnly);
  ASSERT_TRUE(pair.handshake());
  // Server -> client media: protected with the server's local keys, opened with the client's remote keys.
  srtp_t sender = makeSrtp(ssrc_any_outbound, pair.server.keys->localKey, pair.server.keys->localSalt);
  srtp_t receiver = makeSrtp(ssrc_any_inbound, pair.client.keys->remoteKey, pair.client.keys->remoteSalt);
  uint8_t packet[64 + SRTP_MAX_TRAILER_LEN] = {0x80, 96, 0x12, 0x34, 0, 0, 0x10, 0, 0xca, 0xfe, 0xba, 0xbe};
  for (int i = 12; i < 64; ++i) packet[i] = static_cast<uint8_t>(i);
  Bytes original(packet, packet + 64);
  int length = 64;
  ASSERT_EQ(srtp_protect(sender, packet, &length), srtp_err_status_ok);
  EXPECT_EQ(length, 64 + 10);
  ASSERT_EQ(srtp_unprotect(receiver, packet, &length), srtp_err_status_ok);
  EXPECT_EQ(Bytes(packet, packet + length), original);
  // The other direction's keys must not open it.
  srtp_t wrong = makeSrtp(ssrc_any_inbound, pair.client.keys->localKey, pair.client.keys->localSalt);
  length = 64;
  std::memcpy(packet, original.data(), 64);
  packet[3] = 0x35;  // next sequence number: the sender refuses to reuse one
  ASSERT_EQ(srtp_protect(sender, packet, &length), srtp_err_status_ok);
  EXPECT_NE(srtp_unprotect(wrong, packet, &length), srtp_err_status_ok);
  srtp_dealloc(sender);
  srtp_dealloc(receiver);
  srtp_dealloc(wrong);
}

// Writes the fuzz seed corpus (tests/fuzz/corpus/dtls_fuzz) from a real handshake when
// SLUICE_WRITE_DTLS_CORPUS names a directory; a no-op otherwise.
TEST(DtlsTransport, WritesFuzzCorpusOnRequest) {
  const char* dir = std::getenv("SLUICE_WRITE_DTLS_CORPUS");
  if (!dir) GTEST_SKIP() << "set SLUICE_WRITE_DTLS_CORPUS to regenerate the dtls_fuzz seeds";
  LinkedPair pair;
  ASSERT_TRUE(pair.handshake());
  auto write = [&](const std::string& name, const Bytes& data) {
    std::ofstream(std::filesystem::path(dir) / name, std::ios::binary)
        .write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  };
  write("client_hello", pair.client.allSent.at(0));
  // Framed forms understood by the fuzz target: a mode byte, then [u16 length][datagram]...
  auto framed = [&](uint8_t mode, const std::vector<Bytes>& datagrams) {
    Bytes out{mode};
    for (const auto& d : datagrams) {
      out.push_back(static_cast<uint8_t>(d.size() >> 8));
      out.push_back(static_cast<uint8_t>(d.size()));
      out.insert(out.end(), d.begin(), d.end());
    }
    return out;
  };
  write("fresh_server_client_flights", framed(0, pair.client.allSent));
  // Against a connected server these are foreign records: plaintext epoch 0 and an
  // encrypted epoch-1 Finished under other keys, then short encrypted records.
  write("connected_server_foreign_flight", framed(1, {pair.client.allSent.back()}));
  std::vector<Bytes> shortRecords;
  for (uint16_t length : {0, 1, 8, 15, 16, 23, 24, 25}) {
    Bytes record = recordHeader(21, 1, length);
    record.resize(record.size() + length, 0x33);
    shortRecords.push_back(record);
  }
  write("connected_server_short_records", framed(1, shortRecords));
}
