#pragma once
// One DTLS-SRTP association (RFC 5763/5764) driven entirely by the caller: datagrams in through
// onDatagram(), datagrams out through a callback, retransmission through nextTimeout()/onTimeout().
// It owns no socket and no timer, and is used from a single thread.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/Log.h"
#include "webrtc/DtlsCertificate.h"
#include "webrtc/DtlsRecordOpener.h"
#include "webrtc/SrtpProfile.h"

namespace sluice::webrtc {

enum class DtlsRole {
  Server,  // a=setup:passive: waits for the ClientHello
  Client,  // a=setup:active: sends the ClientHello
};

// SRTP master keys from the DTLS exporter ("EXTRACTOR-dtls_srtp"), already split by direction:
// local* protects what we send, remote* unprotects what the peer sends.
struct DtlsKeys {
  SrtpProfile profile = SrtpProfile::AeadAes128Gcm;
  std::vector<uint8_t> localKey, localSalt, remoteKey, remoteSalt;
};

struct DtlsOptions {
  // OpenSSL profile names in preference order (the server's order decides).
  std::string srtpProfiles = kDefaultSrtpProfiles;
  // Largest datagram we send; 1200 leaves room for IP/UDP/TURN headers on any path.
  size_t mtu = 1200;
  // First retransmission timeout, doubled on every retransmission up to the cap. OpenSSL
  // gives up after 12 retransmissions of one flight (about 40 s with these values).
  std::chrono::milliseconds initialRetransmitTimeout{400};
  std::chrono::milliseconds maxRetransmitTimeout{4000};
};

// RFC 7983 demultiplexing: a first byte in [20, 63] is DTLS.
inline bool looksLikeDtls(const uint8_t* data, size_t size) {
  return size > 0 && data[0] >= 20 && data[0] <= 63;
}

namespace detail {
// What the transport's BIO reads from and writes to: the datagram being delivered (borrowed
// from the caller for one onDatagram() call) and the datagrams OpenSSL wrote, in order.
struct DtlsDatagramBuffers {
  const uint8_t* incoming = nullptr;
  size_t incomingSize = 0;
  std::vector<std::vector<uint8_t>> outgoing;
};
}  // namespace detail

class DtlsTransport {
 public:
  struct Callbacks {
    std::function<void(const uint8_t*, size_t)> sendDatagram;
    std::function<void(const DtlsKeys&)> onConnected;
    std::function<void(std::string reason)> onFailed;
    std::function<void()> onClosed;  // close_notify from the peer
  };
  enum class State { New, Handshaking, Connected, Closed, Failed };

  // `remoteFingerprintAlgorithm`/`remoteFingerprintHex` as in the peer's SDP ("sha-256",
  // "AB:CD:..."). An invalid fingerprint or setup error is reported through onFailed by start().
  // Callbacks run at the end of the call that caused them; they may call back into the
  // transport or destroy it.
  DtlsTransport(std::shared_ptr<DtlsCertificate> certificate, DtlsRole role,
                std::string remoteFingerprintAlgorithm, const std::string& remoteFingerprintHex,
                Callbacks callbacks, DtlsOptions options = {});
  ~DtlsTransport();
  DtlsTransport(const DtlsTransport&) = delete;
  DtlsTransport& operator=(const DtlsTransport&) = delete;

  // Client: sends the ClientHello. Server: only arms the transport (the first datagram would too).
  void start();
  // One datagram from the peer. Malformed or unauthenticated input is dropped without
  // affecting the association.
  void onDatagram(const uint8_t* data, size_t size);
  // Time until onTimeout() is due (zero or less: now); nullopt while nothing awaits a reply.
  std::optional<std::chrono::milliseconds> nextTimeout() const;
  // Retransmits the last flight if its timer expired; fails the handshake after too many.
  void onTimeout();
  // Sends close_notify (if connected) and stops processing datagrams.
  void close();
  // Frees OpenSSL's session (tens of kilobytes that DTLS keeps for the association's life)
  // once the peer has shown it completed the handshake: it sent something protected with the
  // exported SRTP keys, so it will never again need our final flight retransmitted. What is
  // kept: a close_notify made now for close() (nothing else is sent at epoch 1 after the
  // handshake, so its sequence number stays the next), and the peer's record key, so that its
  // close_notify or fatal alert still ends the association and anything forged is dropped.
  // Returns false (and keeps the session) before the handshake completes or for a suite
  // DtlsRecordOpener does not handle (decided once; later calls return at once); true once
  // released.
  bool release();
  bool released() const { return peerRecords_.has_value(); }
  // Whether release() has decided, either way (the caller need not ask again).
  bool releaseSettled() const { return released() || keepsSession_; }

  bool connected() const { return state_ == State::Connected; }
  State state() const { return state_; }
  DtlsRole role() const { return role_; }

 private:
  // Runs the handshake or reads post-handshake records after new input or a timeout.
  void advance();
  void advanceHandshake();
  void readRecords();
  // The peer's records once released: only its authenticated alerts matter.
  void readReleasedRecords(const uint8_t* data, size_t size);
  void sendCloseNotify();  // once released: queues the kept close_notify, once
  void completeHandshake();
  void fail(std::string reason);
  // Runs the callbacks for what the last operation produced, in order: datagrams (one per
  // BIO write), then connected/failed/closed. Called last by every public operation.
  void deliverEvents();
  bool verifyPeerFingerprint(X509* peer) const;
  void logDropped(std::string_view what, std::string_view detail = {});
  std::string handshakeFailureReason(const std::string& opensslError) const;

  static int verifyCallback(int preverifyOk, X509_STORE_CTX* store);
  static unsigned int retransmitTimerCallback(SSL* ssl, unsigned int previousUs);
  static void infoCallback(const SSL* ssl, int where, int ret);

  std::shared_ptr<DtlsCertificate> certificate_;
  DtlsRole role_;
  Callbacks callbacks_;
  DtlsOptions options_;
  std::string remoteAlgorithm_;
  std::vector<uint8_t> remoteFingerprint_;
  State state_ = State::New;
  std::string setupError_;  // reported by start() when the constructor could not set up
  bool fingerprintMismatch_ = false;
  bool sessionUnusable_ = false;  // OpenSSL failed on a record after the handshake
  int receivedAlert_ = -1;        // (level << 8) | description of the last alert from the peer

  SSL* ssl_ = nullptr;                           // owned; null once released
  bool keepsSession_ = false;                    // release() found it cannot release
  std::optional<DtlsRecordOpener> peerRecords_;  // set: released (ssl_ freed)
  std::array<uint8_t, 64> closeNotify_{};        // once released: our close_notify datagram
  size_t closeNotifySize_ = 0;                   // 0: none (sent, or the session was unusable)
  detail::DtlsDatagramBuffers buffers_;
  std::optional<DtlsKeys> pendingKeys_;
  std::optional<std::string> pendingFailure_;
  bool pendingClosed_ = false;
  std::shared_ptr<const char> lifetime_ = std::make_shared<const char>('\0');  // expires with *this
  log::RateLimit dropLog_;
};

}  // namespace sluice::webrtc
