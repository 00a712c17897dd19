#pragma once
// Writes what one session received as an Annex B H.264 file (--dump-h264), so a test can
// compare it NAL unit by NAL unit with what the camera sent. Reassembly is Sluice's own
// H264Depacketizer; the file starts at the first keyframe (a decoder could not use anything
// before it). Packets are fed in arrival order: an access unit whose packets arrive out of
// order (a NACK retransmission) is dropped by the depacketizer, so under loss the dump has
// holes — it is meant for loss-free runs.
#include <cstdint>
#include <cstdio>
#include <string>

#include "media/H264Depacketizer.h"

namespace sluice::load {

class H264Dump {
 public:
  H264Dump();
  ~H264Dump();
  H264Dump(const H264Dump&) = delete;
  H264Dump& operator=(const H264Dump&) = delete;

  bool open(const std::string& path, std::string& error);
  // One decrypted RTP packet.
  void push(const uint8_t* packet, size_t size);
  void close();

  uint64_t accessUnitsWritten() const { return written_; }
  uint64_t accessUnitsDropped() const { return depacketizer_.droppedAccessUnits(); }

 private:
  media::H264Depacketizer depacketizer_;
  std::FILE* file_ = nullptr;
  bool started_ = false;
  uint64_t written_ = 0;
};

}  // namespace sluice::load
