// module: rtsp
// An RTSP reader's send queue (RtspPlayQueue) against a stream fed by a misbehaving camera
// and drained by a socket that takes any part of what it is offered. The stream has an H.264
// and a PCMU track; the reader comes and goes, with any backlog limit and any subset of the
// tracks, and pins the history as the server's connection does (historyNeededFrom).
// Input: records of three bytes [selector][a][b]; the selector's low 3 bits pick:
//   0 a video frame (a bit 0: keyframe, bit 1: a sequence gap before it; payload 100 + 40 b
//     bytes, so up to ~9 packets once shaped), 1 an audio packet (a bit 1: a sequence gap),
//   2 a socket write as RtspServerConnection::flush makes it: gather up to a packets (0: 64),
//     the socket takes b of them (modulo), the rest are put back (mark, rewind, pop again),
//   3 the reader detaches, or attaches with limit 1 + a and tracks b & 3 (0 meaning both),
//   4 the clock moves a × 2 ms, 5 the source restarts (suspend + start),
//   6 the camera's video clock jumps by (a - 128) × 100 ms, 7 a sender report for track
//     a & 1 claiming b seconds past NTP second 1,000.
// Every record also moves the clock 1 ms. What the reader sends must be, per track, each
// packet once and in order (indexes only rise within one attachment), every packet the
// history's own entry at its index, on the track's channel, and after a skip the first video
// packet sent must start a keyframe.
#include <array>
#include <cstdlib>
#include <memory>
#include <vector>

#include "core/Log.h"
#include "media/Rtcp.h"
#include "media/RtpPacket.h"
#include "rtsp/RtspPlayQueue.h"
#include "stream/Stream.h"

using namespace sluice;
using namespace sluice::stream;

namespace {

int64_t gNowUs = 2'000'000'000;
int64_t fakeClock() { return gNowUs; }

constexpr uint8_t kChannel[2] = {0, 2};

struct PlayingReader : StreamReader {
  Stream* stream = nullptr;
  std::unique_ptr<rtsp::RtspPlayQueue> queue;  // owned while attached
  std::array<uint64_t, 2> sentNext{};          // per track: the lowest index it may send next
  uint64_t skipsAtLastVideo = 0;

  void attach(size_t limit, uint8_t which) {
    queue = std::make_unique<rtsp::RtspPlayQueue>(*stream, limit);
    TrackMask mask = 0;
    for (size_t t = 0; t < 2; ++t) {
      if (which != 0 && !(which & (1u << t))) continue;
      queue->addTrack(t, kChannel[t], t == 0);
      mask |= TrackMask{1} << t;
    }
    sentNext.fill(0);
    skipsAtLastVideo = 0;
    stream->addReader(this, mask);
  }
  void detach() {
    stream->removeReader(this);
    queue.reset();
  }
  void onStreamPacket(size_t track, const HistoryPacket& p) override {
    if (queue) queue->onPacket(track, p);
  }
  void onStreamEnded(const std::string&) override { queue.reset(); }
  uint64_t historyNeededFrom(size_t track) const override {
    return queue ? queue->neededFrom(track) : UINT64_MAX;
  }

  void checkSent(const HistoryPacket& p, uint8_t channel, uint64_t skipsBefore) {
    const size_t track = channel == kChannel[0] ? 0 : channel == kChannel[1] ? 1 : 2;
    if (track > 1) std::abort();
    if (p.index < sentNext[track]) std::abort();  // again, or out of order
    sentNext[track] = p.index + 1;
    if (track == 0) {
      if (skipsBefore != skipsAtLastVideo && !p.keyframeStart) std::abort();
      skipsAtLastVideo = skipsBefore;
    }
  }

