// module: webrtc
// Arbitrary datagrams into a server-role DtlsTransport. Input formats:
//   first byte 0x00: a fresh server gets the datagrams framed as [u16 big-endian length][bytes]...
//   first byte 0x01: same framing, given to a server that has completed a real handshake (one
//                    pair serves up to 100 inputs); it must stay connected, never answer with
//                    an alert, and its close_notify must still reach the client at the end.
//   first byte 0x02: as 0x01, but the server has released OpenSSL's session (release()), as a
//                    WHEP session does once the viewer's SRTCP arrives: its own record check
//                    and the pre-made close_notify face the input instead.
//   anything else:   the whole input is one datagram for a fresh server (e.g. a ClientHello).
// Timeouts are fired after the datagrams in every mode; fresh servers are closed.
#include <openssl/err.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "core/Log.h"
#include "webrtc/DtlsTransport.h"

using namespace sluice::webrtc;

namespace {

struct Fixture {
  std::shared_ptr<DtlsCertificate> clientCertificate, serverCertificate;
  Fixture() {
    sluice::log::setLevel(sluice::log::Level::Error);
    std::string error;
    clientCertificate = DtlsCertificate::generate(error);
    serverCertificate = DtlsCertificate::generate(error);
    if (!clientCertificate || !serverCertificate) {
      std::fprintf(stderr, "certificate generation failed: %s\n", error.c_str());
      std::abort();
    }
  }
};

const Fixture& fixture() {
  static Fixture f;
  return f;
}

struct Side {
  std::vector<std::vector<uint8_t>> outbox;
  bool connected = false, failed = false;
  DtlsTransport::Callbacks callbacks() {
    DtlsTransport::Callbacks cb;
    cb.sendDatagram = [this](const uint8_t* d, size_t n) { outbox.emplace_back(d, d + n); };
    cb.onConnected = [this](const DtlsKeys&) { connected = true; };
    cb.onFailed = [this](std::string) { failed = true; };
    cb.onClosed = [] {};
    return cb;
  }
};

bool containsAlert(const std::vector<uint8_t>& datagram) {
  for (size_t i = 0; i + 13 <= datagram.size();) {
    if (datagram[i] == 21) return true;
    i += 13 + ((size_t{datagram[i + 11]} << 8) | datagram[i + 12]);
  }
  return false;
}

std::vector<std::pair<const uint8_t*, size_t>> splitFramed(const uint8_t* data, size_t size) {
  std::vector<std::pair<const uint8_t*, size_t>> datagrams;
  size_t i = 1;
  while (i + 2 <= size) {
    size_t length = (size_t{data[i]} << 8) | data[i + 1];
    i += 2;
    length = std::min(length, size - i);
    datagrams.emplace_back(data + i, length);
    i += length;
  }
  return datagrams;
}

void runFreshServer(const std::vector<std::pair<const uint8_t*, size_t>>& datagrams) {
  const Fixture& f = fixture();
  Side server;
  DtlsTransport transport(f.serverCertificate, DtlsRole::Server, "sha-256",
                          f.clientCertificate->fingerprintSha256(), server.callbacks());
  transport.start();
  for (const auto& [d, n] : datagrams) transport.onDatagram(d, n);
  (void)transport.nextTimeout();
  transport.onTimeout();
  transport.close();
}

// A client/server pair that completed a real in-memory handshake. Handshakes dominate the
// cost, so one pair serves several inputs before it is replaced.
struct ConnectedPair {
  Side client, server;
  std::unique_ptr<DtlsTransport> clientTransport, serverTransport;
  int uses = 0;

  ConnectedPair() {
    const Fixture& f = fixture();
    clientTransport =
        std::make_unique<DtlsTransport>(f.clientCertificate, DtlsRole::Client, "sha-256",
                                        f.serverCertificate->fingerprintSha256(), client.callbacks());
    serverTransport =
        std::make_unique<DtlsTransport>(f.serverCertificate, DtlsRole::Server, "sha-256",
                                        f.clientCertificate->fingerprintSha256(), server.callbacks());
    clientTransport->start();
    for (int round = 0; round < 10 && !(client.connected && server.connected); ++round) {
      auto toServer = std::move(client.outbox);
      client.outbox.clear();
      for (auto& d : toServer) serverTransport->onDatagram(d.data(), d.size());
      auto toClient = std::move(server.outbox);
      server.outbox.clear();
      for (auto& d : toClient) clientTransport->onDatagram(d.data(), d.size());
    }
    if (!server.connected) {
      std::fprintf(stderr, "dtls_fuzz: in-memory handshake did not complete\n");
      std::abort();
    }
    server.outbox.clear();
  }
};

void runConnectedServer(const std::vector<std::pair<const uint8_t*, size_t>>& datagrams, bool released) {
  static std::unique_ptr<ConnectedPair> pairs[2];
  std::unique_ptr<ConnectedPair>& pair = pairs[released ? 1 : 0];
  if (!pair || ++pair->uses > 100) {
    pair = std::make_unique<ConnectedPair>();
    if (released && !pair->serverTransport->release()) {
      std::fprintf(stderr, "dtls_fuzz: the in-memory association could not be released\n");
      std::abort();
    }
  }
  DtlsTransport& server = *pair->serverTransport;
  for (const auto& [d, n] : datagrams) server.onDatagram(d, n);
  server.onTimeout();
  for (const auto& d : pair->server.outbox) {
    if (containsAlert(d)) {
      std::fprintf(stderr, "dtls_fuzz: forged input made the server send an alert\n");
      std::abort();
    }
  }
  pair->server.outbox.clear();
  if (!server.connected() || pair->server.failed) {
    std::fprintf(stderr, "dtls_fuzz: forged input ended an established association\n");
    std::abort();
  }
  // The session must still be usable: the client sees our close_notify.
  if (pair->uses == 100) {
    server.close();
    for (auto& d : pair->server.outbox) pair->clientTransport->onDatagram(d.data(), d.size());
    if (pair->clientTransport->connected()) {
      std::fprintf(stderr, "dtls_fuzz: the DTLS session stopped working after forged input\n");
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 0 && data[0] == 0x00) {
    runFreshServer(splitFramed(data, size));
  } else if (size > 0 && (data[0] == 0x01 || data[0] == 0x02)) {
    runConnectedServer(splitFramed(data, size), data[0] == 0x02);
  } else {
    runFreshServer({{data, size}});
  }
  if (ERR_peek_error() != 0) {
    std::fprintf(stderr, "dtls_fuzz: OpenSSL errors left on the thread's queue\n");
    std::abort();
  }
  return 0;
}
