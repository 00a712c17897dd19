// DtlsTransport against a real, independent DTLS peer: the openssl command-line tool over UDP
// on localhost. The keys it prints (-keymatexport) must equal what the transport exported.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/pem.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "webrtc/DtlsTransport.h"

using namespace sluice::webrtc;
using Bytes = std::vector<uint8_t>;

namespace {

constexpr const char* kOpenSsl = "/usr/bin/openssl";

// A child process with its stdin held open (s_server/s_client quit on EOF) and its
// stdout+stderr collected.
class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& argv) {
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(in[0], STDIN_FILENO);
      dup2(out[1], STDOUT_FILENO);
      dup2(out[1], STDERR_FILENO);
      close(in[1]);
      close(out[0]);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    stdin_ = in[1];
    stdout_ = out[0];
    fcntl(stdout_, F_SETFL, O_NONBLOCK);
  }
  ~ChildProcess() {
    if (stdin_ >= 0) close(stdin_);
    if (stdout_ >= 0) close(stdout_);
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool running() const { return pid_ > 0; }
  void type(const std::string& text) {
    if (stdin_ >= 0 && ::write(stdin_, text.data(), text.size()) < 0) perror("write to child");
  }
  // Appends whatever the child printed so far.
  const std::string& output() {
    char buf[4096];
    for (;;) {
      ssize_t n = read(stdout_, buf, sizeof(buf));
      if (n <= 0) break;
      output_.append(buf, static_cast<size_t>(n));
    }
    return output_;
  }
  // True if the child exited by itself within `wait`.
  bool exitsWithin(std::chrono::milliseconds wait) {
    auto deadline = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < deadline) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return true;
      }
      usleep(10000);
    }
    return false;
  }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1, stdout_ = -1;
  std::string output_;
};

struct UdpSocket {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in local{};
  std::optional<sockaddr_in> peer;
  UdpSocket() {
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local));
    socklen_t length = sizeof(local);
    getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length);
  }
  ~UdpSocket() { close(fd); }
  uint16_t port() const { return ntohs(local.sin_port); }
  void send(const uint8_t* data, size_t size) {
    if (peer) sendto(fd, data, size, 0, reinterpret_cast<const sockaddr*>(&*peer), sizeof(*peer));
  }
  std::optional<Bytes> receive(int timeoutMs) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, timeoutMs) <= 0) return std::nullopt;
    Bytes buf(65536);
    sockaddr_in from{};
    socklen_t length = sizeof(from);
    ssize_t n = recvfrom(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &length);
    if (n < 0) return std::nullopt;
    if (!peer) peer = from;  // the server side learns its peer from the first datagram
    buf.resize(static_cast<size_t>(n));
    return buf;
  }
};

uint16_t unusedUdpPort() {
  UdpSocket probe;
  return probe.port();
}

struct PemFiles {
  std::filesystem::path dir, certificate, key;
  explicit PemFiles(const DtlsCertificate& identity) {
    char pattern[] = "/tmp/sluice-dtls-XXXXXX";
    dir = mkdtemp(pattern);
    certificate = dir / "cert.pem";
    key = dir / "key.pem";
    FILE* f = fopen(certificate.c_str(), "w");
    PEM_write_X509(f, identity.certificate());
    fclose(f);
    f = fopen(key.c_str(), "w");
    PEM_write_PrivateKey(f, identity.privateKey(), nullptr, nullptr, 0, nullptr, nullptr);
    fclose(f);
  }
  ~PemFiles() { std::filesystem::remove_all(dir); }
};

