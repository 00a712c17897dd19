#include "rtsp/RtspTlsStream.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <cerrno>
#include <cstring>

#include "core/TlsContext.h"

namespace sluice::rtsp {

namespace asio = boost::asio;

namespace {
// OpenSSL's error queue is per thread and shared with every other TLS/DTLS user on it: each
// call starts from an empty queue so SSL_get_error speaks of that call only.
void clearErrors() { ERR_clear_error(); }
}  // namespace

std::unique_ptr<RtspTlsStream> RtspTlsStream::create(std::shared_ptr<core::TlsContext> context, int fd,
                                                     boost::system::error_code& ec) {
  clearErrors();
  SSL* ssl = SSL_new(context->context().native_handle());
  if (!ssl || SSL_set_fd(ssl, fd) != 1) {
    ec = boost::system::error_code(static_cast<int>(ERR_get_error()), asio::error::get_ssl_category());
    if (!ec) ec = asio::error::no_memory;
    clearErrors();
    if (ssl) SSL_free(ssl);
    return nullptr;
  }
  // Partial writes: a record's worth leaves at a time. Moving buffer: a retried write passes
  // the same staged bytes, from wherever the staging begins then.
  SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // No TLS 1.3 session tickets: an RTSP connection lives long and is not resumed, and the
  // tickets would be one more write to wait for right after the handshake.
  SSL_set_num_tickets(ssl, 0);
  SSL_set_accept_state(ssl);  // a client's createClient switches it
  return std::unique_ptr<RtspTlsStream>(new RtspTlsStream(std::move(context), ssl));
}

std::unique_ptr<RtspTlsStream> RtspTlsStream::createClient(std::shared_ptr<core::TlsContext> context, int fd,
                                                           const std::string& host,
                                                           boost::system::error_code& ec) {
  std::unique_ptr<RtspTlsStream> stream = create(std::move(context), fd, ec);
  if (!stream) return nullptr;
  SSL* ssl = stream->ssl_;
  SSL_set_connect_state(ssl);
  if (!core::TlsContext::expectServer(ssl, host)) {
    ec = asio::error::invalid_argument;
    return nullptr;
  }
  return stream;
}

bool RtspTlsStream::checkServer(const std::string& fingerprint, std::string& error) const {
  return core::TlsContext::checkServer(ssl_, fingerprint, "sourceFingerprint", error);
}

RtspTlsStream::RtspTlsStream(std::shared_ptr<core::TlsContext> context, ssl_st* ssl)
    : context_(std::move(context)), ssl_(ssl), staging_(new uint8_t[kRecordBytes]) {}

RtspTlsStream::~RtspTlsStream() { SSL_free(ssl_); }

RtspTlsStream::Wait RtspTlsStream::classify(int ret, boost::system::error_code& ec) {
  const int error = SSL_get_error(ssl_, ret);
  if (error == SSL_ERROR_WANT_READ) return Wait::Read;
  if (error == SSL_ERROR_WANT_WRITE) return Wait::Write;
  broken_ = true;
  const unsigned long queued = ERR_peek_error();
  if (error == SSL_ERROR_ZERO_RETURN ||
      (queued != 0 && ERR_GET_REASON(queued) == SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
    ec = asio::error::eof;
  } else if (error == SSL_ERROR_SYSCALL && queued == 0) {
    ec = errno != 0 ? boost::system::error_code(errno, boost::system::system_category())
                    : boost::system::error_code(asio::error::eof);
  } else if (queued != 0) {
    ec = boost::system::error_code(static_cast<int>(queued), asio::error::get_ssl_category());
  } else {
    ec = asio::error::connection_aborted;
  }
  clearErrors();
  return Wait::None;
}

RtspTlsStream::Wait RtspTlsStream::handshake(boost::system::error_code& ec) {
  ec = {};
  clearErrors();
  errno = 0;
  const int ret = SSL_do_handshake(ssl_);
  return ret == 1 ? Wait::None : classify(ret, ec);
}

size_t RtspTlsStream::readSome(uint8_t* data, size_t size, Wait& wait, boost::system::error_code& ec) {
  ec = {};
  wait = Wait::None;
  clearErrors();
  errno = 0;
  size_t n = 0;
  const int ret = SSL_read_ex(ssl_, data, size, &n);
  if (ret == 1) return n;
  wait = classify(ret, ec);
  return 0;
}

bool RtspTlsStream::drain(boost::system::error_code& ec) {
  ec = {};
  while (stagedBegin_ < stagedEnd_) {
    clearErrors();
    errno = 0;
    size_t n = 0;
    const int ret = SSL_write_ex(ssl_, staging_.get() + stagedBegin_, stagedEnd_ - stagedBegin_, &n);
    if (ret != 1) {
      // Read or write: either way the staged bytes wait (SSL_read then makes the progress).
      classify(ret, ec);
      return false;
    }
    stagedBegin_ += n;
  }
  stagedBegin_ = stagedEnd_ = 0;
  return true;
}

size_t RtspTlsStream::writeSome(std::span<const asio::const_buffer> buffers, boost::system::error_code& ec) {
  ec = {};
  if (pending() && !drain(ec)) {
    if (!ec) ec = asio::error::would_block;
    return 0;
  }
  size_t taken = 0;
  for (const asio::const_buffer& b : buffers) {
    const size_t n = std::min(b.size(), kRecordBytes - taken);
    std::memcpy(staging_.get() + taken, b.data(), n);
    taken += n;
    if (taken == kRecordBytes) break;
  }
  stagedBegin_ = 0;
  stagedEnd_ = taken;
  // The bytes are taken whatever the socket does now; an error surfaces at the next call.
  boost::system::error_code sendError;
  if (!drain(sendError) && sendError) {
    ec = sendError;
    return 0;
  }
  return taken;
}

void RtspTlsStream::shutdown() {
  if (broken_ || !SSL_is_init_finished(ssl_)) return;
  clearErrors();
  SSL_shutdown(ssl_);
  clearErrors();
}

}  // namespace sluice::rtsp
