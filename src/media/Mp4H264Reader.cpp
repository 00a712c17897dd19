#include "media/Mp4H264Reader.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <string_view>

#include "media/H264.h"

namespace sluice::media {

namespace {

constexpr uint32_t kMaxSamples = 1'000'000;

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
uint64_t be64(const uint8_t* p) { return (uint64_t{be32(p)} << 32) | be32(p + 4); }
uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

struct Failure {
  std::string message;
};

// A byte range of the file: a box's payload.
struct Range {
  const uint8_t* data = nullptr;
  size_t size = 0;
  void need(size_t n, const char* what) const {
    if (n > size) throw Failure{std::string("truncated '") + what + "' box"};
  }
};

struct Box {
  std::string type;
  Range payload;
};

// The child boxes of a range, every size checked.
std::vector<Box> children(Range r) {
  std::vector<Box> out;
  size_t pos = 0;
  while (pos < r.size) {
    if (r.size - pos < 8) throw Failure{"truncated box header"};
    uint64_t size = be32(r.data + pos);
    std::string type(reinterpret_cast<const char*>(r.data + pos + 4), 4);
    size_t header = 8;
    if (size == 1) {
      if (r.size - pos < 16) throw Failure{"truncated box header"};
      size = be64(r.data + pos + 8);
      header = 16;
    } else if (size == 0) {
      size = r.size - pos;  // to the end
    }
    if (size < header || size > r.size - pos) throw Failure{"box '" + type + "' runs past its container"};
    out.push_back({type, {r.data + pos + header, static_cast<size_t>(size - header)}});
    pos += static_cast<size_t>(size);
    if (out.size() > 100000) throw Failure{"too many boxes"};
  }
  return out;
}

const Box* find(const std::vector<Box>& boxes, std::string_view type) {
  for (const Box& b : boxes) {
    if (b.type == type) return &b;
  }
  return nullptr;
}

const Box& require(const std::vector<Box>& boxes, std::string_view type, std::string_view where) {
  const Box* b = find(boxes, type);
  if (!b) throw Failure{"no '" + std::string(type) + "' box in '" + std::string(where) + "'"};
  return *b;
}

// A full box's table: version/flags, a 32-bit entry count, then entries of `entrySize` bytes.
struct Table {
  uint8_t version = 0;
  uint32_t count = 0;
  const uint8_t* entries = nullptr;
};
Table table(const Box& b, size_t prefix, size_t entrySize) {
  b.payload.need(4 + prefix + 4, b.type.c_str());
  Table t;
  t.version = b.payload.data[0];
  t.count = be32(b.payload.data + 4 + prefix);
  t.entries = b.payload.data + 8 + prefix;
  if (t.count > (b.payload.size - 8 - prefix) / entrySize) {
    throw Failure{"'" + b.type + "' table runs past its box"};
  }
  return t;
}

struct Avc {
  std::vector<uint8_t> sps, pps;
  size_t lengthSize = 4;
};

Avc parseAvcC(Range r) {
  r.need(6, "avcC");
  Avc avc;
  avc.lengthSize = (r.data[4] & 3) + 1;
  if (avc.lengthSize == 3) throw Failure{"avcC: NAL length size of 3 bytes is not valid"};
  size_t pos = 5;
  for (int kind = 0; kind < 2; ++kind) {
    r.need(pos + 1, "avcC");
    size_t count = kind == 0 ? (r.data[pos] & 0x1f) : r.data[pos];
    ++pos;
    for (size_t i = 0; i < count; ++i) {
      r.need(pos + 2, "avcC");
      size_t n = be16(r.data + pos);
      r.need(pos + 2 + n, "avcC");
      std::vector<uint8_t>& target = kind == 0 ? avc.sps : avc.pps;
      if (target.empty() && n > 0) target.assign(r.data + pos + 2, r.data + pos + 2 + n);
      pos += 2 + n;
    }
  }
  return avc;
}

// Visual sample entry: 8 (SampleEntry) + 70 (VisualSampleEntry) bytes, then child boxes.
constexpr size_t kVisualSampleEntrySize = 78;

H264Clip readTrack(const std::vector<uint8_t>& file, const std::vector<Box>& mdia) {
  const Box& mdhd = require(mdia, "mdhd", "mdia");
  mdhd.payload.need(4, "mdhd");
  uint32_t timescale;
  if (mdhd.payload.data[0] == 1) {
    mdhd.payload.need(24, "mdhd");
    timescale = be32(mdhd.payload.data + 20);
  } else {
    mdhd.payload.need(16, "mdhd");
    timescale = be32(mdhd.payload.data + 12);
  }
  if (timescale == 0) throw Failure{"the video track's timescale is zero"};

  std::vector<Box> minf = children(require(mdia, "minf", "mdia").payload);
  std::vector<Box> stbl = children(require(minf, "stbl", "minf").payload);
  const Box& stsd = require(stbl, "stsd", "stbl");
  stsd.payload.need(8, "stsd");
  std::vector<Box> entries = children({stsd.payload.data + 8, stsd.payload.size - 8});
  if (entries.empty()) throw Failure{"empty 'stsd' box"};
  const Box& entry = entries.front();
  entry.payload.need(kVisualSampleEntrySize, entry.type.c_str());
  std::vector<Box> entryBoxes =
      children({entry.payload.data + kVisualSampleEntrySize, entry.payload.size - kVisualSampleEntrySize});
  Avc avc = parseAvcC(require(entryBoxes, "avcC", entry.type).payload);

  // Sample sizes.
  const Box& stsz = require(stbl, "stsz", "stbl");
  stsz.payload.need(12, "stsz");
  uint32_t fixedSize = be32(stsz.payload.data + 4);
  uint32_t sampleCount = be32(stsz.payload.data + 8);
  if (sampleCount == 0) throw Failure{"the video track has no samples (fragmented MP4 is not supported)"};
  if (sampleCount > kMaxSamples) throw Failure{"the video track has too many samples"};
  if (fixedSize == 0) stsz.payload.need(12 + size_t{sampleCount} * 4, "stsz");

  // Chunk offsets.
  std::vector<uint64_t> chunkOffsets;
  if (const Box* stco = find(stbl, "stco")) {
    Table t = table(*stco, 0, 4);
    for (uint32_t i = 0; i < t.count; ++i) chunkOffsets.push_back(be32(t.entries + size_t{i} * 4));
  } else if (const Box* co64 = find(stbl, "co64")) {
    Table t = table(*co64, 0, 8);
    for (uint32_t i = 0; i < t.count; ++i) chunkOffsets.push_back(be64(t.entries + size_t{i} * 8));
  } else {
    throw Failure{"no 'stco' or 'co64' box in 'stbl'"};
  }

  // Sample -> chunk.
  Table stsc = table(require(stbl, "stsc", "stbl"), 0, 12);
  if (stsc.count == 0) throw Failure{"empty 'stsc' table"};
  std::vector<uint64_t> sampleOffsets;
  sampleOffsets.reserve(sampleCount);
  for (uint32_t e = 0; e < stsc.count && sampleOffsets.size() < sampleCount; ++e) {
    uint32_t firstChunk = be32(stsc.entries + size_t{e} * 12);
    uint32_t perChunk = be32(stsc.entries + size_t{e} * 12 + 4);
    uint32_t lastChunk = e + 1 < stsc.count ? be32(stsc.entries + (size_t{e} + 1) * 12) - 1
                                            : static_cast<uint32_t>(chunkOffsets.size());
    if (firstChunk == 0 || firstChunk > chunkOffsets.size() || lastChunk > chunkOffsets.size() ||
        lastChunk + 1 < firstChunk || perChunk == 0) {
      throw Failure{"bad 'stsc' entry"};
    }
    for (uint32_t c = firstChunk; c <= lastChunk && sampleOffsets.size() < sampleCount; ++c) {
      uint64_t offset = chunkOffsets[c - 1];
      for (uint32_t s = 0; s < perChunk && sampleOffsets.size() < sampleCount; ++s) {
        size_t index = sampleOffsets.size();
        uint32_t size = fixedSize ? fixedSize : be32(stsz.payload.data + 12 + index * 4);
        sampleOffsets.push_back(offset);
        offset += size;
      }
    }
  }
  if (sampleOffsets.size() != sampleCount) {
    throw Failure{"'stsc' and 'stco' describe fewer samples than 'stsz'"};
  }

  // Decoding times.
  Table stts = table(require(stbl, "stts", "stbl"), 0, 8);
  std::vector<uint32_t> deltas;
  deltas.reserve(sampleCount);
  for (uint32_t e = 0; e < stts.count && deltas.size() < sampleCount; ++e) {
    uint32_t count = be32(stts.entries + size_t{e} * 8);
    uint32_t delta = be32(stts.entries + size_t{e} * 8 + 4);
    if (delta / 60 > timescale) throw Failure{"a frame lasts more than a minute ('stts')"};
    for (uint32_t i = 0; i < count && deltas.size() < sampleCount; ++i) deltas.push_back(delta);
  }
  while (deltas.size() < sampleCount) deltas.push_back(deltas.empty() ? timescale / 30 : deltas.back());

  // Presentation offsets (B-frames).
  std::vector<int64_t> ptsOffsets(sampleCount, 0);
  if (const Box* ctts = find(stbl, "ctts")) {
    Table t = table(*ctts, 0, 8);
    size_t index = 0;
    for (uint32_t e = 0; e < t.count && index < sampleCount; ++e) {
      uint32_t count = be32(t.entries + size_t{e} * 8);
      uint32_t raw = be32(t.entries + size_t{e} * 8 + 4);
      int64_t offset = t.version == 0 ? int64_t{raw} : int64_t{static_cast<int32_t>(raw)};
      for (uint32_t i = 0; i < count && index < sampleCount; ++i) ptsOffsets[index++] = offset;
    }
  }

  H264Clip clip;
  clip.sps = std::move(avc.sps);
  clip.pps = std::move(avc.pps);
  clip.frames.reserve(sampleCount);
  uint64_t dts = 0;
  for (uint32_t i = 0; i < sampleCount; ++i) {
    uint32_t size = fixedSize ? fixedSize : be32(stsz.payload.data + 12 + size_t{i} * 4);
    uint64_t offset = sampleOffsets[i];
    if (offset > file.size() || size > file.size() - offset) {
      throw Failure{"sample " + std::to_string(i + 1) + " lies outside the file"};
    }
    H264ClipFrame frame;
    const uint8_t* p = file.data() + offset;
    size_t pos = 0;
    while (pos < size) {
      if (size - pos < avc.lengthSize) {
        throw Failure{"sample " + std::to_string(i + 1) + ": truncated NAL length"};
      }
      size_t n = 0;
      for (size_t b = 0; b < avc.lengthSize; ++b) n = (n << 8) | p[pos + b];
      pos += avc.lengthSize;
      if (n > size - pos) {
        throw Failure{"sample " + std::to_string(i + 1) + ": NAL unit runs past the sample"};
      }
      if (n > 0) {
        frame.nals.push_back({p + pos, n});
        frame.idr = frame.idr || h264::nalType(p[pos]) == h264::kIdr;
      }
      pos += n;
    }
    uint64_t next = dts + deltas[i];
    // 90 kHz from the track's clock, cumulated so that rounding never drifts.
    frame.durationTicks = static_cast<uint32_t>(static_cast<unsigned __int128>(next) * 90000 / timescale -
                                                static_cast<unsigned __int128>(dts) * 90000 / timescale);
    int64_t pts = ptsOffsets[i] * 90000 / int64_t{timescale};
    frame.presentationOffset = static_cast<int32_t>(std::clamp<int64_t>(pts, -(1 << 30), 1 << 30));
    dts = next;
    if (!frame.nals.empty()) clip.frames.push_back(std::move(frame));
  }
  return clip;
}

std::string sampleEntryType(const std::vector<Box>& mdia) {
  const Box* minfBox = find(mdia, "minf");
  if (!minfBox) return "";
  std::vector<Box> minf = children(minfBox->payload);
  const Box* stblBox = find(minf, "stbl");
  if (!stblBox) return "";
  std::vector<Box> stbl = children(stblBox->payload);
  const Box* stsd = find(stbl, "stsd");
  if (!stsd || stsd->payload.size < 8) return "";
  std::vector<Box> entries = children({stsd->payload.data + 8, stsd->payload.size - 8});
  return entries.empty() ? "" : entries.front().type;
}

}  // namespace

Mp4ReadResult readMp4H264(std::vector<uint8_t> file) {
  Mp4ReadResult result;
  try {
    std::vector<Box> top = children({file.data(), file.size()});
    if (top.empty() || (top.front().type != "ftyp" && top.front().type != "moov")) {
      throw Failure{"not an MP4 file (it does not start with an 'ftyp' box)"};
    }
    const Box& moov = require(top, "moov", "the file");
    std::vector<Box> moovChildren = children(moov.payload);
    if (find(moovChildren, "mvex")) throw Failure{"fragmented MP4 is not supported"};
    std::optional<H264Clip> clip;
    size_t tracks = 0;
    for (const Box& trak : moovChildren) {
      if (trak.type != "trak") continue;
      ++tracks;
      std::vector<Box> trakChildren = children(trak.payload);
      std::vector<Box> mdia = children(require(trakChildren, "mdia", "trak").payload);
      std::string entry = sampleEntryType(mdia);
      if (clip || (entry != "avc1" && entry != "avc3")) {
        result.skipped.push_back(entry.empty() ? "unknown" : entry);
        continue;
      }
      clip = readTrack(file, mdia);
    }
    if (tracks == 0) throw Failure{"file does not contain any track"};
    if (!clip) throw Failure{"file has no H264 track (Sluice's streams are H264)"};
    clip->bytes = std::move(file);  // the frames' spans keep pointing into the same buffer
    if (!finishClip(*clip, result.error)) return result;
    result.clip = std::move(clip);
  } catch (const Failure& f) {
    result.error = f.message;
  }
  return result;
}

Mp4ReadResult readMp4H264File(const std::string& path) {
  Mp4ReadResult result;
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    result.error = "cannot open '" + path + "': " + std::strerror(errno);
    return result;
  }
  std::streamoff size = in.tellg();
  if (size < 0 || static_cast<uint64_t>(size) > kMaxMp4FileSize) {
    result.error = "'" + path + "' is larger than " + std::to_string(kMaxMp4FileSize >> 20) + " MB";
    return result;
  }
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), size)) {
    result.error = "cannot read '" + path + "'";
    return result;
  }
  return readMp4H264(std::move(bytes));
}

}  // namespace sluice::media
