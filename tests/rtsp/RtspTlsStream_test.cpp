// RtspTlsStream against an OpenSSL client on a socket pair: the handshake, requests and
// gathered writes both ways, a peer that stops reading (writes stop being taken, nothing is
// lost or repeated once it reads again), close_notify and a peer that speaks no TLS.
#include "rtsp/RtspTlsStream.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/error.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "core/TlsContext.h"

namespace sluice::rtsp {
namespace {

namespace asio = boost::asio;
using Wait = RtspTlsStream::Wait;

// A self-signed P-256 certificate and its key as PEM files in a fresh directory.
class PemPair {
 public:
  PemPair() {
    char pattern[] = "/tmp/sluice-rtsps-XXXXXX";
    dir_ = mkdtemp(pattern) ? pattern : "/tmp";
    cert = dir_ + "/server.crt";
    key = dir_ + "/server.key";
    EVP_PKEY* pkey = EVP_EC_gen("P-256");
    X509* x509 = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(x509), 1);
    X509_gmtime_adj(X509_getm_notBefore(x509), 0);
    X509_gmtime_adj(X509_getm_notAfter(x509), 3600);
    X509_set_pubkey(x509, pkey);
    X509_NAME* name = X509_get_subject_name(x509);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("sluice"), -1,
                               -1, 0);
    X509_set_issuer_name(x509, name);
    X509_sign(x509, pkey, EVP_sha256());
    FILE* f = std::fopen(cert.c_str(), "w");
    PEM_write_X509(f, x509);
    std::fclose(f);
    f = std::fopen(key.c_str(), "w");
    PEM_write_PrivateKey(f, pkey, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    X509_free(x509);
    EVP_PKEY_free(pkey);
  }
  ~PemPair() {
    std::remove(cert.c_str());
    std::remove(key.c_str());
    rmdir(dir_.c_str());
  }
  std::string cert, key;

 private:
  std::string dir_;
};

class RtspTlsStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    context_ = core::TlsContext::load(pems_.cert, pems_.key, error);
    ASSERT_TRUE(context_) << error;
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    serverFd_ = fds[0];
    clientFd_ = fds[1];
    for (int fd : fds) {
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
      const int size = 16 * 1024;
      setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    }
    boost::system::error_code ec;
    server_ = RtspTlsStream::create(context_, serverFd_, ec);
    ASSERT_TRUE(server_) << ec.message();
    clientContext_ = SSL_CTX_new(TLS_client_method());
    client_ = SSL_new(clientContext_);
    SSL_set_fd(client_, clientFd_);
    SSL_set_connect_state(client_);
  }
  void TearDown() override {
    server_.reset();
    SSL_free(client_);
    SSL_CTX_free(clientContext_);
    close(serverFd_);
    close(clientFd_);
  }

  // Both sides step until the handshake is done (bounded: the pair is in memory).
  void handshake() {
    bool serverDone = false, clientDone = false;
    for (int i = 0; i < 100 && !(serverDone && clientDone); ++i) {
      boost::system::error_code ec;
      if (!serverDone) {
        serverDone = server_->handshake(ec) == Wait::None;
        ASSERT_FALSE(ec) << ec.message();
      }
      if (!clientDone) {
        const int r = SSL_do_handshake(client_);
        clientDone = r == 1;
        if (!clientDone) {
          const int e = SSL_get_error(client_, r);
          ASSERT_TRUE(e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) << e;
        }
      }
    }
    ASSERT_TRUE(serverDone && clientDone);
  }

  // What the client can read now.
  std::string clientReads() {
    std::string out;
    char buf[8192];
    size_t n = 0;
    while (SSL_read_ex(client_, buf, sizeof buf, &n) == 1) out.append(buf, n);
    return out;
  }

  PemPair pems_;
  std::shared_ptr<core::TlsContext> context_;
  int serverFd_ = -1, clientFd_ = -1;
  std::unique_ptr<RtspTlsStream> server_;
  SSL_CTX* clientContext_ = nullptr;
  SSL* client_ = nullptr;
};

