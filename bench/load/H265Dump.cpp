#include "load/H265Dump.h"

#include <cerrno>
#include <cstring>

#include "media/H265.h"
#include "media/RtpPacket.h"

namespace sluice::load {

namespace h265 = media::h265;

H265Dump::~H265Dump() { close(); }

bool H265Dump::open(const std::string& path, std::string& error) {
  file_ = std::fopen(path.c_str(), "wb");
  if (!file_) {
    error = "cannot write " + path + ": " + std::strerror(errno);
    return false;
  }
  fu_.reserve(kMaxNal);
  return true;
}

void H265Dump::writeNal(const uint8_t* nal, size_t size) {
  if (size < h265::kNalHeaderSize) return;
  const uint8_t type = h265::nalType(nal);
  if (!started_ && !(type == h265::kVps || h265::isIrap(type))) return;
  started_ = true;
  static constexpr uint8_t kStartCode[] = {0, 0, 0, 1};
  std::fwrite(kStartCode, 1, sizeof(kStartCode), file_);
  std::fwrite(nal, 1, size, file_);
  ++written_;
}

void H265Dump::push(const uint8_t* packet, size_t size) {
  if (!file_) return;
  media::RtpHeader header;
  const uint8_t* p = nullptr;
  size_t n = 0;
  if (media::parseRtp(packet, size, header, p, n) != media::RtpError::None || n < h265::kNalHeaderSize)
    return;
  if (haveSequence_ && header.sequence != static_cast<uint16_t>(lastSequence_ + 1) && inFu_) {
    inFu_ = false;  // a piece is missing: never write a torn NAL unit
    ++dropped_;
  }
  haveSequence_ = true;
  lastSequence_ = header.sequence;
  const uint8_t type = h265::nalType(p);
  if (h265::isSingleNal(type)) {
    writeNal(p, n);
  } else if (type == h265::kAp) {
    for (size_t offset = h265::kNalHeaderSize; offset + 2 <= n;) {
      const size_t length = media::readBe16(p + offset);
      offset += 2;
      if (length < h265::kNalHeaderSize || offset + length > n) break;
      writeNal(p + offset, length);
      offset += length;
    }
  } else if (type == h265::kFu && n > 3) {
    const uint8_t fuHeader = p[2];
    if (fuHeader & h265::kFuStart) {
      if (inFu_) ++dropped_;  // the previous one never ended
      fu_.clear();
      // The NAL header: the FU's, with the type from the FU header.
      fu_.push_back(static_cast<uint8_t>((p[0] & 0x81) | ((fuHeader & 0x3f) << 1)));
      fu_.push_back(p[1]);
      inFu_ = true;
    }
    if (!inFu_) return;
    if (fu_.size() + (n - 3) > kMaxNal) {
      inFu_ = false;
      ++dropped_;
      return;
    }
    fu_.insert(fu_.end(), p + 3, p + n);
    if (fuHeader & h265::kFuEnd) {
      writeNal(fu_.data(), fu_.size());
      inFu_ = false;
    }
  }
}

void H265Dump::close() {
  if (!file_) return;
  std::fclose(file_);
  file_ = nullptr;
}

}  // namespace sluice::load
