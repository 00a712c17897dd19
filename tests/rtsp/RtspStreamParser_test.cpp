#include "rtsp/RtspStreamParser.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <span>
#include <string>
#include <vector>

namespace sluice::rtsp {
namespace {

using Result = RtspStreamParser::Result;

void feedAll(RtspStreamParser& p, std::string_view bytes) {
  size_t n = p.feed(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  ASSERT_EQ(n, bytes.size());
}

// A server connection's parser starts at 4 KB (readers only send requests) and grows for what
// does not fit: a 60 KB interleaved frame, a 10 KB header block, fed in 1 KB reads.
TEST(RtspStreamParser, SmallInitialBufferGrowsForLargeFramesAndHeaders) {
  RtspStreamParser::Limits limits;
  limits.initialCapacity = 4 * 1024;
  limits.maxHeaderBytes = 16 * 1024;
  RtspStreamParser parser(limits);
  std::string bytes = "$";
  bytes += '\x02';
  bytes += static_cast<char>(60000 >> 8);
  bytes += static_cast<char>(60000 & 0xff);
  bytes += std::string(60000, 'x');
  bytes += "OPTIONS rtsp://h/ RTSP/1.0\r\nCSeq: 1\r\nX-Long: " + std::string(10000, 'a') + "\r\n\r\n";
  size_t fed = 0, frames = 0, requests = 0;
  while (fed < bytes.size() || parser.buffered() > 0) {
    Result r = parser.next();
    if (r == Result::Interleaved) {
      ++frames;
      EXPECT_EQ(parser.frame().size, 60000u);
      EXPECT_EQ(parser.frame().data[59999], 'x');
      continue;
    }
    if (r == Result::Request) {
      ++requests;
      EXPECT_EQ(parser.request().headers.get("X-Long").value_or("").size(), 10000u);
      continue;
    }
    ASSERT_EQ(r, Result::NeedMore) << parser.error();
    if (fed == bytes.size()) break;
    const size_t n = std::min<size_t>(1024, bytes.size() - fed);
    fed += parser.feed(reinterpret_cast<const uint8_t*>(bytes.data()) + fed, n);
  }
  EXPECT_EQ(frames, 1u);
  EXPECT_EQ(requests, 1u);
}

TEST(RtspStreamParser, ParsesResponseWithBody) {
  RtspStreamParser p;
  feedAll(p,
          "RTSP/1.0 200 OK\r\nCSeq: 2\r\ncontent-type: application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n");
  ASSERT_EQ(p.next(), Result::Response);
  EXPECT_EQ(p.response().statusCode, 200);
  EXPECT_EQ(p.response().reason, "OK");
  EXPECT_EQ(p.response().headers.get("Content-Type").value(), "application/sdp");
  EXPECT_EQ(cseqOf(p.response().headers).value(), 2u);
  EXPECT_EQ(p.response().body, "v=0\r\n");
  EXPECT_EQ(p.next(), Result::NeedMore);
  EXPECT_EQ(p.buffered(), 0u);
}

TEST(RtspStreamParser, ParsesRequestAndRoundTrips) {
  RtspRequest req;
  req.method = "SET_PARAMETER";
  req.uri = "rtsp://cam/x";
  req.headers.add("CSeq", "7");
  req.headers.add("Session", "abc");
  req.body = "a: b\r\n";
  std::string wire = req.serialize();
  EXPECT_NE(wire.find("Content-Length: 6\r\n"), std::string::npos);
  RtspStreamParser p;
  feedAll(p, wire);
  ASSERT_EQ(p.next(), Result::Request);
  EXPECT_EQ(p.request().method, "SET_PARAMETER");
  EXPECT_EQ(p.request().uri, "rtsp://cam/x");
  EXPECT_EQ(p.request().headers.get("session").value(), "abc");
  EXPECT_EQ(p.request().body, "a: b\r\n");
  EXPECT_EQ(p.request().serialize(), wire);
}

TEST(RtspStreamParser, ResponseSerializes) {
  RtspResponse res;
  res.statusCode = 461;
  res.reason = "Unsupported Transport";
  res.headers.add("CSeq", "3");
  EXPECT_EQ(res.serialize(), "RTSP/1.0 461 Unsupported Transport\r\nCSeq: 3\r\n\r\n");
}

TEST(RtspStreamParser, InterleavedFramesAndMessagesMixed) {
  std::string wire;
  wire += std::string("$\x01\x00\x03", 4) + "abc";
  wire += "RTSP/1.0 200 OK\r\nCSeq: 9\r\n\r\n";
  wire += std::string("$\x00\x00\x00", 4);
  RtspStreamParser p;
  feedAll(p, wire);
  ASSERT_EQ(p.next(), Result::Interleaved);
  EXPECT_EQ(p.frame().channel, 1);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(p.frame().data), p.frame().size), "abc");
  ASSERT_EQ(p.next(), Result::Response);
  EXPECT_EQ(cseqOf(p.response().headers).value(), 9u);
  ASSERT_EQ(p.next(), Result::Interleaved);
  EXPECT_EQ(p.frame().size, 0u);
  EXPECT_EQ(p.next(), Result::NeedMore);
}

TEST(RtspStreamParser, ByteByByte) {
  std::string wire =
      "RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Length: 3\r\n\r\nxyz" + std::string("$\x02\x00\x02", 4) + "hi";
  RtspStreamParser p;
  int responses = 0, frames = 0;
  for (char c : wire) {
    uint8_t b = static_cast<uint8_t>(c);
    ASSERT_EQ(p.feed(&b, 1), 1u);
    for (;;) {
      auto r = p.next();
      if (r == Result::NeedMore) break;
      ASSERT_NE(r, Result::Error) << p.error();
      if (r == Result::Response) {
        ++responses;
        EXPECT_EQ(p.response().body, "xyz");
      }
      if (r == Result::Interleaved) {
        ++frames;
        EXPECT_EQ(p.frame().channel, 2);
        EXPECT_EQ(p.frame().size, 2u);
      }
    }
  }
  EXPECT_EQ(responses, 1);
  EXPECT_EQ(frames, 1);
}

TEST(RtspStreamParser, ToleratesBareLineFeedsAndFolding) {
  RtspStreamParser p;
  feedAll(p, "RTSP/1.0 401 Unauthorized\nCSeq: 4\nWWW-Authenticate: Basic\n  realm=\"x\"\n\n");
  ASSERT_EQ(p.next(), Result::Response) << p.error();
  EXPECT_EQ(p.response().statusCode, 401);
  EXPECT_EQ(p.response().headers.get("WWW-Authenticate").value(), "Basic realm=\"x\"");
}

TEST(RtspStreamParser, MissingReasonPhraseAccepted) {
  RtspStreamParser p;
  feedAll(p, "RTSP/1.0 200\r\nCSeq: 1\r\n\r\n");
  ASSERT_EQ(p.next(), Result::Response) << p.error();
  EXPECT_EQ(p.response().reason, "");
}

TEST(RtspStreamParser, LargeBodyGrowsBuffer) {
  std::string body(300000, 'a');
  std::string wire = "RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Length: 300000\r\n\r\n" + body;
  RtspStreamParser p;
  size_t off = 0;
  Result r = Result::NeedMore;
  while (off < wire.size()) {
    auto space = p.prepare();
    ASSERT_FALSE(space.empty());
    size_t n = std::min(space.size(), wire.size() - off);
    std::memcpy(space.data(), wire.data() + off, n);
    p.commit(n);
    off += n;
    r = p.next();
    if (r != Result::NeedMore) break;
  }
  ASSERT_EQ(r, Result::Response) << p.error();
  EXPECT_EQ(p.response().body.size(), body.size());
}

// ---- malformed input ----

Result parseOnce(std::string_view wire, std::string* error = nullptr) {
  RtspStreamParser p;
  p.feed(reinterpret_cast<const uint8_t*>(wire.data()), wire.size());
  Result r = p.next();
  if (error) *error = p.error();
  return r;
}

// What a connection parses out of `bytes` arriving in reads of at most `readSize` bytes:
// one line per item (kind, channel or status, size and a checksum), "error: ..." at the end
// if the stream broke. With a shared buffer the reads go through prepareIn/release.
std::vector<std::string> parseInReads(RtspStreamParser& p, std::string_view bytes, size_t readSize,
                                      std::span<uint8_t> shared) {
  std::vector<std::string> items;
  size_t fed = 0;
  for (;;) {
    auto space = shared.empty() ? p.prepare() : p.prepareIn(shared);
    size_t n = std::min({readSize, space.size(), bytes.size() - fed});
    if (!space.empty()) std::memcpy(space.data(), bytes.data() + fed, n);
    p.commit(n);
    fed += n;
    for (Result r; (r = p.next()) != Result::NeedMore;) {
      if (r == Result::Error) {
        items.push_back("error: " + p.error());
        return items;
      }
      if (r == Result::Interleaved) {
        uint32_t sum = 0;
        for (size_t i = 0; i < p.frame().size; ++i) sum = sum * 31 + p.frame().data[i];
        items.push_back("frame " + std::to_string(p.frame().channel) + " " + std::to_string(p.frame().size) +
                        " " + std::to_string(sum));
      } else {
        items.push_back(r == Result::Request ? p.request().serialize() : p.response().serialize());
      }
    }
    p.release();
    if (fed == bytes.size()) return items;
  }
}

std::string frameBytes(uint8_t channel, size_t size, char fill) {
  std::string f = "$";
  f += static_cast<char>(channel);
  f += static_cast<char>(size >> 8);
  f += static_cast<char>(size & 0xff);
  for (size_t i = 0; i < size; ++i) f += static_cast<char>(fill + i % 7);
  return f;
}

// A camera's TCP stream read through a thread's shared buffer gives the same items as through
// the connection's own buffer, however the reads fall: 1,400-byte frames, a frame of the
// largest size, keepalive replies, and a reply whose body is larger than the shared buffer.
TEST(RtspStreamParser, SharedBufferGivesTheSameItemsAsTheOwnBuffer) {
  std::string bytes;
  for (int i = 0; i < 200; ++i) bytes += frameBytes(static_cast<uint8_t>(i % 4), 1400 + i % 3, 'a');
  bytes += "RTSP/1.0 200 OK\r\nCSeq: 7\r\n\r\n";
  bytes += frameBytes(0, 65535, 'k');
  bytes += "RTSP/1.0 200 OK\r\nCSeq: 8\r\nContent-Length: 100000\r\n\r\n" + std::string(100000, 'b');
  for (int i = 0; i < 50; ++i) bytes += frameBytes(1, 900, 'z');
  std::vector<uint8_t> shared(RtspStreamParser::kMinSharedBuffer);
  RtspStreamParser whole;
  const auto expected = parseInReads(whole, bytes, bytes.size(), {});
  ASSERT_EQ(expected.size(), 253u);
  for (size_t readSize : {1u, 3u, 1000u, 1460u, 4096u, 65536u, 200000u}) {
    SCOPED_TRACE(readSize);
    RtspStreamParser::Limits small;
    small.initialCapacity = 4 * 1024;
    RtspStreamParser own(small), borrowing(small);
    EXPECT_EQ(parseInReads(own, bytes, readSize, {}), expected);
    EXPECT_EQ(parseInReads(borrowing, bytes, readSize, shared), expected);
  }
}

// Between reads a connection keeps only its partial frame: 1,404-byte frames in 1,460-byte
// reads (a TCP segment each) leave its own buffer at its first 4 KB.
TEST(RtspStreamParser, SharedBufferKeepsOnlyAPartialFrameBetweenReads) {
  std::string bytes;
  for (int i = 0; i < 500; ++i) bytes += frameBytes(0, 1400, 'a');
  RtspStreamParser::Limits small;
  small.initialCapacity = 4 * 1024;
  RtspStreamParser p(small);
  std::vector<uint8_t> shared(RtspStreamParser::kMinSharedBuffer);
  auto items = parseInReads(p, bytes, 1460, shared);
  EXPECT_EQ(items.size(), 500u);
  EXPECT_EQ(p.ownCapacity(), 4u * 1024);
  EXPECT_EQ(p.buffered(), 0u);
}

// Bad bytes are reported the same way through a shared buffer, and the next connection using
// that buffer is not disturbed by what the broken one left in it.
TEST(RtspStreamParserMalformed, GarbageThroughSharedBufferFailsOnlyThatConnection) {
  std::vector<uint8_t> shared(RtspStreamParser::kMinSharedBuffer);
  RtspStreamParser broken, healthy;
  std::string bad = frameBytes(0, 100, 'a') + "\x01garbage" + frameBytes(0, 100, 'a');
  auto items = parseInReads(broken, bad, 4096, shared);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[1], "error: unexpected byte 0x01 where an RTSP message or '$' frame should start");
  std::string good = frameBytes(2, 300, 'q') + frameBytes(3, 30, 'r');
  auto healthyItems = parseInReads(healthy, good.substr(0, 200), 4096, shared);
  EXPECT_TRUE(healthyItems.empty());
  parseInReads(broken, bad, 4096, shared);  // overwrites the shared buffer
  healthyItems = parseInReads(healthy, good.substr(200), 4096, shared);
  RtspStreamParser reference;
  EXPECT_EQ(healthyItems, parseInReads(reference, good, good.size(), {}));
}

