#pragma once
// Splits the byte stream of an RTSP TCP connection into RTSP messages and interleaved
// binary frames (RFC 2326 §10.12: '$', channel, 16-bit big-endian length, data).
//
// Data is read straight into the parser's own buffer (prepare/commit), and interleaved
// frames are handed out as views into it, so the media path copies nothing and allocates
// nothing once the buffer exists. Anything that is neither a frame nor a well-formed
// message is an error: the connection is out of sync and must be dropped.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "rtsp/RtspMessage.h"

namespace sluice::rtsp {

struct RtspInterleavedFrame {
  uint8_t channel = 0;
  const uint8_t* data = nullptr;
  size_t size = 0;
};

class RtspStreamParser {
 public:
  struct Limits {
    size_t maxHeaderBytes = 64 * 1024;  // start line + headers + blank line
    size_t maxBodyBytes = 1024 * 1024;
    size_t maxHeaderCount = 256;
    // The buffer's first size. Large by default: room for the largest interleaved frame
    // (4 + 65535 bytes), so a camera's media are read in large reads from the start. A
    // server connection starts small (a reader only sends requests and receiver reports) and
    // grows, by frame or body, or with reserve() when it starts publishing.
    size_t initialCapacity = 72 * 1024;
  };
  enum class Result { NeedMore, Request, Response, Interleaved, Error };

  RtspStreamParser() : RtspStreamParser(Limits{}) {}
  explicit RtspStreamParser(Limits limits);

  // Free space at the end of the buffer to receive into; never empty unless an error was
  // reported. Invalidates the views of the last frame.
  std::span<uint8_t> prepare();
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

 private:
  Result fail(std::string message);
  Result parseHeaderBlock(size_t headerSize);

  Limits limits_;
  std::vector<uint8_t> buf_;
  size_t begin_ = 0;    // first unconsumed byte
  size_t end_ = 0;      // one past the last received byte
  size_t scanned_ = 0;  // bytes after begin_ already checked for the end of a header block
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
