#include "webrtc/DtlsTransport.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/srtp.h>

#include <algorithm>
#include <cstring>
#include <utility>

namespace sluice::webrtc {
namespace {

constexpr char kExporterLabel[] = "EXTRACTOR-dtls_srtp";  // RFC 5764 section 4.2
constexpr size_t kRecordHeaderLength = 13;
constexpr size_t kHandshakeHeaderLength = 12;
constexpr size_t kMaxRecordLength = 16384 + 2048;  // largest DTLSCiphertext fragment
constexpr uint8_t kChangeCipherSpec = 20, kAlert = 21, kHandshake = 22, kApplicationData = 23;

uint32_t readUint24(const uint8_t* p) { return (uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | p[2]; }

// Plaintext (epoch 0) handshake fragments must lie within their message, as OpenSSL would
// otherwise abort the handshake on them.
bool plaintextHandshakeFragmentsValid(const uint8_t* p, size_t n) {
  while (n > 0) {
    if (n < kHandshakeHeaderLength) return false;
    uint32_t messageLength = readUint24(p + 1);
    uint32_t fragmentOffset = readUint24(p + 6);
    uint32_t fragmentLength = readUint24(p + 9);
    if (fragmentLength > n - kHandshakeHeaderLength ||
        uint64_t{fragmentOffset} + fragmentLength > messageLength) {
      return false;
    }
    p += kHandshakeHeaderLength + fragmentLength;
    n -= kHandshakeHeaderLength + fragmentLength;
  }
  return true;
}

// Handshake message types a client repeats in its final flight (RFC 6347 section 4.2.4).
// `p` holds n bytes of fragments already checked by plaintextHandshakeFragmentsValid.
bool onlyFinalClientFlightMessages(const uint8_t* p, size_t n) {
  constexpr uint8_t kCertificate = 11, kCertificateVerify = 15, kClientKeyExchange = 16;
  if (n == 0) return false;
  while (n > 0) {
    const uint8_t type = p[0];
    if (type != kCertificate && type != kCertificateVerify && type != kClientKeyExchange) return false;
    const size_t fragment = kHandshakeHeaderLength + readUint24(p + 9);
    p += fragment;
    n -= fragment;
  }
  return true;
}

// Smallest encrypted record OpenSSL decrypts without a fatal error under `cipher`; 0 if the
// cipher is not negotiated yet. OpenSSL 3.0 answers a shorter record with an internal_error
// alert that ends the association for both peers (e.g. an AES-GCM record under 24 bytes).
size_t minimumEncryptedRecordLength(const SSL_CIPHER* cipher) {
  if (!cipher) return 0;
  constexpr size_t kAeadTag = 16, kGcmExplicitNonce = 8;
  int cipherNid = SSL_CIPHER_get_cipher_nid(cipher);
  if (cipherNid == NID_chacha20_poly1305) return kAeadTag;
  if (SSL_CIPHER_is_aead(cipher)) return kGcmExplicitNonce + kAeadTag;
  // CBC + HMAC: explicit IV, then whole blocks holding at least the MAC and a padding byte.
  const EVP_CIPHER* evpCipher = EVP_get_cipherbynid(cipherNid);
  const EVP_MD* digest = EVP_get_digestbynid(SSL_CIPHER_get_digest_nid(cipher));
  if (!evpCipher || !digest) return 64;
  size_t block = static_cast<size_t>(std::max(1, EVP_CIPHER_get_block_size(evpCipher)));
  size_t iv = static_cast<size_t>(std::max(0, EVP_CIPHER_get_iv_length(evpCipher)));
  size_t mac = static_cast<size_t>(std::max(0, EVP_MD_get_size(digest)));
  return iv + (mac + 1 + block - 1) / block * block;
}

// Whether a datagram is a sequence of complete DTLS records that OpenSSL can take without
// risk. OpenSSL silently drops most bad records, but some unauthenticated ones are fatal to
// the session (and make it send a fatal alert that kills the peer's side too): unknown content
// types, plaintext application data, malformed plaintext handshake/CCS/alert records, and
// encrypted records too short for the cipher. Those are filtered here. `minEncryptedLength`
// is 0 while no cipher is negotiated, when no encrypted record can be genuine. Once the
// association is `established`, the only plaintext handshake messages a genuine client still
// sends are the repeats of its final flight (Certificate, ClientKeyExchange,
// CertificateVerify) when our Finished was lost; anything else (a ClientHello, a HelloRequest)
// is a forgery that OpenSSL would take into its handshake state, after which its close_notify
// no longer reaches the peer. Those are dropped too.
bool isAcceptableDatagram(const uint8_t* p, size_t n, size_t minEncryptedLength, bool established,
                          const char*& why) {
  if (n < kRecordHeaderLength) {
    why = "datagram shorter than a DTLS record header";
    return false;
  }
  while (n > 0) {
    if (n < kRecordHeaderLength) {
      why = "truncated DTLS record header";
      return false;
    }
    uint8_t type = p[0];
    uint16_t epoch = static_cast<uint16_t>((p[3] << 8) | p[4]);
    size_t length = (size_t{p[11]} << 8) | p[12];
    const uint8_t* body = p + kRecordHeaderLength;
    if (type < kChangeCipherSpec || type > kApplicationData) {
      why = "unknown DTLS content type";
      return false;
    }
    if (p[1] != 0xfe || (p[2] != 0xff && p[2] != 0xfd)) {
      why = "not a DTLS 1.0/1.2 record";
      return false;
    }
    if (length > kMaxRecordLength || length > n - kRecordHeaderLength) {
      why = "truncated DTLS record";
      return false;
    }
    if (epoch > 1) {
      why = "record from an unknown epoch";  // no renegotiation, so only epochs 0 and 1 exist
      return false;
    }
    if (epoch == 1 && length < minEncryptedLength) {
      why = minEncryptedLength == 0 ? "encrypted record before a cipher was negotiated"
                                    : "encrypted record too short";
      return false;
    }
    if (epoch == 0) {
      bool valid = true;
      switch (type) {
        case kApplicationData:
          valid = false;
          break;  // only ever sent encrypted
        case kChangeCipherSpec:
          valid = length == 1 && body[0] == 1;
          break;
        case kAlert:
          valid = length == 2 && (body[0] == 1 || body[0] == 2);
          break;
        case kHandshake:
          valid = plaintextHandshakeFragmentsValid(body, length);
          if (valid && established && !onlyFinalClientFlightMessages(body, length)) {
            why = "plaintext handshake message on an established association";
            return false;
          }
          break;
      }
      if (!valid) {
        why = "malformed plaintext record";
        return false;
      }
    }
    p += kRecordHeaderLength + length;
    n -= kRecordHeaderLength + length;
  }
  return true;
}

// Parses "AB:CD:..." (any case, colons optional) into bytes; empty on malformed text.
std::vector<uint8_t> parseFingerprintHex(const std::string& text) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::vector<uint8_t> bytes;
  size_t i = 0;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  size_t end = text.size();
  while (end > i && (text[end - 1] == ' ' || text[end - 1] == '\t' || text[end - 1] == '\r')) --end;
  while (i < end) {
    if (!bytes.empty()) {
      if (text[i] == ':') ++i;
      if (i >= end) return {};
    }
    if (i + 1 >= end) return {};
    int high = nibble(text[i]), low = nibble(text[i + 1]);
    if (high < 0 || low < 0) return {};
    bytes.push_back(static_cast<uint8_t>(high << 4 | low));
    i += 2;
  }
  return bytes;
}

// The custom BIO gives OpenSSL datagram semantics over caller-owned buffers: one read returns
// exactly the current datagram, and each write (OpenSSL writes one datagram at a time) is
// queued as its own datagram, so a flight is never glued into one oversized packet.
using detail::DtlsDatagramBuffers;

int datagramBioWrite(BIO* bio, const char* data, int length) {
  BIO_clear_retry_flags(bio);
  auto* buffers = static_cast<DtlsDatagramBuffers*>(BIO_get_data(bio));
  if (length <= 0 || !buffers) return 0;
  auto* bytes = reinterpret_cast<const uint8_t*>(data);
  buffers->outgoing.emplace_back(bytes, bytes + length);
  return length;
}

int datagramBioRead(BIO* bio, char* out, int capacity) {
  BIO_clear_retry_flags(bio);
  auto* buffers = static_cast<DtlsDatagramBuffers*>(BIO_get_data(bio));
  if (!buffers || !buffers->incoming || capacity <= 0) {
    BIO_set_retry_read(bio);
    return -1;
  }
  // Like recvfrom(): a datagram larger than the buffer is truncated.
  size_t n = std::min(buffers->incomingSize, static_cast<size_t>(capacity));
  std::memcpy(out, buffers->incoming, n);
  buffers->incoming = nullptr;
  buffers->incomingSize = 0;
  return static_cast<int>(n);
}

long datagramBioCtrl(BIO* bio, int command, long /*number*/, void* /*pointer*/) {
  auto* buffers = static_cast<DtlsDatagramBuffers*>(BIO_get_data(bio));
  switch (command) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_PENDING:
      return buffers && buffers->incoming ? static_cast<long>(buffers->incomingSize) : 0;
    default:
      return 0;  // includes BIO_CTRL_DGRAM_GET_MTU_OVERHEAD: the MTU we set is the payload
  }
}

int datagramBioCreate(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

const BIO_METHOD* datagramBioMethod() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "sluice DTLS datagram");
    if (m) {
      BIO_meth_set_write(m, datagramBioWrite);
      BIO_meth_set_read(m, datagramBioRead);
      BIO_meth_set_ctrl(m, datagramBioCtrl);
      BIO_meth_set_create(m, datagramBioCreate);
    }
    return m;
  }();
  return method;
}

