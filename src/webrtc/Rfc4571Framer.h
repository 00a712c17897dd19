#pragma once
// RFC 4571 framing of ICE-TCP (RFC 6544): every STUN, DTLS, RTP or RTCP packet on a TCP
// connection is preceded by its length as a 16-bit big-endian number.
//
// Rfc4571Reader reassembles packets from arbitrary TCP reads in one fixed buffer (no
// allocation after construction): the socket reads into space(), produced() accounts the
// bytes, next() yields each complete packet. A packet of length 0 or above kMaxPacket is
// a protocol error (no ICE-TCP peer sends one; a larger one would be a DTLS flight larger
// than any MTU): the connection must then be closed.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace sluice::webrtc {

class Rfc4571Reader {
 public:
  static constexpr size_t kMaxPacket = 4096;
  static constexpr size_t kHeaderSize = 2;

  enum class Status { Packet, NeedMore, Error };

  // Free room for the next read; empty only while a complete packet waits in next().
  std::span<uint8_t> space();
  void produced(size_t n);
  // Copies up to `size` bytes into space() and accounts them; returns how many were taken.
  size_t feed(const uint8_t* data, size_t size);

  // The next complete packet (valid until the next call to space(), feed() or produced()),
  // NeedMore when the buffered bytes end inside a packet, Error on a bad length (sticky).
  Status next(const uint8_t*& packet, size_t& size);
  const char* error() const { return error_; }
  // Bytes received and not yet returned by next() (a partial packet or whole ones).
  std::span<const uint8_t> pending() const { return {buffer_.data() + begin_, end_ - begin_}; }

 private:
  void compact();

  std::array<uint8_t, kHeaderSize + kMaxPacket> buffer_{};
  size_t begin_ = 0;  // first byte not yet returned
  size_t end_ = 0;    // one past the last byte received
  const char* error_ = nullptr;
};

// Writes the 2-byte length prefix of a packet of `size` bytes (size <= 65535) at `out`.
inline void writeRfc4571Header(uint8_t* out, size_t size) {
  out[0] = static_cast<uint8_t>(size >> 8);
  out[1] = static_cast<uint8_t>(size);
}

}  // namespace sluice::webrtc