Bytes fromHex(const std::string& hex) {
  Bytes out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

Bytes concat(const Bytes& a, const Bytes& b) {
  Bytes out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

struct Outcome {
  std::optional<DtlsKeys> keys;
  std::optional<std::string> failure;
  bool closed = false;
};

DtlsTransport::Callbacks callbacksFor(UdpSocket& socket, Outcome& outcome) {
  DtlsTransport::Callbacks cb;
  cb.sendDatagram = [&socket](const uint8_t* d, size_t n) { socket.send(d, n); };
  cb.onConnected = [&outcome](const DtlsKeys& keys) { outcome.keys = keys; };
  cb.onFailed = [&outcome](std::string reason) { outcome.failure = std::move(reason); };
  cb.onClosed = [&outcome] { outcome.closed = true; };
  return cb;
}

// Drives the transport from the socket until `done` or ten seconds pass.
bool drive(DtlsTransport& transport, UdpSocket& socket, const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    if (auto datagram = socket.receive(10)) transport.onDatagram(datagram->data(), datagram->size());
    auto timeout = transport.nextTimeout();
    if (timeout && timeout->count() <= 0) transport.onTimeout();
  }
  return done();
}

// The exporter output: "Keying material: <hex>" once the handshake is complete.
std::optional<Bytes> printedKeyingMaterial(const std::string& output) {
  std::smatch m;
  static const std::regex pattern("Keying material: ([0-9A-F]+)\n");
  if (!std::regex_search(output, m, pattern)) return std::nullopt;
  return fromHex(m[1]);
}

bool haveOpenSslTool() { return access(kOpenSsl, X_OK) == 0; }

// Our server transport on a loopback socket and `openssl s_client` connecting to it with its
// own certificate plus `clientArgs`. `announced`: the client certificate our server expects
// (the SDP's fingerprint); by default the one s_client presents.
struct OurServerAndSClient {
  std::string error;
  std::shared_ptr<DtlsCertificate> ours = DtlsCertificate::generate(error);
  std::shared_ptr<DtlsCertificate> theirs = DtlsCertificate::generate(error);
  PemFiles pem{*theirs};
  UdpSocket socket;
  Outcome outcome;
  std::unique_ptr<DtlsTransport> server;
  std::unique_ptr<ChildProcess> client;

  explicit OurServerAndSClient(const std::vector<std::string>& clientArgs,
                               std::shared_ptr<DtlsCertificate> announced = nullptr) {
    server = std::make_unique<DtlsTransport>(ours, DtlsRole::Server, "sha-256",
                                             (announced ? announced : theirs)->fingerprintSha256(),
                                             callbacksFor(socket, outcome));
    server->start();
    std::vector<std::string> argv = {
        kOpenSsl, "s_client",      "-dtls1_2", "-connect", "127.0.0.1:" + std::to_string(socket.port()),
        "-cert",  pem.certificate, "-key",     pem.key};
    argv.insert(argv.end(), clientArgs.begin(), clientArgs.end());
    client = std::make_unique<ChildProcess>(argv);
  }
  bool drive(const std::function<bool()>& done) { return ::drive(*server, socket, done); }
};

}  // namespace

TEST(DtlsInterop, OurClientAgainstOpenSslServer) {
  if (!haveOpenSslTool()) GTEST_SKIP() << kOpenSsl << " not installed";
  std::string error;
  auto ours = DtlsCertificate::generate(error);
  auto theirs = DtlsCertificate::generate(error);
  ASSERT_TRUE(ours && theirs) << error;
  PemFiles pem(*theirs);
  uint16_t port = unusedUdpPort();
  ChildProcess server({kOpenSsl, "s_server", "-dtls1_2", "-accept", "127.0.0.1:" + std::to_string(port),
                       "-cert", pem.certificate, "-key", pem.key, "-verify", "1", "-use_srtp",
                       "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80", "-keymatexport", "EXTRACTOR-dtls_srtp",
                       "-keymatexportlen", "56"});
  ASSERT_TRUE(server.running());
  auto ready = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (server.output().find("ACCEPT") == std::string::npos && std::chrono::steady_clock::now() < ready)
    usleep(10000);
  ASSERT_NE(server.output().find("ACCEPT"), std::string::npos) << server.output();

  UdpSocket socket;
  socket.peer = sockaddr_in{};
  socket.peer->sin_family = AF_INET;
  socket.peer->sin_port = htons(port);
  socket.peer->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  Outcome outcome;
  DtlsTransport client(ours, DtlsRole::Client, "sha-256", theirs->fingerprintSha256(),
                       callbacksFor(socket, outcome));
  client.start();
  std::optional<Bytes> material;
  ASSERT_TRUE(drive(client, socket, [&] {
    material = printedKeyingMaterial(server.output());
    return outcome.failure || (outcome.keys && material);
  })) << server.output();
  ASSERT_FALSE(outcome.failure) << *outcome.failure << "\n" << server.output();
  ASSERT_TRUE(outcome.keys);
  EXPECT_NE(server.output().find("SRTP Extension negotiated, profile=SRTP_AEAD_AES_128_GCM"),
            std::string::npos);
  EXPECT_NE(server.output().find("Client certificate"), std::string::npos)
      << "we must present our certificate";
  ASSERT_EQ(material->size(), 56u);
  const DtlsKeys& keys = *outcome.keys;
  EXPECT_EQ(keys.profile, SrtpProfile::AeadAes128Gcm);
  EXPECT_EQ(concat(concat(keys.localKey, keys.remoteKey), concat(keys.localSalt, keys.remoteSalt)),
            *material);
  client.close();
}