const char* roleName(DtlsRole role) { return role == DtlsRole::Server ? "server" : "client"; }

}  // namespace

DtlsTransport::DtlsTransport(std::shared_ptr<DtlsCertificate> certificate, DtlsRole role,
                             std::string remoteFingerprintAlgorithm, const std::string& remoteFingerprintHex,
                             Callbacks callbacks, DtlsOptions options)
    : certificate_(std::move(certificate)),
      role_(role),
      callbacks_(std::move(callbacks)),
      options_(std::move(options)),
      remoteAlgorithm_(std::move(remoteFingerprintAlgorithm)) {
  ERR_clear_error();
  if (!certificate_ || !certificate_->sslContext()) {
    setupError_ = "no local DTLS certificate";
    return;
  }
  // Our own certificate tells whether the algorithm is supported and how long its digest is.
  std::vector<uint8_t> ownDigest =
      parseFingerprintHex(certificateFingerprint(certificate_->certificate(), remoteAlgorithm_));
  if (ownDigest.empty()) {
    setupError_ = "unsupported fingerprint algorithm '" + remoteAlgorithm_ + "'";
    return;
  }
  remoteFingerprint_ = parseFingerprintHex(remoteFingerprintHex);
  if (remoteFingerprint_.size() != ownDigest.size()) {
    setupError_ = "malformed remote " + remoteAlgorithm_ + " fingerprint";
    return;
  }

  ssl_ = SSL_new(certificate_->sslContext());
  BIO* bio = datagramBioMethod() ? BIO_new(datagramBioMethod()) : nullptr;
  if (!ssl_ || !bio) {
    BIO_free(bio);
    setupError_ = "cannot create the DTLS session: " + takeOpenSslError();
    return;
  }
  BIO_set_data(bio, &buffers_);
  SSL_set_bio(ssl_, bio, bio);  // one reference, owned by ssl_
  SSL_set_app_data(ssl_, this);
  SSL_set_options(ssl_, SSL_OP_NO_QUERY_MTU);
  if (!DTLS_set_link_mtu(ssl_, static_cast<long>(options_.mtu))) {
    setupError_ = "DTLS MTU " + std::to_string(options_.mtu) + " is too small";
    return;
  }
  // Returns 0 on success, unlike the rest of the API.
  if (SSL_set_tlsext_use_srtp(ssl_, options_.srtpProfiles.c_str()) != 0) {
    setupError_ = "invalid SRTP profile list '" + options_.srtpProfiles + "'";
    return;
  }
  SSL_set_verify(ssl_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, &DtlsTransport::verifyCallback);
  DTLS_set_timer_cb(ssl_, &DtlsTransport::retransmitTimerCallback);
  SSL_set_info_callback(ssl_, &DtlsTransport::infoCallback);
  if (role_ == DtlsRole::Client) {
    SSL_set_connect_state(ssl_);
  } else {
    SSL_set_accept_state(ssl_);
  }
  ERR_clear_error();
}