TEST_F(RtspTlsStreamTest, RequestsAndGatheredWritesCrossTheSession) {
  handshake();
  const std::string request = "OPTIONS rtsps://127.0.0.1/cam RTSP/1.0\r\nCSeq: 1\r\n\r\n";
  size_t written = 0;
  ASSERT_EQ(SSL_write_ex(client_, request.data(), request.size(), &written), 1);

  uint8_t buf[256];
  Wait wait = Wait::None;
  boost::system::error_code ec;
  const size_t n = server_->readSome(buf, sizeof buf, wait, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), n), request);
  // Nothing more: the server is told to wait for readability.
  EXPECT_EQ(server_->readSome(buf, sizeof buf, wait, ec), 0u);
  EXPECT_FALSE(ec);
  EXPECT_EQ(wait, Wait::Read);

  // A response and an interleaved packet in three buffers leave as one stream of bytes.
  const std::string response = "RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n";
  const uint8_t header[4] = {'$', 0, 0, 3};
  const uint8_t payload[3] = {1, 2, 3};
  const asio::const_buffer bufs[] = {asio::buffer(response), asio::buffer(header), asio::buffer(payload)};
  EXPECT_EQ(server_->writeSome(bufs, ec), response.size() + 7);
  EXPECT_FALSE(ec);
  EXPECT_FALSE(server_->pending());
  EXPECT_EQ(clientReads(), response + std::string("$\0\0\3\1\2\3", 7));
}

TEST_F(RtspTlsStreamTest, APeerThatStopsReadingStopsTheWritesAndLosesNothing) {
  handshake();
  // 1400-byte "packets" numbered by their first bytes, as a reader's backlog would leave.
  std::vector<uint8_t> packet(1400);
  uint64_t taken = 0, offered = 0;
  uint32_t sequence = 0;
  std::string expected;
  boost::system::error_code ec;
  // The client never reads: within a bounded number of calls the stream stops taking bytes.
  int calls = 0;
  for (; calls < 10000; ++calls) {
    for (size_t i = 0; i < packet.size(); ++i) packet[i] = static_cast<uint8_t>(sequence + i);
    const asio::const_buffer b = asio::buffer(packet);
    const size_t n = server_->writeSome(std::span<const asio::const_buffer>(&b, 1), ec);
    if (ec == asio::error::would_block) break;
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_GT(n, 0u);
    expected.append(reinterpret_cast<const char*>(packet.data()), n);
    taken += n;
    offered += packet.size();
    ++sequence;
  }
  ASSERT_LT(calls, 10000) << "the stream kept taking bytes from a peer that reads nothing";
  EXPECT_TRUE(server_->pending());
  EXPECT_FALSE(server_->drain(ec));
  EXPECT_FALSE(ec);
  // Bounded: the socket pair's buffers plus one staged record.
  EXPECT_LT(taken, 1024u * 1024u);

  // The client reads again: the staged record leaves, and the bytes are the ones taken, in order.
  std::string received;
  for (int i = 0; i < 1000 && (server_->pending() || received.size() < expected.size()); ++i) {
    received += clientReads();
    server_->drain(ec);
    ASSERT_FALSE(ec) << ec.message();
  }
  EXPECT_FALSE(server_->pending());
  ASSERT_EQ(received.size(), expected.size());
  EXPECT_TRUE(received == expected);
}

TEST_F(RtspTlsStreamTest, CloseNotifyIsTheEndOfTheStream) {
  handshake();
  SSL_shutdown(client_);
  uint8_t buf[64];
  Wait wait = Wait::None;
  boost::system::error_code ec;
  EXPECT_EQ(server_->readSome(buf, sizeof buf, wait, ec), 0u);
  EXPECT_EQ(ec, asio::error::eof);
  server_->shutdown();  // after the peer's close_notify: answers it, never blocks
}

TEST_F(RtspTlsStreamTest, APlainRtspClientFailsTheHandshake) {
  const std::string request = "OPTIONS rtsp://127.0.0.1/cam RTSP/1.0\r\nCSeq: 1\r\n\r\n";
  ASSERT_EQ(write(clientFd_, request.data(), request.size()), static_cast<ssize_t>(request.size()));
  boost::system::error_code ec;
  EXPECT_EQ(server_->handshake(ec), Wait::None);
  ASSERT_TRUE(ec);
  EXPECT_EQ(ec.category(), asio::error::get_ssl_category()) << ec.message();
  server_->shutdown();  // a broken session sends nothing
}

}  // namespace
}  // namespace sluice::rtsp