TEST(RtspStreamParserMalformed, TruncatedMessageNeedsMore) {
  EXPECT_EQ(parseOnce("RTSP/1.0 200 OK\r\nCSeq: 1\r\n"), Result::NeedMore);
  EXPECT_EQ(parseOnce("RTSP/1.0 200 OK\r\nContent-Length: 10\r\n\r\nabc"), Result::NeedMore);
  EXPECT_EQ(parseOnce(std::string("$\x00\x00\x10"
                                  "ab",
                                  6)),
            Result::NeedMore);
  EXPECT_EQ(parseOnce("$"), Result::NeedMore);
}

TEST(RtspStreamParserMalformed, HugeContentLength) {
  std::string err;
  EXPECT_EQ(parseOnce("RTSP/1.0 200 OK\r\nContent-Length: 1048577\r\n\r\n", &err), Result::Error);
  EXPECT_NE(err.find("Content-Length"), std::string::npos);
  EXPECT_EQ(parseOnce("RTSP/1.0 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n"), Result::Error);
  EXPECT_EQ(parseOnce("RTSP/1.0 200 OK\r\nContent-Length: -1\r\n\r\n"), Result::Error);
  EXPECT_EQ(parseOnce("RTSP/1.0 200 OK\r\nContent-Length: 12abc\r\n\r\n"), Result::Error);
  EXPECT_EQ(parseOnce("RTSP/1.0 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"), Result::Error);
}

