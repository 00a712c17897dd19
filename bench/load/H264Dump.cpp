#include "load/H264Dump.h"

#include <cerrno>
#include <cstring>

namespace sluice::load {

H264Dump::H264Dump()
    : depacketizer_([this](const media::H264AccessUnit& unit) {
        if (!file_) return;
        if (!started_ && !unit.keyframe) return;
        started_ = true;
        std::fwrite(unit.data, 1, unit.size, file_);
        ++written_;
      }) {}

H264Dump::~H264Dump() { close(); }

bool H264Dump::open(const std::string& path, std::string& error) {
  file_ = std::fopen(path.c_str(), "wb");
  if (!file_) {
    error = "cannot write " + path + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

void H264Dump::push(const uint8_t* packet, size_t size) {
  if (file_) depacketizer_.pushRtp(packet, size);
}

void H264Dump::close() {
  if (!file_) return;
  // An access unit still waiting for its marker is incomplete: leave it out.
  std::fclose(file_);
  file_ = nullptr;
}

}  // namespace sluice::load
