// Clip -> AccessUnitSplitter -> H264Packetizer(1400) -> H264RtpIngest(1188) -> H264Depacketizer
// must give back every NAL unit, except that SPS/PPS move to right before the IDR and AUDs go.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <vector>

#include "media/AnnexB.h"
#include "media/H264.h"
#include "media/H264Depacketizer.h"
#include "media/H264Packetizer.h"
#include "media/H264RtpIngest.h"
#include "media/RtpPacket.h"

using namespace sluice::media;

namespace {

using Bytes = std::vector<uint8_t>;
using NalList = std::vector<Bytes>;

Bytes readClip() {
  // libx264 main profile 320x240, 20 frames, keyint 10, 2 slices per frame, AUDs, B-frames.
  std::ifstream in(SLUICE_SOURCE_DIR "/tests/media/data/clip_320x240_main.h264", std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

NalList nalsOf(const uint8_t* annexB, size_t size) {
  NalList out;
  for (const auto& n : splitAnnexB(annexB, size)) out.emplace_back(n.data, n.data + n.size);
  return out;
}

// What the ingest should deliver for one source access unit.
// In-band SPS/PPS are absorbed and put back in front of the first IDR slice, followed by the
// SEIs that came right before it (held, they share the parameter sets' payload).
NalList expectedAfterIngest(const std::vector<NalUnitSpan>& au, const Bytes& sps, const Bytes& pps) {
  NalList out, held;
  bool prefixed = false;
  for (const auto& n : au) {
    uint8_t type = h264::nalType(n.data[0]);
    if (h264::isParameterSet(type) || type == h264::kAud) continue;
    if (type == h264::kSei) {
      held.emplace_back(n.data, n.data + n.size);
      continue;
    }
    if (type == h264::kIdr && !prefixed) {
      out.push_back(sps);
      out.push_back(pps);
      prefixed = true;
    }
    out.insert(out.end(), held.begin(), held.end());
    held.clear();
    out.emplace_back(n.data, n.data + n.size);
  }
  out.insert(out.end(), held.begin(), held.end());
  return out;
}

struct Pipeline : ShapedPacketSink {
  H264RtpIngest ingest{1188};
  std::vector<NalList> received;
  std::vector<uint32_t> timestamps;
  size_t keyframeStarts = 0;
  uint16_t outSequence = 0;
  H264Depacketizer depacketizer{[this](const H264AccessUnit& au) {
    received.push_back(nalsOf(au.data, au.size));
    timestamps.push_back(au.timestamp);
  }};

  void onShapedPacket(const ShapedPacket& p) override {
    EXPECT_LE(p.size, 1188u);
    EXPECT_EQ(p.lostBefore, 0u);
    if (p.keyframeStart) ++keyframeStarts;
    EXPECT_EQ(depacketizer.push(p.payload, p.size, p.timestamp, outSequence++, p.marker),
              DepacketizeError::None);
  }
};

}  // namespace

TEST(H264RoundTrip, ClipSurvivesPacketizeShapeDepacketize) {
  Bytes clip = readClip();
  ASSERT_GT(clip.size(), 10000u) << "missing test clip";
  auto units = splitAccessUnits(clip.data(), clip.size());
  ASSERT_EQ(units.size(), 20u);

  Bytes sps, pps;
  for (const auto& n : units[0]) {
    if (h264::nalType(n.data[0]) == h264::kSps) sps.assign(n.data, n.data + n.size);
    if (h264::nalType(n.data[0]) == h264::kPps) pps.assign(n.data, n.data + n.size);
  }
  ASSERT_FALSE(sps.empty());
  ASSERT_FALSE(pps.empty());

  H264Packetizer packetizer(1400);
  Pipeline pipeline;
  Bytes packet(12 + packetizer.maxPayload());
  uint16_t sequence = 40000;
  size_t fragmentedNals = 0, idrUnits = 0;
  for (size_t i = 0; i < units.size(); ++i) {
    uint32_t timestamp = static_cast<uint32_t>(i * 3000);
    for (const auto& n : units[i]) {
      if (n.size > 1400) ++fragmentedNals;
    }
    packetizer.packetize(
        units[i].data(), units[i].size(), packet.data() + 12, [&](const uint8_t*, size_t size, bool marker) {
          EXPECT_LE(size, 1400u);
          RtpHeader h;
          h.payloadType = 96;
          h.sequence = sequence++;
          h.timestamp = timestamp;
          h.marker = marker;
          writeRtpHeader(packet.data(), h);
          EXPECT_EQ(pipeline.ingest.push(packet.data(), 12 + size, pipeline), IngestError::None);
        });
  }
  EXPECT_GT(fragmentedNals, 0u);  // the clip exercises FU-A re-fragmentation

  ASSERT_EQ(pipeline.received.size(), units.size());
  for (size_t i = 0; i < units.size(); ++i) {
    NalList expected = expectedAfterIngest(units[i], sps, pps);
    EXPECT_EQ(pipeline.received[i], expected) << "access unit " << i;
    EXPECT_EQ(pipeline.timestamps[i], i * 3000);
    for (const auto& n : units[i]) {
      if (h264::nalType(n.data[0]) == h264::kIdr) {
        ++idrUnits;
        break;
      }
    }
  }
  EXPECT_EQ(idrUnits, 2u);
  EXPECT_EQ(pipeline.keyframeStarts, idrUnits);
  EXPECT_EQ(pipeline.ingest.keyframes(), idrUnits);
  EXPECT_EQ(pipeline.ingest.idrWithoutParameterSets(), 0u);
  EXPECT_EQ(pipeline.depacketizer.droppedAccessUnits(), 0u);
  EXPECT_EQ(pipeline.ingest.lostPackets(), 0u);
}

// The 1080p demo clip as a camera sends it (FU-A of 1400 bytes): every NAL unit must leave
// the shaper in the fewest 1188-byte payloads (issue 9: a 1400-byte fragment used to become
// 1188 + 214).
TEST(H264RoundTrip, DemoClipLeavesInTheFewestPackets) {
  std::ifstream in(SLUICE_SOURCE_DIR "/assets/demo.h264", std::ios::binary);
  Bytes clip{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  ASSERT_GT(clip.size(), 100000u) << "missing demo clip";
  auto units = splitAccessUnits(clip.data(), clip.size());
  H264Packetizer packetizer(1400);
  Pipeline pipeline;
  Bytes packet(12 + packetizer.maxPayload());
  uint16_t sequence = 1;
  size_t cameraPackets = 0, minimal = 0;
  for (size_t i = 0; i < units.size(); ++i) {
    uint32_t timestamp = static_cast<uint32_t>(i * 3000);
    bool prefixed = false;
    size_t heldSeis = 0;  // an SEI right before the IDR rides in the [SPS, PPS, SEI] STAP-A
    for (const auto& n : units[i]) {
      uint8_t type = h264::nalType(n.data[0]);
      if (h264::isParameterSet(type) || type == h264::kAud) continue;
      if (type == h264::kSei) {
        ++heldSeis;
        continue;
      }
      if (type == h264::kIdr && !prefixed) {
        minimal += 1;  // the [SPS, PPS, SEI...] STAP-A
        prefixed = true;
      } else {
        minimal += heldSeis > 0 ? 1 : 0;  // held SEIs share one STAP-A
      }
      heldSeis = 0;
      minimal += n.size <= 1188 ? 1 : (n.size - 1 + 1186 - 1) / 1186;
    }
    packetizer.packetize(units[i].data(), units[i].size(), packet.data() + 12,
                         [&](const uint8_t*, size_t size, bool marker) {
                           RtpHeader h;
                           h.sequence = sequence++;
                           h.timestamp = timestamp;
                           h.marker = marker;
                           writeRtpHeader(packet.data(), h);
                           ++cameraPackets;
                           pipeline.ingest.push(packet.data(), 12 + size, pipeline);
                         });
  }
  EXPECT_EQ(pipeline.received.size(), units.size());
  EXPECT_EQ(pipeline.ingest.packetsOut(), minimal);
  std::printf("demo.h264 (%zu frames): %zu camera packets (FU-A 1400) -> %llu shaped packets (max 1188)\n",
              units.size(), cameraPackets, static_cast<unsigned long long>(pipeline.ingest.packetsOut()));
}