DtlsTransport::~DtlsTransport() {
  if (ssl_) SSL_free(ssl_);
  ERR_clear_error();
}

void DtlsTransport::start() {
  if (state_ != State::New) return;
  if (!setupError_.empty()) {
    fail(setupError_);
  } else {
    state_ = State::Handshaking;
    if (role_ == DtlsRole::Client) advance();
  }
  deliverEvents();
}

void DtlsTransport::onDatagram(const uint8_t* data, size_t size) {
  if (state_ == State::New) {
    if (role_ == DtlsRole::Client) {
      logDropped("datagram before the handshake was started");
      return;
    }
    // A server needs no start(): the ClientHello starts it.
    if (!setupError_.empty()) {
      start();  // reports the setup error
      return;
    }
    state_ = State::Handshaking;
  }
  if (state_ != State::Handshaking && state_ != State::Connected) return;
  if (peerRecords_) {
    readReleasedRecords(data, size);
    deliverEvents();
    return;
  }
  if (sessionUnusable_) {
    logDropped("datagram: the DTLS session is unusable since an earlier record");
    return;
  }
  const SSL_CIPHER* cipher = SSL_get_pending_cipher(ssl_);
  if (!cipher) cipher = SSL_get_current_cipher(ssl_);
  const char* why = nullptr;
  if (!data || !isAcceptableDatagram(data, size, minimumEncryptedRecordLength(cipher),
                                     state_ == State::Connected, why)) {
    logDropped(data ? why : "null datagram");
    return;
  }
  buffers_.incoming = data;
  buffers_.incomingSize = size;
  advance();
  // Never keep the caller's pointer beyond this call, consumed or not.
  buffers_.incoming = nullptr;
  buffers_.incomingSize = 0;
  deliverEvents();
}

