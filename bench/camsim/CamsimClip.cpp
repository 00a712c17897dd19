#include "camsim/CamsimClip.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <iterator>
#include <string_view>

#include "media/AnnexB.h"
#include "media/H264.h"
#include "media/H264Packetizer.h"
#include "media/H264Sps.h"
#include "media/H265.h"
#include "media/H265Packetizer.h"
#include "media/H265Sps.h"
#include "media/RtpPacket.h"

namespace sluice::camsim {

bool CamsimClip::load(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = fmt::format("cannot open clip '{}'", path);
    return false;
  }
  std::vector<uint8_t> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto endsWith = [&](std::string_view suffix) {
    return path.size() >= suffix.size() &&
           path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  bool h265 = endsWith(".h265") || endsWith(".265") || endsWith(".hevc");
  codec_ = h265 ? CamsimCodec::H265 : CamsimCodec::H264;
  bytes_.clear();
  frames_.clear();
  vps_.clear();
  sps_.clear();
  pps_.clear();
  if (!(codec_ == CamsimCodec::H265 ? packetizeH265(file, error) : packetizeH264(file, error))) {
    error = fmt::format("clip '{}': {}", path, error);
    return false;
  }

  size_t n = frames_.size();
  auto firstKey = std::find_if(frames_.begin(), frames_.end(), [](auto& f) { return f.keyframe; });
  if (firstKey == frames_.end()) {
    error = fmt::format("clip '{}' has no keyframe (IDR/IRAP)", path);
    return false;
  }
  // Walking backwards from a keyframe and wrapping once fills every distance.
  toKeyframe_.assign(n, 0);
  size_t last = static_cast<size_t>(firstKey - frames_.begin()) + n;  // that keyframe, one pass later
  for (size_t k = 2 * n; k-- > 0;) {
    if (frames_[k % n].keyframe) last = k;
    if (k < n) toKeyframe_[k] = last - k;
  }

  packetsBefore_.resize(n);
  packetsPerLoop_ = 0;
  maxFrameSize_ = 0;
  maxFramePackets_ = 0;
  for (size_t i = 0; i < n; ++i) {
    packetsBefore_[i] = packetsPerLoop_;
    packetsPerLoop_ += frames_[i].packets;
    maxFrameSize_ = std::max(maxFrameSize_, frames_[i].size);
    maxFramePackets_ = std::max(maxFramePackets_, frames_[i].packets);
  }
  return true;
}

bool CamsimClip::packetizeH264(const std::vector<uint8_t>& file, std::string& error) {
  auto units = media::splitAccessUnits(file.data(), file.size());
  if (units.empty()) {
    error = "no H.264 access unit (Annex-B expected)";
    return false;
  }
  media::H264Packetizer packetizer(kMaxPayload);
  std::array<uint8_t, kMaxPayload> scratch{};
  for (const auto& nals : units) {
    CamsimClipFrame f;
    f.offset = bytes_.size();
    for (const auto& nal : nals) {
      uint8_t type = media::h264::nalType(nal.data[0]);
      if (type == media::h264::kIdr) f.keyframe = true;
      if (type == media::h264::kSps && sps_.empty()) sps_.assign(nal.data, nal.data + nal.size);
      if (type == media::h264::kPps && pps_.empty()) pps_.assign(nal.data, nal.data + nal.size);
    }
    packetizer.packetize(nals.data(), nals.size(), scratch.data(),
                         [&](const uint8_t* p, size_t n, bool marker) {
                           appendPacket(p, n, marker);
                           ++f.packets;
                           f.payloadOctets += static_cast<uint32_t>(n);
                         });
    f.size = bytes_.size() - f.offset;
    if (f.packets == 0) continue;
    frames_.push_back(f);
  }
  if (sps_.empty() || pps_.empty()) {
    error = "no SPS/PPS (needed for sprop-parameter-sets)";
    return false;
  }
  media::H264SpsInfo info;
  if (auto e = media::parseSps(sps_.data(), sps_.size(), info); e != media::SpsError::None) {
    error = fmt::format("bad SPS ({})", media::describe(e));
    return false;
  }
  width_ = info.width;
  height_ = info.height;
  return true;
}

bool CamsimClip::packetizeH265(const std::vector<uint8_t>& file, std::string& error) {
  auto units = media::splitH265AccessUnits(file.data(), file.size());
  if (units.empty()) {
    error = "no H.265 access unit (Annex-B expected)";
    return false;
  }
  media::H265Packetizer packetizer(kMaxPayload);
  for (const auto& nals : units) {
    CamsimClipFrame f;
    f.offset = bytes_.size();
    for (const auto& nal : nals) {
      uint8_t type = media::h265::nalType(nal.data);
      if (media::h265::isIrap(type)) f.keyframe = true;
      auto keep = [&](std::vector<uint8_t>& set) {
        if (set.empty()) set.assign(nal.data, nal.data + nal.size);
      };
      if (type == media::h265::kVps) keep(vps_);
      if (type == media::h265::kSps) keep(sps_);
      if (type == media::h265::kPps) keep(pps_);
    }
    packetizer.packetize(nals.data(), nals.size(), [&](const uint8_t* p, size_t n, bool marker) {
      appendPacket(p, n, marker);
      ++f.packets;
      f.payloadOctets += static_cast<uint32_t>(n);
    });
    f.size = bytes_.size() - f.offset;
    if (f.packets == 0) continue;
    frames_.push_back(f);
  }
  if (vps_.empty() || sps_.empty() || pps_.empty()) {
    error = "no VPS/SPS/PPS (needed for sprop-vps/sps/pps)";
    return false;
  }
  media::H265SpsInfo info;
  if (auto e = media::parseH265Sps(sps_.data(), sps_.size(), info); e != media::H265PsError::None) {
    error = fmt::format("bad SPS ({})", media::describe(e));
    return false;
  }
  width_ = info.width;
  height_ = info.height;
  return true;
}

void CamsimClip::appendPacket(const uint8_t* payload, size_t size, bool marker) {
  size_t at = bytes_.size();
  bytes_.resize(at + kInterleavedPrefix + media::kRtpFixedHeaderSize + size);
  uint8_t* p = bytes_.data() + at;
  p[0] = '$';
  p[1] = 0;
  media::writeBe16(p + 2, static_cast<uint16_t>(media::kRtpFixedHeaderSize + size));
  media::RtpHeader h;
  h.marker = marker;
  h.payloadType = kPayloadType;
  media::writeRtpHeader(p + kInterleavedPrefix, h);  // sequence, timestamp, SSRC patched per stream
  std::copy(payload, payload + size, p + kInterleavedPrefix + media::kRtpFixedHeaderSize);
}

}  // namespace sluice::camsim
