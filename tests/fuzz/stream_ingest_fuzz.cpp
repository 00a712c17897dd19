// module: stream
// Feeds a stream of four tracks (H.264, H.265, PCMU, AAC mpeg4-generic) with packets and
// sender reports in any order, with one reader taking every track and one taking only audio.
// Input: records of [u8 selector][u16 length][bytes]; the selector's low 2 bits pick the
// track, bit 2 RTP or RTCP, bit 3 a source restart (suspend + start) before it. Bit 4 of the
// first selector also transcodes the AAC track to Opus for both readers, through a stand-in
// transcoder (FuzzTranscoderModule.cpp): libavcodec's decoder would cost ~2 ms per input, and
// the real transcoder has audio_opus_transcoder_fuzz. A third reader comes and goes: bit 5
// attaches it (it catches up on the cached packets, paced by the fake clock) or detaches it,
// bit 6 starts or ends its hold on the history (as an RTSP reader whose socket is behind:
// historyNeededFrom is the first index it took since), bit 7 has it leave from inside its next
// packet. Every delivered packet must be a well-formed RTP packet of the track it was
// delivered for, with that track's SSRC, no larger than kMaxRtpPacket, the history's own entry
// at its index, and newer than the last one that reader got on that track since it attached.
#include <array>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/Log.h"
#include "media/RtpPacket.h"
#include "stream/Stream.h"

using namespace sluice;
using namespace sluice::stream;

namespace {

// Before the first stream asks for a transcoder: the module is loaded once per process.
const bool gStandInTranscoder = ::setenv("SLUICE_TRANSCODE_MODULE", SLUICE_FUZZ_TRANSCODE_MODULE, 1) == 0;

int64_t gNowUs = 1'000'000'000;
int64_t fakeClock() { return gNowUs; }

struct CheckingReader : StreamReader {
  Stream* stream = nullptr;
  size_t packets = 0;
  void onStreamPacket(size_t track, const HistoryPacket& p) override {
    if (p.size < 12 || p.size > kMaxRtpPacket) std::abort();
    const StreamTrack* t = stream->findTrack(track);
    if (!t || media::readSsrc(p.data) != t->ssrc()) std::abort();
    if (t->history().at(p.index) != &p) std::abort();  // handed from the history, never a stale copy
    if (media::readSequence(p.data) != static_cast<uint16_t>(p.index)) std::abort();
    // Whole-frame fan-out, catch-up and restarts never give a packet twice or out of order.
    if (track >= next.size() || p.index < next[track]) std::abort();
    next[track] = p.index + 1;
    ++packets;
  }
  std::array<uint64_t, kMaxTracks> next{};  // per track: the lowest index it may get next
  void onStreamEnded(const std::string&) override {}
};

// Joins late, may hold the history like an RTSP reader with a backlog, may leave mid-delivery.
struct LateReader : CheckingReader {
  bool attached = false;
  bool holding = false;
  bool leaveInsidePacket = false;
  std::array<uint64_t, kMaxTracks> heldFrom{};  // per track: first index taken while holding

  void attach(TrackMask mask) {
    next.fill(0);  // a new attach starts again at the cached keyframe
    attached = true;
    stream->addReader(this, mask);
  }
  void detach() {
    attached = false;
    stream->removeReader(this);
  }
  void hold(bool on) {
    holding = on;
    heldFrom.fill(UINT64_MAX);
  }
  void onStreamPacket(size_t track, const HistoryPacket& p) override {
    CheckingReader::onStreamPacket(track, p);
    if (holding && heldFrom[track] == UINT64_MAX) heldFrom[track] = p.index;
    if (leaveInsidePacket) {
      leaveInsidePacket = false;
      detach();
    }
  }
  void onStreamEnded(const std::string&) override { attached = false; }
  uint64_t historyNeededFrom(size_t track) const override {
    return holding && track < heldFrom.size() ? heldFrom[track] : UINT64_MAX;
  }
};

StreamFormat format() {
  StreamFormat f;
  f.push_back(media::describeTrack(
      "video", 96, "H264", 90000, 0,
      "packetization-mode=1;sprop-parameter-sets=Z0LAH9oBQBboQAAAAwBAAAAPI8UKkg==,aM48gA=="));
  f.push_back(media::describeTrack("video", 97, "H265", 90000, 0, ""));
  f.push_back(media::describeTrack("audio", 0, "PCMU", 8000, 1, ""));
  f.push_back(media::describeTrack("audio", 98, "mpeg4-generic", 48000, 1,
                                   "streamtype=5;profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;"
                                   "indexdeltalength=3;config=1188"));
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const StreamFormat kFormat = [] {
    log::setLevel(log::Level::Error);  // transcoder start/stop lines on every input
    if (!gStandInTranscoder) std::abort();
    return format();
  }();
  // A small history: it wraps within one input (more paths taken) and costs less per input.
  Stream s("fuzz", 64, kMaxRtpPayload, fakeClock);
  s.start(kFormat);
  CheckingReader all, audio;
  LateReader late;
  all.stream = audio.stream = late.stream = &s;
  const bool transcode = size > 0 && (data[0] & 0x10) != 0;
  const TrackMask sourceTracks = (TrackMask{1} << StreamTrack::kTranscodedBase) - 1;
  const TrackMask opus = transcode ? TrackMask{1} << (StreamTrack::kTranscodedBase + 3) : 0;
  s.addReader(&all, transcode ? kAllTracks : sourceTracks);
  s.addReader(&audio, (TrackMask{1} << 2) | opus);
  size_t at = 0;
  while (at + 3 <= size) {
    const uint8_t selector = data[at];
    const size_t n = std::min<size_t>((size_t{data[at + 1]} << 8) | data[at + 2], size - at - 3);
    const uint8_t* bytes = data + at + 3;
    at += 3 + n;
    gNowUs += 5'000;
    if (selector & 8) {
      s.suspend("fuzz restart", 10'000'000);
      s.start(kFormat);
    }
    if (selector & 0x20) {
      if (late.attached) {
        late.detach();
      } else {
        late.attach(transcode ? kAllTracks : sourceTracks);
      }
    }
    if (selector & 0x40) late.hold(!late.holding);
    if (selector & 0x80) late.leaveInsidePacket = late.attached;
    const size_t track = selector & 3;
    if (selector & 4) {
      s.ingestRtcp(track, bytes, n);
    } else {
      s.ingestRtp(track, bytes, n);
    }
  }
  s.stop("end of input");
  return 0;
}