std::optional<std::chrono::milliseconds> DtlsTransport::nextTimeout() const {
  if (!ssl_ || sessionUnusable_ || (state_ != State::Handshaking && state_ != State::Connected)) {
    return std::nullopt;
  }
  timeval remaining{};
  if (DTLSv1_get_timeout(ssl_, &remaining) != 1) return std::nullopt;
  int64_t us = int64_t{remaining.tv_sec} * 1'000'000 + remaining.tv_usec;
  // Rounded up so that a caller polling "<= 0" never calls onTimeout() before the timer expires.
  return std::chrono::milliseconds((us + 999) / 1000);
}

void DtlsTransport::onTimeout() {
  if (!ssl_ || sessionUnusable_ || (state_ != State::Handshaking && state_ != State::Connected)) return;
  ERR_clear_error();
  int result = DTLSv1_handle_timeout(ssl_);
  ERR_clear_error();
  if (result < 0 && state_ == State::Handshaking) {
    fail("handshake timed out: no answer from the peer after repeated retransmissions");
  }
  deliverEvents();
}

void DtlsTransport::close() {
  if (state_ == State::Closed || state_ == State::Failed) return;
  bool wasConnected = state_ == State::Connected;
  state_ = State::Closed;
  if (wasConnected && peerRecords_) {
    sendCloseNotify();
  } else if (wasConnected && ssl_ && !sessionUnusable_) {
    ERR_clear_error();
    SSL_shutdown(ssl_);  // queues close_notify; we do not wait for the peer's
    ERR_clear_error();
  }
  deliverEvents();
}

bool DtlsTransport::release() {
  if (peerRecords_) return true;
  if (state_ != State::Connected || !ssl_ || keepsSession_) return false;
  std::string why;
  peerRecords_ = DtlsRecordOpener::fromSession(ssl_, why);
  ERR_clear_error();
  if (!peerRecords_) {
    keepsSession_ = true;  // decided once: callers may ask again on every packet
    log::debug("[DTLS] {} keeps its session: {}", roleName(role_), why);
    return false;
  }
  if (!sessionUnusable_) {
    ERR_clear_error();
    SSL_shutdown(ssl_);  // writes the close_notify record into buffers_, which we keep unsent
    ERR_clear_error();
    // Kept inline rather than in the heap: see release() in the header.
    if (buffers_.outgoing.size() == 1 && buffers_.outgoing.front().size() <= closeNotify_.size()) {
      closeNotifySize_ = buffers_.outgoing.front().size();
      std::memcpy(closeNotify_.data(), buffers_.outgoing.front().data(), closeNotifySize_);
    }
    buffers_.outgoing.clear();
    buffers_.outgoing.shrink_to_fit();
  }
  SSL_free(ssl_);
  ssl_ = nullptr;
  return true;
}

