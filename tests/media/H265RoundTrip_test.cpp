// Clip -> a camera-like H.265 packetizer (APs for parameter sets, FUs of 1400 bytes) ->
// H265RtpIngest(1188) -> a viewer-side reassembly must give back every NAL unit, except that
// VPS/SPS/PPS move to right before the first IRAP slice and AUDs go; every fragmented NAL
// unit must leave in the fewest payloads, all full but the last.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <vector>

#include "media/AnnexB.h"
#include "media/H265.h"
#include "media/H265RtpIngest.h"
#include "media/RtpPacket.h"

using namespace sluice::media;

namespace {

using Bytes = std::vector<uint8_t>;
using NalList = std::vector<Bytes>;

constexpr size_t kCameraPayload = 1400, kMaxPayload = 1188;

Bytes readClip() {
  // libx265 320x240, 20 frames at 10 fps, IDR then CRA every 10 frames, 2 slices per frame,
  // AUDs, VPS/SPS/PPS repeated before every IRAP.
  std::ifstream in(SLUICE_SOURCE_DIR "/tests/media/data/clip_320x240_main.h265", std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<NalList> accessUnitsOf(const Bytes& clip) {
  std::vector<NalList> units;
  for (const auto& n : splitAnnexB(clip.data(), clip.size())) {
    if (h265::nalType(n.data) == h265::kAud || units.empty()) units.emplace_back();
    units.back().emplace_back(n.data, n.data + n.size);
  }
  return units;
}

struct Viewer : ShapedPacketSink {
  std::vector<NalList> received{1};
  Bytes fragment;
  size_t packets = 0, keyframeStarts = 0, fuPackets = 0;
  std::vector<uint32_t> timestamps;

  void onShapedPacket(const ShapedPacket& p) override {
    ++packets;
    EXPECT_LE(p.size, kMaxPayload);
    EXPECT_EQ(p.lostBefore, 0u);
    if (p.keyframeStart) ++keyframeStarts;
    const uint8_t* b = p.payload;
    uint8_t type = h265::nalType(b);
    NalList& au = received.back();
    if (type == h265::kAp) {
      for (size_t o = 2; o + 2 <= p.size;) {
        size_t n = readBe16(b + o);
        au.emplace_back(b + o + 2, b + o + 2 + n);
        o += 2 + n;
      }
    } else if (type == h265::kFu) {
      ++fuPackets;
      bool start = b[2] & 0x80, end = b[2] & 0x40;
      if (!end) {
        EXPECT_EQ(p.size, kMaxPayload) << "a fragment other than the last is not full";
      }
      if (start) fragment = {static_cast<uint8_t>((b[0] & 0x81) | ((b[2] & 0x3f) << 1)), b[1]};
      fragment.insert(fragment.end(), b + 3, b + p.size);
      if (end) au.push_back(fragment);
    } else {
      au.emplace_back(b, b + p.size);
    }
    if (p.marker) {
      timestamps.push_back(p.timestamp);
      received.emplace_back();
    }
  }
};

}  // namespace

TEST(H265RoundTrip, ClipSurvivesCameraPacketizationAndShaping) {
  Bytes clip = readClip();
  ASSERT_GT(clip.size(), 10000u) << "missing test clip";
  std::vector<NalList> units = accessUnitsOf(clip);
  ASSERT_EQ(units.size(), 20u);

  H265RtpIngest ingest(kMaxPayload);
  Viewer viewer;
  uint16_t sequence = 65000;  // wraps
  size_t cameraPackets = 0, minimalFuPackets = 0;
  Bytes packet;
  auto send = [&](const Bytes& payload, uint32_t ts, bool marker) {
    RtpHeader h;
    h.payloadType = 96;
    h.sequence = sequence++;
    h.timestamp = ts;
    h.marker = marker;
    packet.assign(12, 0);
    writeRtpHeader(packet.data(), h);
    packet.insert(packet.end(), payload.begin(), payload.end());
    ++cameraPackets;
    EXPECT_EQ(ingest.push(packet.data(), packet.size(), viewer), IngestError::None);
  };

  std::vector<NalList> expected;
  for (size_t i = 0; i < units.size(); ++i) {
    uint32_t ts = static_cast<uint32_t>(i * 9000);
    NalList want;
    bool prefixed = false;
    const NalList& au = units[i];
    Bytes ap = {h265::kAp << 1, 1};
    for (size_t k = 0; k < au.size(); ++k) {
      const Bytes& n = au[k];
      bool last = k + 1 == au.size();
      uint8_t type = h265::nalType(n.data());
      if (h265::isIrap(type) && !prefixed) {
        for (const Bytes* s : {&units[0][1], &units[0][2], &units[0][3]}) want.push_back(*s);
        prefixed = true;
      }
      if (type != h265::kAud && !h265::isParameterSet(type)) {
        want.push_back(n);
        size_t chunk = kMaxPayload - 3;
        if (n.size() > kMaxPayload) minimalFuPackets += (n.size() - 2 + chunk - 1) / chunk;
      }
      if (h265::isParameterSet(type)) {  // the camera aggregates its parameter sets
        ap.push_back(static_cast<uint8_t>(n.size() >> 8));
        ap.push_back(static_cast<uint8_t>(n.size()));
        ap.insert(ap.end(), n.begin(), n.end());
        if (type == h265::kPps) send(ap, ts, last);
        continue;
      }
      if (n.size() <= kCameraPayload) {
        send(n, ts, last);
        continue;
      }
      for (size_t o = 2; o < n.size(); o += kCameraPayload - 3) {
        size_t len = std::min(kCameraPayload - 3, n.size() - o);
        bool s = o == 2, e = o + len == n.size();
        Bytes fu = {static_cast<uint8_t>((n[0] & 0x81) | (h265::kFu << 1)), n[1],
                    static_cast<uint8_t>((s ? 0x80 : 0) | (e ? 0x40 : 0) | type)};
        fu.insert(fu.end(), n.begin() + o, n.begin() + o + len);
        send(fu, ts, last && e);
      }
    }
    expected.push_back(want);
  }
  viewer.received.pop_back();  // the empty list opened by the last marker
  ASSERT_EQ(viewer.received.size(), units.size());
  for (size_t i = 0; i < units.size(); ++i) {
    EXPECT_EQ(viewer.received[i], expected[i]) << "access unit " << i;
    EXPECT_EQ(viewer.timestamps[i], i * 9000);
  }
  EXPECT_EQ(viewer.keyframeStarts, 2u);
  EXPECT_EQ(ingest.keyframes(), 2u);
  EXPECT_EQ(viewer.fuPackets, minimalFuPackets);
  EXPECT_GT(minimalFuPackets, 0u);
  EXPECT_EQ(ingest.malformed() + ingest.unsupported() + ingest.truncatedNals(), 0u);
  std::printf("H.265 clip: %zu camera packets (FU %zu bytes) -> %zu shaped packets (max %zu)\n",
              cameraPackets, kCameraPayload, viewer.packets, kMaxPayload);
}
