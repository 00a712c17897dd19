// The entry point of libsluice-transcode.so, which media::createAudioTranscoder loads on the
// first stream that needs Opus made of AAC or G.711 (see media/AudioTranscoder.h for why it is
// a module). C linkage, so dlsym finds it by its plain name.
#include "media/AudioTranscoder.h"
#include "transcode/AudioOpusTranscoder.h"

extern "C" __attribute__((visibility("default"))) sluice::media::AudioTranscoder* sluice_create_audio_transcoder(
    const sluice::media::AudioTranscoderSpec* spec, std::string* error) {
  using Input = sluice::media::AudioTranscoderSpec::Input;
  using sluice::transcode::AudioOpusTranscoder;
  switch (spec->input) {
    case Input::Aac:
      return AudioOpusTranscoder::create(spec->aac, spec->clockRate, *error).release();
    case Input::G711MuLaw:
    case Input::G711ALaw:
      return AudioOpusTranscoder::createG711(spec->input == Input::G711MuLaw, spec->sampleRate, spec->channels,
                                             spec->clockRate, *error)
          .release();
  }
  *error = "unknown transcoder input";
  return nullptr;
}