void DtlsTransport::readReleasedRecords(const uint8_t* data, size_t size) {
  const char* why = nullptr;
  if (!data || !isAcceptableDatagram(data, size, peerRecords_->minimumFragmentLength(), true, why)) {
    logDropped(data ? why : "null datagram");
    return;
  }
  // Whole records only (checked above). A repeat of the peer's final flight or anything else
  // but an alert needs no answer: the peer has shown it holds the keys.
  for (size_t offset = 0; offset < size;) {
    const uint8_t* record = data + offset;
    const size_t length = kRecordHeaderLength + ((size_t{record[11]} << 8) | record[12]);
    offset += length;
    const uint16_t epoch = static_cast<uint16_t>((record[3] << 8) | record[4]);
    if (record[0] != kAlert || epoch != 1) continue;
    uint8_t alert[2];
    std::optional<size_t> opened = peerRecords_->open(record, length, alert, sizeof(alert));
    ERR_clear_error();
    if (!opened) {
      logDropped("unauthenticated DTLS alert after the handshake");
      continue;
    }
    if (*opened != 2) continue;
    constexpr uint8_t kCloseNotify = 0;
    receivedAlert_ = (int{alert[0]} << 8) | alert[1];
    if (alert[1] == kCloseNotify) {
      state_ = State::Closed;
      sendCloseNotify();  // answer in kind
      pendingClosed_ = true;
      log::debug("[DTLS] {} received close_notify", roleName(role_));
      return;
    }
    if (alert[0] == SSL3_AL_FATAL) {
      fail(std::string("peer sent alert: ") + SSL_alert_desc_string_long(receivedAlert_));
      return;
    }
  }
}

void DtlsTransport::sendCloseNotify() {
  if (closeNotifySize_ == 0) return;
  buffers_.outgoing.emplace_back(closeNotify_.begin(), closeNotify_.begin() + closeNotifySize_);
  closeNotifySize_ = 0;
}

void DtlsTransport::advance() {
  ERR_clear_error();  // SSL_get_error() needs an empty queue to be reliable
  if (state_ == State::Handshaking) {
    advanceHandshake();
  } else if (state_ == State::Connected) {
    readRecords();
  }
  ERR_clear_error();
}

void DtlsTransport::advanceHandshake() {
  int result = SSL_do_handshake(ssl_);
  if (result == 1) {
    completeHandshake();
    return;
  }
  int error = SSL_get_error(ssl_, result);
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
    ERR_clear_error();
    return;
  }
  // Whatever OpenSSL queued (the alert telling the peer why) is still sent.
  std::string detail = takeOpenSslError();
  if (error == SSL_ERROR_ZERO_RETURN) {
    fail("peer closed the connection during the handshake");
  } else {
    fail(handshakeFailureReason(detail));
  }
}

std::string DtlsTransport::handshakeFailureReason(const std::string& opensslError) const {
  if (fingerprintMismatch_) return "fingerprint mismatch";
  if (receivedAlert_ >= 0 && (receivedAlert_ >> 8) == SSL3_AL_FATAL) {
    return std::string("peer sent alert: ") + SSL_alert_desc_string_long(receivedAlert_);
  }
  return opensslError.empty() ? "handshake failed" : "handshake failed: " + opensslError;
}

