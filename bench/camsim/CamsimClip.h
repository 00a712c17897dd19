#pragma once
// The clip every stream loops, packetized once at start-up into a wire-ready template.
//
// Each access unit becomes a run of RTP packets laid out exactly as they go out over RTSP
// interleaved TCP: '$', channel 0, 16-bit length, the 12-byte RTP header, the payload
// (H.264: RFC 6184 packetization-mode 1; H.265: RFC 7798 single NAL units and FUs). A stream
// copies a frame's run into its own buffer and patches sequence, timestamp and SSRC in place;
// TCP sessions on channels 0-1 then send that run as one buffer and UDP sessions send the
// packets 4 bytes in. So the codec work happens once per process, not per stream, frame or
// session.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sluice::camsim {

inline constexpr size_t kInterleavedPrefix = 4;  // '$', channel, 16-bit length

enum class CamsimCodec { H264, H265 };

struct CamsimClipFrame {
  size_t offset = 0;  // into the template
  size_t size = 0;    // bytes of the interleaved run
  uint32_t packets = 0;
  uint32_t payloadOctets = 0;  // RTP payload bytes, for sender reports
  bool keyframe = false;       // holds an IDR slice (H.265: an IRAP slice)
};

class CamsimClip {
 public:
  // Common camera MTU choice: 1400 + 12 + 8 + 20 stays under a 1500-byte Ethernet frame.
  static constexpr size_t kMaxPayload = 1400;
  static constexpr uint8_t kPayloadType = 96;

  // Reads an Annex-B file: H.265 when its name ends in .h265, .265 or .hevc, else H.264.
  // Fails (with `error`) when it cannot be read, has no access unit, no keyframe, or no
  // parameter sets for the SDP (SPS/PPS, and VPS for H.265).
  bool load(const std::string& path, std::string& error);

  CamsimCodec codec() const { return codec_; }
  const char* codecName() const { return codec_ == CamsimCodec::H265 ? "H.265" : "H.264"; }

  size_t frameCount() const { return frames_.size(); }
  const CamsimClipFrame& frame(size_t i) const { return frames_[i]; }
  const uint8_t* frameData(size_t i) const { return bytes_.data() + frames_[i].offset; }
  size_t maxFrameSize() const { return maxFrameSize_; }
  uint32_t maxFramePackets() const { return maxFramePackets_; }

  // RTP packets in one pass of the clip, and before frame i within a pass: a stream's
  // sequence number of any frame follows from these without counting at run time.
  uint64_t packetsPerLoop() const { return packetsPerLoop_; }
  uint64_t packetsBefore(size_t i) const { return packetsBefore_[i]; }
  // Frames from frame i to the next keyframe (0 when i is one), wrapping around the loop.
  size_t framesToKeyframe(size_t i) const { return toKeyframe_[i]; }

  uint32_t width() const { return width_; }
  uint32_t height() const { return height_; }
  const std::vector<uint8_t>& vps() const { return vps_; }  // H.265 only
  const std::vector<uint8_t>& sps() const { return sps_; }
  const std::vector<uint8_t>& pps() const { return pps_; }

 private:
  void appendPacket(const uint8_t* payload, size_t size, bool marker);
  bool packetizeH264(const std::vector<uint8_t>& file, std::string& error);
  bool packetizeH265(const std::vector<uint8_t>& file, std::string& error);

  std::vector<uint8_t> bytes_;
  std::vector<CamsimClipFrame> frames_;
  std::vector<uint64_t> packetsBefore_;
  std::vector<size_t> toKeyframe_;
  uint64_t packetsPerLoop_ = 0;
  size_t maxFrameSize_ = 0;
  uint32_t maxFramePackets_ = 0;
  uint32_t width_ = 0, height_ = 0;
  CamsimCodec codec_ = CamsimCodec::H264;
  std::vector<uint8_t> vps_, sps_, pps_;
};

}  // namespace sluice::camsim