TEST(RtspStreamParserMalformed, BadCseq) {
  std::string err;
  EXPECT_EQ(parseOnce("RTSP/1.0 200 OK\r\nCSeq: abc\r\n\r\n", &err), Result::Error);
  EXPECT_NE(err.find("CSeq"), std::string::npos);
  EXPECT_EQ(parseOnce("RTSP/1.0 200 OK\r\nCSeq: -1\r\n\r\n"), Result::Error);
  EXPECT_EQ(parseOnce("RTSP/1.0 200 OK\r\nCSeq: 4294967296\r\n\r\n"), Result::Error);
  EXPECT_EQ(parseOnce("RTSP/1.0 200 OK\r\nCSeq:\r\n\r\n"), Result::Error);
}

TEST(RtspStreamParserMalformed, GarbageBeforeDollar) {
  std::string err;
  EXPECT_EQ(parseOnce(std::string("\x01\x02$\x00\x00\x01x", 7), &err), Result::Error);
  EXPECT_NE(err.find("0x01"), std::string::npos);
  // Printable garbage then binary: fails as soon as the binary byte is seen.
  EXPECT_EQ(parseOnce(std::string("xx$\x00\x00\x04"
                                  "abcd",
                                  10)),
            Result::Error);
  EXPECT_EQ(parseOnce(std::string("\x80\x60\x00\x01", 4)), Result::Error);  // raw RTP, no framing
}

