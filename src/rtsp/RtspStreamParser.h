#pragma once
// Splits the byte stream of an RTSP TCP connection into RTSP messages and interleaved
// binary frames (RFC 2326 §10.12: '$', channel, 16-bit big-endian length, data).
//
// Data is read straight into a buffer (prepare/commit), and interleaved frames are handed
// out as views into it, so the media path copies nothing and allocates nothing once the
// buffer exists. The buffer is the parser's own, or (prepareIn/release) one the caller
// shares between the connections of a thread: then the parser keeps only the bytes of a
// partial item between reads. Anything that is neither a frame nor a well-formed message is
// an error: the connection is out of sync and must be dropped.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "rtsp/RtspMessage.h"

namespace sluice::rtsp {

// A media read buffer: room for the largest interleaved frame ('$', channel, 16-bit
// length, 65,535 bytes) after a partial item's bytes, so any frame fits and reads are large.
constexpr size_t kRtspMediaReadBuffer = size_t{72} * 1024;

struct RtspInterleavedFrame {
  uint8_t channel = 0;
  const uint8_t* data = nullptr;
  size_t size = 0;
};

class RtspStreamParser {
 public:
  struct Limits {
    size_t maxHeaderBytes = size_t{64} * 1024;  // start line + headers + blank line
    size_t maxBodyBytes = size_t{1024} * 1024;
    size_t maxHeaderCount = 256;
    // The own buffer's first size. Large by default: room for the largest interleaved frame
    // (4 + 65535 bytes), so media are read in large reads from the start. A connection that
    // reads media through a shared buffer (prepareIn) or only sends requests starts small
    // and grows, by frame or body, or with reserve().
    size_t initialCapacity = kRtspMediaReadBuffer;
  };
  enum class Result { NeedMore, Request, Response, Interleaved, Error };

  // What prepareIn() needs of a shared buffer.
  static constexpr size_t kMinSharedBuffer = kRtspMediaReadBuffer;

  RtspStreamParser() : RtspStreamParser(Limits{}) {}
  explicit RtspStreamParser(Limits limits);
  // Movable (the own buffer moves with it), not copyable (views point into it).
  RtspStreamParser(RtspStreamParser&&) noexcept = default;
  RtspStreamParser& operator=(RtspStreamParser&&) noexcept = default;
  RtspStreamParser(const RtspStreamParser&) = delete;
  RtspStreamParser& operator=(const RtspStreamParser&) = delete;

  // Free space at the end of the buffer to receive into; never empty unless an error was
  // reported. Invalidates the views of the last frame.
  std::span<uint8_t> prepare();
  // The same into `shared` (at least kMinSharedBuffer bytes, used by one thread): the
  // bytes this parser holds move to its front and the space after them is returned. After
  // commit() and next() up to NeedMore or Error, release() must be called before anyone
  // else uses `shared`. Falls back to the own buffer (as prepare()) while the held item
  // could not fit (a header block or body larger than the shared buffer allows).
  std::span<uint8_t> prepareIn(std::span<uint8_t> shared);
  // Keeps what is left of the shared buffer (a partial item) in the own buffer, which grows
  // to the largest partial item seen. Invalidates the views of the last frame; no-op when
  // the own buffer is in use.
  void release();
  void commit(size_t n);
  // Copies as much of `data` as fits (for tests and fuzzing); returns the count taken.
  size_t feed(const uint8_t* data, size_t size);

  // Parses the next item out of the buffered bytes. After Request/Response/Interleaved,
  // request()/response()/frame() hold it until the next call. Error is sticky.
  Result next();

  const RtspRequest& request() const { return request_; }
  const RtspResponse& response() const { return response_; }
  const RtspInterleavedFrame& frame() const { return frame_; }
  const std::string& error() const { return error_; }
  size_t buffered() const { return end_ - begin_; }
  // Makes the buffer at least `capacity` bytes (kept bytes stay).
  void reserve(size_t capacity);
  // Bytes of the parser's own buffer (what it costs between reads).
  size_t ownCapacity() const { return own_.size(); }

 private:
  Result fail(std::string message);
  Result parseHeaderBlock(size_t headerSize);
  // Moves the unconsumed bytes to the front of the own buffer, grown to at least
  // `capacity`, and makes it the buffer in use.
  void useOwn(size_t capacity);

  Limits limits_;
  std::vector<uint8_t> own_;  // owned: between reads, or for every read without a shared buffer
  uint8_t* buf_ = nullptr;    // the buffer in use: own_'s data, or the caller's shared buffer
  size_t capacity_ = 0;       // its size
  bool borrowed_ = false;     // buf_ is the caller's shared buffer (prepareIn until release)
  size_t begin_ = 0;          // first unconsumed byte
  size_t end_ = 0;            // one past the last received byte
  size_t scanned_ = 0;        // bytes after begin_ already checked for the end of a header block
  // A parsed header block whose body has not fully arrived yet.
  bool awaitingBody_ = false;
  bool pendingIsRequest_ = false;
  size_t pendingHeaderSize_ = 0;
  size_t pendingBodySize_ = 0;

  RtspRequest request_;
  RtspResponse response_;
  RtspInterleavedFrame frame_;
  std::string error_;
};

}  // namespace sluice::rtsp
