#include "rtsp/RtspStreamParser.h"

#include <fmt/format.h>

#include <cstring>

#include "rtsp/RtspText.h"

namespace sluice::rtsp {
namespace {

// Below this much free tail space, prepare() moves the unconsumed bytes to the front.
constexpr size_t kCompactThreshold = size_t{8} * 1024;

bool splitStatusLine(std::string_view line, RtspResponse& out) {
  // RTSP/1.0 SP 3DIGIT [SP reason]
  if (!line.starts_with("RTSP/")) return false;
  size_t sp = line.find(' ');
  if (sp == std::string_view::npos) return false;
  std::string_view version = line.substr(5, sp - 5);
  if (version.size() != 3 || version[0] < '0' || version[0] > '9' || version[1] != '.' || version[2] < '0' ||
      version[2] > '9') {
    return false;
  }
  std::string_view rest = line.substr(sp + 1);
  size_t sp2 = rest.find(' ');
  std::string_view code = rest.substr(0, sp2);
  auto n = parseDecimal<int>(code);
  if (code.size() != 3 || !n || *n < 100) return false;
  out.statusCode = *n;
  out.reason = sp2 == std::string_view::npos ? std::string() : std::string(trim(rest.substr(sp2 + 1)));
  return true;
}

bool splitRequestLine(std::string_view line, RtspRequest& out) {
  // METHOD SP URI SP RTSP/1.0
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return false;
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return false;
  std::string_view method = line.substr(0, sp1);
  std::string_view uri = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!isToken(method) || uri.empty() || !version.starts_with("RTSP/") || version.size() != 8) return false;
  out.method.assign(method);
  out.uri.assign(uri);
  return true;
}

}  // namespace

RtspStreamParser::RtspStreamParser(Limits limits) : limits_(limits) {
  own_.resize(std::max<size_t>(limits_.initialCapacity, 1024));
  buf_ = own_.data();
  capacity_ = own_.size();
}

void RtspStreamParser::useOwn(size_t capacity) {
  size_t held = end_ - begin_;
  if (borrowed_) {
    if (own_.size() < std::max(capacity, held)) own_.resize(std::max(capacity, held));
    std::memcpy(own_.data(), buf_ + begin_, held);
  } else {
    std::memmove(own_.data(), own_.data() + begin_, held);
    if (own_.size() < capacity) own_.resize(capacity);
  }
  buf_ = own_.data();
  capacity_ = own_.size();
  borrowed_ = false;
  begin_ = 0;
  end_ = held;
}

void RtspStreamParser::reserve(size_t capacity) {
  if (capacity_ >= capacity) return;
  useOwn(capacity);
}

std::span<uint8_t> RtspStreamParser::prepare() {
  if (!error_.empty()) return {};
  if (borrowed_) release();
  if (begin_ == end_) {
    begin_ = end_ = 0;
  } else if (begin_ > 0 && capacity_ - end_ < kCompactThreshold) {
    useOwn(0);
  }
  if (end_ == capacity_) {
    // A header block larger than the buffer so far (bounded by maxHeaderBytes in next()), or
    // a body or frame that next() has not sized the buffer for yet: grow.
    useOwn(capacity_ + kCompactThreshold);
  }
  return {buf_ + end_, capacity_ - end_};
}

std::span<uint8_t> RtspStreamParser::prepareIn(std::span<uint8_t> shared) {
  if (!error_.empty()) return {};
  if (borrowed_) release();  // a caller that skipped release(): stay correct
  size_t held = end_ - begin_;
  size_t needed = awaitingBody_ ? pendingHeaderSize_ + pendingBodySize_ : held;
  if (shared.size() < kMinSharedBuffer || held + kCompactThreshold > shared.size() ||
      needed > shared.size()) {
    return prepare();
  }
  std::memcpy(shared.data(), buf_ + begin_, held);
  buf_ = shared.data();
  capacity_ = shared.size();
  borrowed_ = true;
  begin_ = 0;
  end_ = held;
  return {buf_ + end_, capacity_ - end_};
}

void RtspStreamParser::release() {
  if (!borrowed_) return;
  size_t held = end_ - begin_;
  // Grows by doubling, so a camera's partial frames settle the size after a few reads.
  size_t want = held > own_.size() ? std::max(held, 2 * own_.size()) : 0;
  useOwn(want);
}

void RtspStreamParser::commit(size_t n) { end_ = std::min(end_ + n, capacity_); }

size_t RtspStreamParser::feed(const uint8_t* data, size_t size) {
  auto space = prepare();
  size_t n = std::min(space.size(), size);
  if (n > 0) std::memcpy(space.data(), data, n);
  commit(n);
  return n;
}

RtspStreamParser::Result RtspStreamParser::fail(std::string message) {
  error_ = std::move(message);
  return Result::Error;
}