TEST(RtspStreamParserMalformed, BadStartLines) {
  EXPECT_EQ(parseOnce("RTSP/1.0 20 OK\r\n\r\n"), Result::Error);
  EXPECT_EQ(parseOnce("RTSP/1.0 abc OK\r\n\r\n"), Result::Error);
  EXPECT_EQ(parseOnce("RTSP/x 200 OK\r\n\r\n"), Result::Error);
  EXPECT_EQ(parseOnce("RTSP/1.0\r\n\r\n"), Result::Error);
  EXPECT_EQ(parseOnce("OPTIONS\r\n\r\n"), Result::Error);
  EXPECT_EQ(parseOnce("OPTIONS rtsp://x HTTP/1.1\r\n\r\n"), Result::Error);
  EXPECT_EQ(parseOnce("OPTIONS  RTSP/1.0\r\n\r\n"), Result::Error);
}

TEST(RtspStreamParserMalformed, BadHeaderLines) {
  EXPECT_EQ(parseOnce("RTSP/1.0 200 OK\r\nNoColonHere\r\n\r\n"), Result::Error);
  EXPECT_EQ(parseOnce("RTSP/1.0 200 OK\r\nBad Name: x\r\n\r\n"), Result::Error);
  EXPECT_EQ(parseOnce("RTSP/1.0 200 OK\r\n: x\r\n\r\n"), Result::Error);
  EXPECT_EQ(parseOnce("RTSP/1.0 200 OK\r\n folded-first\r\n\r\n"), Result::Error);
}

TEST(RtspStreamParserMalformed, OversizedHeaderBlock) {
  std::string wire = "RTSP/1.0 200 OK\r\n";
  while (wire.size() < 70000) wire += "X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
  RtspStreamParser p;
  size_t off = 0;
  Result r = Result::NeedMore;
  while (off < wire.size() && r == Result::NeedMore) {
    off += p.feed(reinterpret_cast<const uint8_t*>(wire.data()) + off, wire.size() - off);
    r = p.next();
  }
  EXPECT_EQ(r, Result::Error);
  EXPECT_NE(p.error().find("exceeds"), std::string::npos);
}

TEST(RtspStreamParserMalformed, TooManyHeaders) {
  std::string wire = "RTSP/1.0 200 OK\r\n";
  for (int i = 0; i < 300; ++i) wire += "A: b\r\n";
  wire += "\r\n";
  EXPECT_EQ(parseOnce(wire), Result::Error);
}

TEST(RtspStreamParserMalformed, ErrorIsSticky) {
  RtspStreamParser p;
  p.feed(reinterpret_cast<const uint8_t*>("\x00"), 1);
  EXPECT_EQ(p.next(), Result::Error);
  EXPECT_EQ(p.next(), Result::Error);
  EXPECT_TRUE(p.prepare().empty());
}

}  // namespace
}  // namespace sluice::rtsp