TEST(DtlsInterop, OpenSslClientAgainstOurServer) {
  if (!haveOpenSslTool()) GTEST_SKIP() << kOpenSsl << " not installed";
  OurServerAndSClient t({"-use_srtp", "SRTP_AES128_CM_SHA1_80", "-keymatexport", "EXTRACTOR-dtls_srtp",
                         "-keymatexportlen", "60"});
  ASSERT_TRUE(t.ours && t.theirs) << t.error;
  ASSERT_TRUE(t.client->running());
  std::optional<Bytes> material;
  ASSERT_TRUE(t.drive([&] {
    material = printedKeyingMaterial(t.client->output());
    return t.outcome.failure || (t.outcome.keys && material);
  })) << t.client->output();
  ASSERT_FALSE(t.outcome.failure) << *t.outcome.failure << "\n" << t.client->output();
  EXPECT_NE(t.client->output().find("SRTP Extension negotiated, profile=SRTP_AES128_CM_SHA1_80"),
            std::string::npos);
  ASSERT_EQ(material->size(), 60u);
  const DtlsKeys& keys = *t.outcome.keys;
  EXPECT_EQ(keys.profile, SrtpProfile::AesCm128HmacSha1_80);
  // Our local (server) key comes second in the exporter output, after the client's.
  EXPECT_EQ(concat(concat(keys.remoteKey, keys.localKey), concat(keys.remoteSalt, keys.localSalt)),
            *material);

  // Our close_notify ends s_client's session, which then exits.
  t.server->close();
  EXPECT_TRUE(t.client->exitsWithin(std::chrono::seconds(5))) << t.client->output();
}

TEST(DtlsInterop, OpenSslClientWithUnexpectedCertificateIsRejected) {
  if (!haveOpenSslTool()) GTEST_SKIP() << kOpenSsl << " not installed";
  std::string error;
  auto announced = DtlsCertificate::generate(error);  // what the (forged) SDP claimed
  ASSERT_TRUE(announced) << error;
  OurServerAndSClient t({"-use_srtp", "SRTP_AES128_CM_SHA1_80"}, announced);
  ASSERT_TRUE(t.ours && t.theirs) << t.error;
  ASSERT_TRUE(t.drive([&] { return t.outcome.failure || t.outcome.keys; })) << t.client->output();
  EXPECT_EQ(t.outcome.failure.value_or(""), "fingerprint mismatch");
  EXPECT_FALSE(t.outcome.keys);
  // The alert we sent makes s_client give up.
  EXPECT_TRUE(t.client->exitsWithin(std::chrono::seconds(5))) << t.client->output();
  EXPECT_NE(t.client->output().find("alert bad certificate"), std::string::npos) << t.client->output();
}

// A server that has released OpenSSL's session (as a WHEP session does once the viewer's first
// SRTCP arrives) against s_client, for each kind of suite: AEAD suites are released, their
// key expansion must match OpenSSL's (the client's close_notify is recognised, ours accepted);
// a CBC suite keeps its session and closes as before.
TEST(DtlsInterop, ReleasedServerClosesWithOpenSslClientOnEverySuite) {
  if (!haveOpenSslTool()) GTEST_SKIP() << kOpenSsl << " not installed";
  struct Case {
    const char* cipher;
    bool releasable;
  };
  for (Case c : {Case{"ECDHE-ECDSA-AES128-GCM-SHA256", true}, Case{"ECDHE-ECDSA-AES256-GCM-SHA384", true},
                 Case{"ECDHE-ECDSA-CHACHA20-POLY1305", true}, Case{"ECDHE-ECDSA-AES128-SHA", false}}) {
    for (bool clientCloses : {true, false}) {
      SCOPED_TRACE(std::string(c.cipher) + (clientCloses ? ", s_client closes" : ", we close"));
      OurServerAndSClient t({"-cipher", c.cipher, "-use_srtp", "SRTP_AEAD_AES_128_GCM"});
      ASSERT_TRUE(t.ours && t.theirs) << t.error;
      ASSERT_TRUE(t.client->running());
      ASSERT_TRUE(t.drive([&] {
        return t.outcome.failure ||
               (t.outcome.keys && t.client->output().find("Verify return code") != std::string::npos);
      })) << t.client->output();
      ASSERT_FALSE(t.outcome.failure) << *t.outcome.failure;
      EXPECT_NE(t.client->output().find(std::string("Cipher is ") + c.cipher), std::string::npos)
          << t.client->output();
      EXPECT_EQ(t.server->release(), c.releasable);
      EXPECT_EQ(t.server->released(), c.releasable);
      EXPECT_TRUE(t.server->releaseSettled()) << "decided either way";
      if (clientCloses) {
        t.client->type("Q\n");  // s_client sends close_notify and exits
        ASSERT_TRUE(t.drive([&] { return t.outcome.closed || t.outcome.failure.has_value(); }))
            << t.client->output();
        EXPECT_TRUE(t.outcome.closed);
        EXPECT_FALSE(t.outcome.failure);
      } else {
        t.server->close();
        EXPECT_TRUE(t.client->exitsWithin(std::chrono::seconds(5))) << t.client->output();
      }
    }
  }
}