  // One socket write: what flush() gathers, the socket takes `taken` of them.
  void write(size_t most, size_t takenSeed) {
    if (!queue) return;
    const rtsp::RtspPlayQueue::Mark mark = queue->mark();
    std::array<const HistoryPacket*, 64> gathered{};
    std::array<uint8_t, 64> channels{};
    std::array<uint64_t, 64> skips{};  // the queue's skips when each was gathered
    size_t n = 0;
    uint8_t channel = 0;
    while (n < most) {
      const HistoryPacket* p = queue->front(channel);
      if (!p) break;
      const StreamTrack* t = stream->findTrack(channel == kChannel[0] ? 0 : 1);
      if (!t || t->history().at(p->index) != p || p->size < 12 || p->size > kMaxRtpPacket) std::abort();
      gathered[n] = p;
      skips[n] = queue->skips();
      channels[n++] = channel;
      queue->pop();
    }
    const size_t taken = takenSeed % (n + 1);
    for (size_t i = 0; i < taken; ++i) checkSent(*gathered[i], channels[i], skips[i]);
    if (taken < n) {
      queue->rewind(mark);
      for (size_t i = 0; i < taken; ++i)
        if (queue->front(channel)) queue->pop();
    }
  }
};

StreamFormat format() {
  StreamFormat f;
  f.push_back(media::describeTrack(
      "video", 96, "H264", 90000, 0,
      "packetization-mode=1;sprop-parameter-sets=Z0LAH9oBQBboQAAAAwBAAAAPI8UKkg==,aM48gA=="));
  f.push_back(media::describeTrack("audio", 0, "PCMU", 8000, 1, ""));
  return f;
}

struct Camera {
  Stream& s;
  uint16_t vseq = 1, aseq = 500;
  uint32_t vts = 900000, ats = 80000;
  std::vector<uint8_t> packet = std::vector<uint8_t>(12 + 100 + 40 * 255);

  void send(size_t track, uint8_t pt, uint16_t seq, uint32_t ts, size_t payload, uint8_t first) {
    media::RtpHeader h;
    h.marker = true;
    h.payloadType = pt;
    h.sequence = seq;
    h.timestamp = ts;
    h.ssrc = track == 0 ? 1111 : 2222;
    media::writeRtpHeader(packet.data(), h);
    std::fill(packet.begin() + 12, packet.begin() + 12 + static_cast<long>(payload), 0x5a);
    packet[12] = first;
    s.ingestRtp(track, packet.data(), 12 + payload);
  }
  void frame(uint8_t a, uint8_t b) {
    if (a & 2) vseq += 3;
    send(0, 96, vseq++, vts, 100 + 40 * size_t{b}, (a & 1) ? 0x65 : 0x41);
    vts += 3000;
  }
  void audio(uint8_t a) {
    if (a & 2) aseq += 2;
    send(1, 0, aseq++, ats, 160, 0xff);
    ats += 160;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const StreamFormat kFormat = [] {
    log::setLevel(log::Level::Error);  // skip notices
    return format();
  }();
  // A small history: it wraps, and overwrites what a slow reader has not sent, within one input.
  Stream s("fuzz", 64, kMaxRtpPayload, fakeClock);
  s.start(kFormat);
  Camera cam{s};
  PlayingReader reader;
  reader.stream = &s;
  for (size_t at = 0; at + 3 <= size; at += 3) {
    const uint8_t selector = data[at], a = data[at + 1], b = data[at + 2];
    gNowUs += 1'000;
    switch (selector & 7) {
      case 0:
        cam.frame(a, b);
        break;
      case 1:
        cam.audio(a);
        break;
      case 2:
        reader.write(a == 0 ? 64 : std::min<size_t>(a, 64), b);
        break;
      case 3:
        if (reader.queue) {
          reader.detach();
        } else {
          reader.attach(1 + size_t{a}, b & 3);
        }
        break;
      case 4:
        gNowUs += 2'000 * int64_t{a};
        break;
      case 5:
        s.suspend("fuzz restart", 10'000'000);
        s.start(kFormat);
        break;
      case 6:
        cam.vts += static_cast<uint32_t>((int32_t{a} - 128) * 9000);
        break;
      case 7: {
        uint8_t sr[64];
        const size_t track = a & 1;
        const uint64_t ntp = (uint64_t{1000} + b) << 32;
        const size_t n = media::buildSenderReport(sr, sizeof(sr), track == 0 ? 1111 : 2222, ntp,
                                                  track == 0 ? cam.vts : cam.ats, 0, 0);
        s.ingestRtcp(track, sr, n);
        break;
      }
    }
  }
  s.stop("end of input");
  return 0;
}