void DtlsTransport::completeHandshake() {
  // The peer considers the association up by now, so it gets a close_notify when we refuse it.
  auto refuse = [this](std::string reason) {
    SSL_shutdown(ssl_);
    ERR_clear_error();
    fail(std::move(reason));
  };
  // The verify callback already compared the fingerprint; checking the final peer certificate
  // again guarantees no keys are released for an unauthenticated peer whatever path led here.
  X509* peer = SSL_get1_peer_certificate(ssl_);
  bool authenticated = peer && verifyPeerFingerprint(peer);
  X509_free(peer);
  if (!authenticated) {
    refuse("fingerprint mismatch");
    return;
  }

  const SRTP_PROTECTION_PROFILE* selected = SSL_get_selected_srtp_profile(ssl_);
  if (!selected) {
    refuse("no common SRTP profile (we offer " + options_.srtpProfiles + ")");
    return;
  }
  SrtpProfile profile;
  if (selected->id == SRTP_AEAD_AES_128_GCM) {
    profile = SrtpProfile::AeadAes128Gcm;
  } else if (selected->id == SRTP_AES128_CM_SHA1_80) {
    profile = SrtpProfile::AesCm128HmacSha1_80;
  } else {
    refuse(std::string("unsupported SRTP profile ") + (selected->name ? selected->name : "?"));
    return;
  }

  // RFC 5764 4.2: client key | server key | client salt | server salt.
  const size_t keyLength = srtpKeyLength(profile), saltLength = srtpSaltLength(profile);
  std::vector<uint8_t> material(2 * (keyLength + saltLength));
  if (SSL_export_keying_material(ssl_, material.data(), material.size(), kExporterLabel,
                                 sizeof(kExporterLabel) - 1, nullptr, 0, 0) != 1) {
    refuse("SRTP keying material export failed: " + takeOpenSslError());
    return;
  }
  auto slice = [&](size_t offset, size_t length) {
    return std::vector<uint8_t>(material.begin() + static_cast<ptrdiff_t>(offset),
                                material.begin() + static_cast<ptrdiff_t>(offset + length));
  };
  std::vector<uint8_t> clientKey = slice(0, keyLength), serverKey = slice(keyLength, keyLength);
  std::vector<uint8_t> clientSalt = slice(2 * keyLength, saltLength);
  std::vector<uint8_t> serverSalt = slice(2 * keyLength + saltLength, saltLength);
  OPENSSL_cleanse(material.data(), material.size());

  DtlsKeys keys;
  keys.profile = profile;
  if (role_ == DtlsRole::Client) {
    keys.localKey = std::move(clientKey);
    keys.localSalt = std::move(clientSalt);
    keys.remoteKey = std::move(serverKey);
    keys.remoteSalt = std::move(serverSalt);
  } else {
    keys.localKey = std::move(serverKey);
    keys.localSalt = std::move(serverSalt);
    keys.remoteKey = std::move(clientKey);
    keys.remoteSalt = std::move(clientSalt);
  }
  pendingKeys_ = std::move(keys);

  state_ = State::Connected;
  log::debug("[DTLS] {} handshake complete: {}, {}", roleName(role_), SSL_get_cipher_name(ssl_),
             selected->name);
  // Records that arrived in the same datagram as the final flight (e.g. a close_notify).
  readRecords();
}

void DtlsTransport::readRecords() {
  const size_t queuedBefore = buffers_.outgoing.size();
  uint8_t discard[4096];
  for (;;) {
    int result = SSL_read(ssl_, discard, sizeof(discard));
    if (result > 0) continue;  // application data: no data channels, so it is dropped
    int error = SSL_get_error(ssl_, result);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
      ERR_clear_error();
      return;
    }
    if (error == SSL_ERROR_ZERO_RETURN) {
      ERR_clear_error();
      state_ = State::Closed;
      SSL_shutdown(ssl_);  // answer with our close_notify, as TLS expects
      ERR_clear_error();
      pendingClosed_ = true;
      log::debug("[DTLS] {} received close_notify", roleName(role_));
      return;
    }
    std::string detail = takeOpenSslError();
    if (SSL_get_shutdown(ssl_) & SSL_RECEIVED_SHUTDOWN) {
      std::string alert = receivedAlert_ >= 0 ? SSL_alert_desc_string_long(receivedAlert_) : "fatal alert";
      fail("peer sent alert: " + alert);
      return;
    }
    // OpenSSL rejected a record and its session is now unusable. The SRTP keys are already
    // exported and stay valid, so the association (and media) goes on. The fatal alert OpenSSL
    // queued is not sent: the record may be forged, and the alert would end the peer's side.
    auto& out = buffers_.outgoing;
    out.erase(std::remove_if(out.begin() + static_cast<ptrdiff_t>(queuedBefore), out.end(),
                             [](const std::vector<uint8_t>& d) { return !d.empty() && d[0] == kAlert; }),
              out.end());
    sessionUnusable_ = true;
    logDropped("DTLS record that broke the DTLS session; media continues", detail);
    return;
  }
}

void DtlsTransport::fail(std::string reason) {
  if (state_ == State::Failed) return;
  state_ = State::Failed;
  log::debug("[DTLS] {} failed: {}", roleName(role_), reason);
  pendingFailure_ = std::move(reason);
}

