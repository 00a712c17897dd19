#pragma once
// The TLS session of one RTSPS connection, on the connection's own descriptor: the server's
// side (rtspEncryption) or the client's (an rtsps:// source).
//
// OpenSSL reads and writes the non-blocking socket itself; when it needs the socket to become
// readable or writable the caller waits for that with Asio (async_wait) and calls again, so the
// descriptor can be released and re-wrapped on the stream's worker like a plain connection's.
// Writes go through a staging buffer of one TLS record: writeSome copies the caller's gathered
// buffers into it (the caller's bytes are then taken) and encrypts them as one record; while
// staged bytes remain (the socket is full) nothing more is taken, so a slow reader's backlog
// stays in the caller's bounded queue. Errors are Asio error codes (OpenSSL's in Asio's SSL
// category), as a socket's. One thread at a time (the connection's).
#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

struct ssl_st;

namespace sluice::core {
class TlsContext;
}

namespace sluice::rtsp {

class RtspTlsStream {
 public:
  enum class Wait { None, Read, Write };

  // Null with `ec` set when OpenSSL cannot make a session on `fd` (borrowed: the connection
  // owns and closes it; it stays the same number when the connection changes threads).
  static std::unique_ptr<RtspTlsStream> create(std::shared_ptr<core::TlsContext> context, int fd,
                                               boost::system::error_code& ec);
  // The client's side, for a server reached as `host` (a name: sent as SNI and checked against
  // the certificate; or an IP address, checked as such).
  static std::unique_ptr<RtspTlsStream> createClient(std::shared_ptr<core::TlsContext> context, int fd,
                                                     const std::string& host, boost::system::error_code& ec);
  ~RtspTlsStream();
  RtspTlsStream(const RtspTlsStream&) = delete;
  RtspTlsStream& operator=(const RtspTlsStream&) = delete;

  // The handshake (either side): Wait::None and no error once done; a Wait to call again after.
  Wait handshake(boost::system::error_code& ec);
  // Plaintext into `data`: the count, or 0 with `wait` set (or `ec`: eof at close_notify).
  size_t readSome(uint8_t* data, size_t size, Wait& wait, boost::system::error_code& ec);
  // Takes up to one record of the buffers' bytes when nothing is staged (0 and would_block
  // otherwise), then sends what the socket takes. Check pending() after.
  size_t writeSome(std::span<const boost::asio::const_buffer> buffers, boost::system::error_code& ec);
  // Sends staged bytes; true when none remain (false: wait for writability, or `ec`).
  bool drain(boost::system::error_code& ec);
  bool pending() const { return stagedBegin_ < stagedEnd_; }
  // A close_notify if the session is sound and the socket takes it now (never waits).
  void shutdown();
  // Client, after the handshake: is the server the one meant? With `fingerprint` (SHA-256 of
  // its certificate, hex, any case, colons optional) only that certificate is; without, its
  // chain must lead to a trusted root and name the host. False with `error` saying why.
  bool checkServer(const std::string& fingerprint, std::string& error) const;

  static constexpr size_t kRecordBytes = 16384;  // TLS's largest record plaintext

 private:
  RtspTlsStream(std::shared_ptr<core::TlsContext> context, ssl_st* ssl);
  // OpenSSL's result `ret` of a call as a wait or an error; marks the session broken on errors.
  Wait classify(int ret, boost::system::error_code& ec);

  std::shared_ptr<core::TlsContext> context_;  // shared with the listener: keeps the SSL_CTX alive
  ssl_st* ssl_;                                // owned
  std::unique_ptr<uint8_t[]> staging_;         // owned, kRecordBytes
  size_t stagedBegin_ = 0, stagedEnd_ = 0;
  bool broken_ = false;  // a fatal error: no close_notify
};

}  // namespace sluice::rtsp
