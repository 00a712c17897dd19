#include "webrtc/Rfc4571Framer.h"

#include <algorithm>
#include <cstring>

namespace sluice::webrtc {

void Rfc4571Reader::compact() {
  if (begin_ == 0) return;
  std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
  end_ -= begin_;
  begin_ = 0;
}

std::span<uint8_t> Rfc4571Reader::space() {
  compact();
  return {buffer_.data() + end_, buffer_.size() - end_};
}

void Rfc4571Reader::produced(size_t n) { end_ = std::min(buffer_.size(), end_ + n); }

size_t Rfc4571Reader::feed(const uint8_t* data, size_t size) {
  std::span<uint8_t> room = space();
  size_t n = std::min(room.size(), size);
  if (n > 0) std::memcpy(room.data(), data, n);
  produced(n);
  return n;
}

Rfc4571Reader::Status Rfc4571Reader::next(const uint8_t*& packet, size_t& size) {
  if (error_) return Status::Error;
  size_t available = end_ - begin_;
  if (available < kHeaderSize) return Status::NeedMore;
  const uint8_t* p = buffer_.data() + begin_;
  size_t length = (static_cast<size_t>(p[0]) << 8) | p[1];
  if (length == 0) {
    error_ = "empty RFC 4571 frame";
    return Status::Error;
  }
  if (length > kMaxPacket) {
    error_ = "RFC 4571 frame larger than 4096 bytes";
    return Status::Error;
  }
  if (available < kHeaderSize + length) return Status::NeedMore;
  packet = p + kHeaderSize;
  size = length;
  begin_ += kHeaderSize + length;
  return Status::Packet;
}

}  // namespace sluice::webrtc