void DtlsTransport::deliverEvents() {
  if (buffers_.outgoing.empty() && !pendingKeys_ && !pendingFailure_ && !pendingClosed_) return;
  // Everything is moved out first and no member is touched once a callback has run: a
  // callback may destroy this transport (the weak token tells) or re-enter it (e.g. close()).
  std::vector<std::vector<uint8_t>> datagrams;
  datagrams.swap(buffers_.outgoing);
  std::optional<DtlsKeys> keys = std::exchange(pendingKeys_, std::nullopt);
  std::optional<std::string> failure = std::exchange(pendingFailure_, std::nullopt);
  bool closed = std::exchange(pendingClosed_, false);
  Callbacks callbacks = callbacks_;
  std::weak_ptr<const char> alive = lifetime_;

  for (const auto& datagram : datagrams) {
    if (callbacks.sendDatagram) callbacks.sendDatagram(datagram.data(), datagram.size());
    if (alive.expired()) return;
  }
  if (keys) {
    if (callbacks.onConnected) callbacks.onConnected(*keys);
    OPENSSL_cleanse(keys->localKey.data(), keys->localKey.size());
    OPENSSL_cleanse(keys->remoteKey.data(), keys->remoteKey.size());
    if (alive.expired()) return;
  }
  if (failure && callbacks.onFailed) {
    callbacks.onFailed(std::move(*failure));
    if (alive.expired()) return;
  }
  if (closed && callbacks.onClosed) callbacks.onClosed();
}

bool DtlsTransport::verifyPeerFingerprint(X509* peer) const {
  std::vector<uint8_t> actual = parseFingerprintHex(certificateFingerprint(peer, remoteAlgorithm_));
  return !actual.empty() && actual.size() == remoteFingerprint_.size() &&
         CRYPTO_memcmp(actual.data(), remoteFingerprint_.data(), actual.size()) == 0;
}

void DtlsTransport::logDropped(std::string_view what, std::string_view detail) {
  uint64_t suppressed = 0;
  if (!dropLog_.allow(suppressed)) return;
  log::warn("[DTLS] {}: dropped {}{}{} ({} similar suppressed)", roleName(role_), what,
            detail.empty() ? "" : ": ", detail, suppressed);
}

int DtlsTransport::verifyCallback(int /*preverifyOk*/, X509_STORE_CTX* store) {
  // Chain errors (self-signed, expiry) do not matter: only the leaf's fingerprint does.
  if (X509_STORE_CTX_get_error_depth(store) != 0) return 1;
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* self = ssl ? static_cast<DtlsTransport*>(SSL_get_app_data(ssl)) : nullptr;
  if (!self) return 0;
  if (self->verifyPeerFingerprint(X509_STORE_CTX_get_current_cert(store))) {
    X509_STORE_CTX_set_error(store, X509_V_OK);
    return 1;
  }
  // Rejecting here aborts the handshake with bad_certificate, so the peer learns of it too.
  self->fingerprintMismatch_ = true;
  X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
  return 0;
}

unsigned int DtlsTransport::retransmitTimerCallback(SSL* ssl, unsigned int previousUs) {
  auto* self = static_cast<DtlsTransport*>(SSL_get_app_data(ssl));
  int64_t initialUs = self ? self->options_.initialRetransmitTimeout.count() * 1000 : 1'000'000;
  int64_t maxUs = self ? self->options_.maxRetransmitTimeout.count() * 1000 : 60'000'000;
  maxUs = std::clamp<int64_t>(maxUs, 1000, 60'000'000);
  // Doubling as RFC 6347 4.2.4.1 asks; the cap is well below its 60 s by default because a
  // WebRTC session gives up on the whole connection long before that.
  int64_t next = previousUs == 0 ? initialUs : int64_t{previousUs} * 2;
  return static_cast<unsigned int>(std::clamp<int64_t>(next, 1000, maxUs));
}

void DtlsTransport::infoCallback(const SSL* ssl, int where, int ret) {
  if (!(where & SSL_CB_READ_ALERT)) return;
  auto* self = static_cast<DtlsTransport*>(SSL_get_app_data(ssl));
  if (self) self->receivedAlert_ = ret;
}

}  // namespace sluice::webrtc
