#pragma once
// Writes what one session received as an Annex B H.265 file (--dump-h265), so a test can
// decode it with ffmpeg: RFC 7798 single NAL units, APs (each NAL unit) and FUs (reassembled)
// become start code + NAL unit, from the first VPS or IRAP NAL unit on (Sluice, like any
// WebRTC sender, puts VPS/SPS/PPS before every IRAP, so the file starts decodable). A
// sequence gap abandons the NAL unit being reassembled rather than writing it torn; packets
// are taken in arrival order, so it is meant for loss-free runs, like H264Dump. The NAL
// buffer is sized once at open(): no allocation per packet.
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace sluice::load {

class H265Dump {
 public:
  static constexpr size_t kMaxNal = 4 << 20;

  H265Dump() = default;
  ~H265Dump();
  H265Dump(const H265Dump&) = delete;
  H265Dump& operator=(const H265Dump&) = delete;

  bool open(const std::string& path, std::string& error);
  // One decrypted RTP packet.
  void push(const uint8_t* packet, size_t size);
  void close();

  uint64_t nalUnitsWritten() const { return written_; }
  uint64_t nalUnitsDropped() const { return dropped_; }

 private:
  void writeNal(const uint8_t* nal, size_t size);

  std::FILE* file_ = nullptr;
  bool started_ = false;
  bool haveSequence_ = false;
  uint16_t lastSequence_ = 0;
  std::vector<uint8_t> fu_;  // the fragmented NAL unit being reassembled
  bool inFu_ = false;
  uint64_t written_ = 0, dropped_ = 0;
};

}  // namespace sluice::load