RtspStreamParser::Result RtspStreamParser::next() {
  if (!error_.empty()) return Result::Error;
  size_t avail = end_ - begin_;
  const uint8_t* p = buf_ + begin_;

  if (awaitingBody_) {
    size_t total = pendingHeaderSize_ + pendingBodySize_;
    if (avail < total) {
      // A shared buffer gets the held bytes at its front on the next read: only a body
      // larger than it needs the own buffer.
      if (borrowed_ ? total > capacity_ : capacity_ - begin_ < total) useOwn(total);
      return Result::NeedMore;
    }
    const char* body = reinterpret_cast<const char*>(p + pendingHeaderSize_);
    (pendingIsRequest_ ? request_.body : response_.body).assign(body, pendingBodySize_);
    begin_ += total;
    awaitingBody_ = false;
    scanned_ = 0;
    return pendingIsRequest_ ? Result::Request : Result::Response;
  }

  if (avail == 0) return Result::NeedMore;

  if (p[0] == '$') {
    if (avail < 4) return Result::NeedMore;
    size_t len = (static_cast<size_t>(p[2]) << 8) | p[3];
    if (avail < 4 + len) {
      reserve(4 + len);  // once per connection at most: the buffer keeps its size
      return Result::NeedMore;
    }
    frame_ = RtspInterleavedFrame{p[1], p + 4, len};
    begin_ += 4 + len;
    scanned_ = 0;
    return Result::Interleaved;
  }

  if (!isTokenChar(static_cast<char>(p[0]))) {
    return fail(
        fmt::format("unexpected byte 0x{:02x} where an RTSP message or '$' frame should start", p[0]));
  }

  // Look for the blank line that ends the header block (CRLF CRLF, or bare LF LF from
  // sloppy cameras), rejecting binary data early instead of buffering 64 KiB of it.
  size_t limit = std::min(avail, limits_.maxHeaderBytes);
  size_t headerSize = 0;
  size_t i = scanned_;
  for (; i < limit; ++i) {
    uint8_t c = p[i];
    if ((c < 0x20 && c != '\r' && c != '\n' && c != '\t') || c == 0x7f) {
      return fail(fmt::format("binary byte 0x{:02x} inside an RTSP header block", c));
    }
    if (c != '\n') continue;
    if (i + 1 >= avail) break;
    if (p[i + 1] == '\n') {
      headerSize = i + 2;
      break;
    }
    if (p[i + 1] == '\r') {
      if (i + 2 >= avail) break;
      if (p[i + 2] == '\n') {
        headerSize = i + 3;
        break;
      }
    }
  }
  if (headerSize == 0) {
    scanned_ = i;
    if (avail >= limits_.maxHeaderBytes) {
      return fail(fmt::format("RTSP header block exceeds {} bytes", limits_.maxHeaderBytes));
    }
    return Result::NeedMore;
  }
  if (headerSize > limits_.maxHeaderBytes) {
    return fail(fmt::format("RTSP header block exceeds {} bytes", limits_.maxHeaderBytes));
  }
  return parseHeaderBlock(headerSize);
}

RtspStreamParser::Result RtspStreamParser::parseHeaderBlock(size_t headerSize) {
  std::string_view text(reinterpret_cast<const char*>(buf_ + begin_), headerSize);
  auto nextLine = [&text]() {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  };

  std::string_view startLine = nextLine();
  bool isRequest;
  RtspHeaders* headers;
  if (startLine.starts_with("RTSP/")) {
    isRequest = false;
    response_ = RtspResponse{};
    if (!splitStatusLine(startLine, response_)) return fail("malformed RTSP status line");
    headers = &response_.headers;
  } else {
    isRequest = true;
    request_ = RtspRequest{};
    if (!splitRequestLine(startLine, request_)) return fail("malformed RTSP request line");
    headers = &request_.headers;
  }

  std::vector<RtspHeaders::Field> fields;
  while (!text.empty()) {
    std::string_view line = nextLine();
    if (line.empty()) break;
    if (line.front() == ' ' || line.front() == '\t') {
      // Obsolete line folding: the line continues the previous value.
      if (fields.empty()) return fail("RTSP header continuation without a header");
      fields.back().value += ' ';
      fields.back().value += trim(line);
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || !isToken(line.substr(0, colon))) {
      return fail("malformed RTSP header line");
    }
    if (fields.size() >= limits_.maxHeaderCount) {
      return fail(fmt::format("more than {} RTSP headers", limits_.maxHeaderCount));
    }
    fields.push_back({std::string(line.substr(0, colon)), std::string(trim(line.substr(colon + 1)))});
  }
  for (auto& f : fields) headers->add(f.name, f.value);

  bool badCseq = false;
  cseqOf(*headers, &badCseq);
  if (badCseq) return fail("invalid CSeq header");

  size_t bodySize = 0;
  auto lengths = headers->getAll("Content-Length");
  for (auto value : lengths) {
    auto n = parseDecimal<uint64_t>(trim(value));
    if (!n) return fail("invalid Content-Length header");
    if (*n > limits_.maxBodyBytes) {
      return fail(fmt::format("Content-Length {} exceeds the {} byte limit", *n, limits_.maxBodyBytes));
    }
    if (value != lengths.front()) return fail("conflicting Content-Length headers");
    bodySize = static_cast<size_t>(*n);
  }

  awaitingBody_ = true;
  pendingIsRequest_ = isRequest;
  pendingHeaderSize_ = headerSize;
  pendingBodySize_ = bodySize;
  return next();
}

}  // namespace sluice::rtsp
