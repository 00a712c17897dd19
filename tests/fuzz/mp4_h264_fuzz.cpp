// module: media
// The MP4 reader behind alwaysAvailableFile (an operator's file): any bytes are either
// refused with a message or read into a clip whose every NAL unit lies inside the file, which
// starts at an IDR and has its parameter sets.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "media/Mp4H264Reader.h"

using namespace sluice;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  media::Mp4ReadResult r = media::readMp4H264(std::vector<uint8_t>(data, data + size));
  if (!r.clip) {
    if (r.error.empty()) std::abort();  // a refusal always says why
    return 0;
  }
  const media::H264Clip& clip = *r.clip;
  if (clip.frames.empty() || !clip.frames.front().idr || clip.sps.empty() || clip.pps.empty()) std::abort();
  const uint8_t* begin = clip.bytes.data();
  const uint8_t* end = begin + clip.bytes.size();
  for (const media::H264ClipFrame& f : clip.frames) {
    for (const media::NalUnitSpan& nal : f.nals) {
      if (nal.size == 0 || nal.data < begin || nal.data + nal.size > end) std::abort();
    }
  }
  return 0;
}
