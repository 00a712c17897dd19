#pragma once
// The built-in demo clip (assets/demo.h264, H.264 Annex-B, 1080p30), linked into the
// binary so `source: demo` works with no file and no camera.
#include <cstddef>
#include <cstdint>

namespace sluice::app {

struct EmbeddedClip {
  const uint8_t* data;
  size_t size;
};
EmbeddedClip demoClip();

}  // namespace sluice::app
