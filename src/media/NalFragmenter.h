#pragma once
// Streaming re-fragmentation of NAL units into RTP payloads of at most maxPayload bytes,
// shared by the H.264 (FU-A, RFC 6184 §5.8) and H.265 (FU, RFC 7798 §4.4.3) shapers; only
// the fragmentation-unit header differs between the two.
//
// A NAL unit may arrive in pieces (the camera's own fragments, of any size). Every payload
// leaves full except the NAL unit's last one: bytes that do not fill a payload are carried
// to the next piece instead of leaving as a short packet, so a NAL unit costs the fewest
// packets and equal-size runs suit GSO. A NAL unit that ends before filling one payload
// leaves as a single NAL unit packet. One buffer of maxPayload + 1 bytes, allocated at
// construction; work proportional to the bytes appended, no allocation afterwards.
//
// Emit callbacks are void(const uint8_t* payload, size_t size, bool last): `payload` is
// valid only during the call; `last` is true for the final payload written by end() or
// flush() (where the caller puts the source's marker bit).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace sluice::media {

enum class NalCodec { H264, H265 };

class NalFragmenter {
 public:
  static constexpr size_t headerSize(NalCodec c) { return c == NalCodec::H264 ? 1 : 2; }
  // FU-A: indicator + FU header; H.265 FU: 2-byte payload header + FU header.
  static constexpr size_t fuOverhead(NalCodec c) { return c == NalCodec::H264 ? 2 : 3; }

  // maxPayload is clamped to fuOverhead + 1 (a fragment with one byte of body).
  NalFragmenter(NalCodec codec, size_t maxPayload)
      : codec_(codec),
        headerSize_(headerSize(codec)),
        overhead_(fuOverhead(codec)),
        maxPayload_(std::max(maxPayload, overhead_ + 1)),
        chunk_(maxPayload_ - overhead_),
        buffer_(maxPayload_ + 1) {}

  size_t maxPayload() const { return maxPayload_; }
  bool active() const { return active_; }  // a NAL unit is in progress
  // The NAL unit type in progress (H.264: 5 bits, H.265: 6 bits).
  uint8_t nalType() const { return codec_ == NalCodec::H264 ? header_[0] & 0x1f : (header_[0] >> 1) & 0x3f; }

  // Starts a NAL unit from its header (headerSize(codec) bytes). Any unfinished one is dropped.
  void begin(const uint8_t* nalHeader) {
    std::memcpy(header_, nalHeader, headerSize_);
    active_ = true;
    emitted_ = false;
    fill_ = 0;
  }

  // Adds body bytes of the NAL unit in progress; emits every payload that is known to be full.
  template <class Emit>
  void append(const uint8_t* body, size_t size, Emit&& emit) {
    while (size > 0) {
      if (fill_ == capacity()) emitFullFragment(emit);  // more bytes follow: this one is not the last
      size_t n = std::min(size, capacity() - fill_);
      std::memcpy(bodyArea() + fill_, body, n);
      fill_ += n;
      body += n;
      size -= n;
    }
  }

  // Ends the NAL unit in progress: a single NAL unit packet if nothing left yet, else the
  // last fragment (E bit).
  template <class Emit>
  void end(Emit&& emit) {
    if (!active_) return;
    active_ = false;
    if (!emitted_) {
      uint8_t* out = bodyArea() - headerSize_;
      std::memcpy(out, header_, headerSize_);
      emit(static_cast<const uint8_t*>(out), headerSize_ + fill_, true);
      return;
    }
    emitFragment(fill_, true, true, emit);
  }

  // Emits the carried bytes now, as fragments without the E bit; the NAL unit stays open.
  // For a source packet that must end an output packet (its marker bit) mid-NAL unit.
  template <class Emit>
  void flush(Emit&& emit) {
    if (!active_ || fill_ == 0) return;
    if (fill_ > chunk_) emitFullFragment(emit);
    emitFragment(fill_, false, true, emit);
  }

  // Drops the NAL unit in progress (its source was interrupted) with what it carried.
  void abandon() {
    active_ = false;
    fill_ = 0;
  }

 private:
  uint8_t* bodyArea() { return buffer_.data() + overhead_; }
  // Body bytes the buffer may hold: a whole single NAL unit packet until a fragment left.
  size_t capacity() const { return emitted_ ? chunk_ : maxPayload_ - headerSize_; }

  template <class Emit>
  void emitFullFragment(Emit& emit) {
    emitFragment(chunk_, false, false, emit);
  }

  // Emits the first `n` carried bytes as one fragment and moves the rest to the front.
  template <class Emit>
  void emitFragment(size_t n, bool endsNal, bool last, Emit& emit) {
    writeFuHeader(!emitted_, endsNal);
    emit(static_cast<const uint8_t*>(buffer_.data()), overhead_ + n, last);
    emitted_ = true;
    fill_ -= n;
    if (fill_ > 0) std::memmove(bodyArea(), bodyArea() + n, fill_);  // at most one byte
  }

  void writeFuHeader(bool start, bool endsNal) {
    uint8_t flags = static_cast<uint8_t>((start ? 0x80 : 0) | (endsNal ? 0x40 : 0));
    uint8_t* out = buffer_.data();
    if (codec_ == NalCodec::H264) {
      out[0] = static_cast<uint8_t>((header_[0] & 0xe0) | 28);  // F, NRI, type FU-A
      out[1] = static_cast<uint8_t>(flags | (header_[0] & 0x1f));
    } else {
      out[0] = static_cast<uint8_t>((header_[0] & 0x81) | (49 << 1));  // F, type FU, layer id MSB
      out[1] = header_[1];                                             // layer id, TID
      out[2] = static_cast<uint8_t>(flags | ((header_[0] >> 1) & 0x3f));
    }
  }

  NalCodec codec_;
  size_t headerSize_, overhead_, maxPayload_, chunk_;
  std::vector<uint8_t> buffer_;  // owned: [FU header area][body], sized once
  uint8_t header_[2] = {0, 0};
  bool active_ = false;
  bool emitted_ = false;  // a fragment of the NAL unit in progress has left
  size_t fill_ = 0;       // body bytes carried in buffer_
};

}  // namespace sluice::media
