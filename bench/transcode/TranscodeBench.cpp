// sluice-transcode: CPU cost of AAC -> Opus and G.711 -> Opus transcoding
// (media/AudioOpusTranscoder), per 20 ms Opus frame, for the formats cameras send.
//
//   sluice-transcode [Google Benchmark flags]
//   e.g. --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
//
// The input is a 1 kHz tone encoded by libavcodec's AAC or G.711 encoder (the ones ffmpeg
// uses), 10 s of it (G.711 cut into 20 ms RTP payloads), fed in a loop with continuing
// timestamps so the transcoder never re-anchors. The
// figure is `cpu_per_frame` (printed with an SI prefix: 54.3u = 54.3 µs): thread CPU time
// per emitted 20 ms Opus packet (decode + resample
// + encode, everything AudioOpusTranscoder::push does). BM_OpusEncodeOnly isolates libopus's
// share at the same settings.
#include <benchmark/benchmark.h>
#include <opus.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "transcode/AudioOpusTranscoder.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>
#include <libavutil/log.h>
}

namespace {

using sluice::transcode::AudioOpusOptions;
using sluice::transcode::AudioOpusTranscoder;

struct EncodedAac {
  std::vector<uint8_t> config;  // AudioSpecificConfig
  std::vector<std::vector<uint8_t>> units;
  std::string error;
};

EncodedAac encodeTone(int rate, int channels, double seconds) {
  EncodedAac out;
  av_log_set_level(AV_LOG_ERROR);  // the encoder reports its statistics at info level
  const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_AAC);
  AVCodecContext* ctx = codec ? avcodec_alloc_context3(codec) : nullptr;
  if (!ctx) {
    out.error = "libavcodec has no AAC encoder";
    return out;
  }
  ctx->sample_rate = rate;
  av_channel_layout_default(&ctx->ch_layout, channels);
  ctx->sample_fmt = AV_SAMPLE_FMT_FLTP;
  ctx->bit_rate = channels == 1 ? 48000 : 128000;
  ctx->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  if (avcodec_open2(ctx, codec, nullptr) < 0) {
    out.error = "cannot open the AAC encoder";
    avcodec_free_context(&ctx);
    return out;
  }
  out.config.assign(ctx->extradata, ctx->extradata + ctx->extradata_size);
  AVFrame* frame = av_frame_alloc();
  AVPacket* packet = av_packet_alloc();
  frame->nb_samples = ctx->frame_size;
  frame->format = ctx->sample_fmt;
  av_channel_layout_copy(&frame->ch_layout, &ctx->ch_layout);
  av_frame_get_buffer(frame, 0);
  const int frames = static_cast<int>(seconds * rate / ctx->frame_size);
  int64_t n = 0;
  auto drain = [&] {
    while (avcodec_receive_packet(ctx, packet) == 0) {
      out.units.emplace_back(packet->data, packet->data + packet->size);
      av_packet_unref(packet);
    }
  };
  for (int f = 0; f < frames; ++f) {
    av_frame_make_writable(frame);
    for (int i = 0; i < frame->nb_samples; ++i, ++n) {
      const float v = 0.25f * static_cast<float>(std::sin(2 * M_PI * 1000.0 * double(n) / rate));
      for (int c = 0; c < channels; ++c) reinterpret_cast<float*>(frame->extended_data[c])[i] = v;
    }
    frame->pts = n;
    avcodec_send_frame(ctx, frame);
    drain();
  }
  avcodec_send_frame(ctx, nullptr);
  drain();
  av_packet_free(&packet);
  av_frame_free(&frame);
  avcodec_free_context(&ctx);
  return out;
}

struct CountingSink : sluice::media::OpusPacketSink {
  uint64_t packets = 0, bytes = 0;
  void onOpusPacket(const uint8_t*, size_t size, uint32_t) override {
    ++packets;
    bytes += size;
  }
};

// 20 ms G.711 payloads of a 1 kHz tone, from libavcodec's pcm_mulaw / pcm_alaw encoder.
std::vector<std::vector<uint8_t>> encodeG711Tone(bool muLaw, int rate, int channels, double seconds,
                                                 std::string& error) {
  std::vector<std::vector<uint8_t>> payloads;
  const AVCodec* codec = avcodec_find_encoder(muLaw ? AV_CODEC_ID_PCM_MULAW : AV_CODEC_ID_PCM_ALAW);
  AVCodecContext* ctx = codec ? avcodec_alloc_context3(codec) : nullptr;
  if (!ctx) {
    error = "libavcodec has no G.711 encoder";
    return payloads;
  }
  ctx->sample_rate = rate;
  av_channel_layout_default(&ctx->ch_layout, channels);
  ctx->sample_fmt = AV_SAMPLE_FMT_S16;
  if (avcodec_open2(ctx, codec, nullptr) < 0) {
    error = "cannot open the G.711 encoder";
    avcodec_free_context(&ctx);
    return payloads;
  }
  AVFrame* frame = av_frame_alloc();
  AVPacket* packet = av_packet_alloc();
  frame->nb_samples = rate / 50;
  frame->format = ctx->sample_fmt;
  av_channel_layout_copy(&frame->ch_layout, &ctx->ch_layout);
  av_frame_get_buffer(frame, 0);
  int64_t n = 0;
  for (int f = 0; f < static_cast<int>(seconds * 50); ++f) {
    av_frame_make_writable(frame);
    auto* pcm = reinterpret_cast<int16_t*>(frame->data[0]);
    for (int i = 0; i < frame->nb_samples; ++i, ++n) {
      const auto v = static_cast<int16_t>(8000 * std::sin(2 * M_PI * 1000.0 * double(n) / rate));
      for (int c = 0; c < channels; ++c) pcm[i * channels + c] = v;
    }
    frame->pts = n;
    avcodec_send_frame(ctx, frame);
    while (avcodec_receive_packet(ctx, packet) == 0) {
      payloads.emplace_back(packet->data, packet->data + packet->size);
      av_packet_unref(packet);
    }
  }
  av_packet_free(&packet);
  av_frame_free(&frame);
  avcodec_free_context(&ctx);
  if (payloads.empty()) error = "the G.711 encoder produced nothing";
  return payloads;
}

// Args: AAC sample rate, channels, libopus complexity.
void BM_AacToOpus(benchmark::State& state) {
  const int rate = static_cast<int>(state.range(0));
  const int channels = static_cast<int>(state.range(1));
  AudioOpusOptions options;
  options.complexity = static_cast<int>(state.range(2));
  EncodedAac aac = encodeTone(rate, channels, 10.0);
  if (!aac.error.empty()) {
    state.SkipWithError(aac.error.c_str());
    return;
  }
  std::string error;
  auto transcoder = AudioOpusTranscoder::create(aac.config.data(), aac.config.size(), rate, error, options);
  if (!transcoder) {
    state.SkipWithError(error.c_str());
    return;
  }
  CountingSink sink;
  uint32_t ts = 0;
  size_t i = 0;
  for (auto _ : state) {
    const auto& au = aac.units[i];
    transcoder->push(au.data(), au.size(), ts, sink);
    ts += 1024;
    if (++i == aac.units.size()) i = 0;
  }
  if (transcoder->decodeErrors() || transcoder->discontinuities()) state.SkipWithError("decode errors");
  state.counters["frames"] = static_cast<double>(sink.packets);
  state.counters["cpu_per_frame"] = benchmark::Counter(
      static_cast<double>(sink.packets), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["opus_kbps"] = sink.packets ? double(sink.bytes) * 8 / (sink.packets * 0.020) / 1000 : 0;
  state.SetLabel(std::to_string(rate) + " Hz " + std::to_string(channels) + " ch, opus complexity " +
                 std::to_string(options.complexity));
}

// Args: G.711 sample rate, channels, libopus complexity, 1 for mu-law (else A-law).
void BM_G711ToOpus(benchmark::State& state) {
  const int rate = static_cast<int>(state.range(0));
  const int channels = static_cast<int>(state.range(1));
  const bool muLaw = state.range(3) != 0;
  AudioOpusOptions options;
  options.complexity = static_cast<int>(state.range(2));
  std::string error;
  const auto payloads = encodeG711Tone(muLaw, rate, channels, 10.0, error);
  if (!error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  auto transcoder =
      AudioOpusTranscoder::createG711(muLaw, static_cast<uint32_t>(rate), static_cast<uint32_t>(channels),
                                      static_cast<uint32_t>(rate), error, options);
  if (!transcoder) {
    state.SkipWithError(error.c_str());
    return;
  }
  CountingSink sink;
  uint32_t ts = 0;
  size_t i = 0;
  for (auto _ : state) {
    const auto& p = payloads[i];
    transcoder->push(p.data(), p.size(), ts, sink);
    ts += static_cast<uint32_t>(p.size() / static_cast<size_t>(channels));
    if (++i == payloads.size()) i = 0;
  }
  if (transcoder->decodeErrors() || transcoder->discontinuities()) state.SkipWithError("decode errors");
  state.counters["frames"] = static_cast<double>(sink.packets);
  state.counters["cpu_per_frame"] = benchmark::Counter(
      static_cast<double>(sink.packets), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["opus_kbps"] = sink.packets ? double(sink.bytes) * 8 / (sink.packets * 0.020) / 1000 : 0;
  state.SetLabel(std::string(muLaw ? "PCMU " : "PCMA ") + std::to_string(rate) + " Hz " +
                 std::to_string(channels) + " ch, opus complexity " + std::to_string(options.complexity));
}

// libopus alone: one 20 ms frame of a 48 kHz tone. Args: channels, complexity.
void BM_OpusEncodeOnly(benchmark::State& state) {
  const int channels = static_cast<int>(state.range(0));
  int err = 0;
  OpusEncoder* enc = opus_encoder_create(48000, channels, OPUS_APPLICATION_AUDIO, &err);
  opus_encoder_ctl(enc, OPUS_SET_BITRATE(channels == 2 ? 64000 : 32000));
  opus_encoder_ctl(enc, OPUS_SET_COMPLEXITY(static_cast<int>(state.range(1))));
  std::vector<int16_t> pcm(48000 * channels);
  for (int i = 0; i < 48000; ++i)
    for (int c = 0; c < channels; ++c)
      pcm[i * channels + c] = int16_t(8000 * std::sin(2 * M_PI * 1000.0 * i / 48000));
  uint8_t out[1500];
  int offset = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(opus_encode(enc, pcm.data() + offset * channels, 960, out, sizeof out));
    offset = (offset + 960) % (48000 - 960);
  }
  opus_encoder_destroy(enc);
  state.counters["cpu_per_frame"] = benchmark::Counter(
      static_cast<double>(state.iterations()), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

}  // namespace

BENCHMARK(BM_AacToOpus)
    ->Args({48000, 2, 5})
    ->Args({48000, 2, 10})
    ->Args({44100, 2, 5})
    ->Args({16000, 1, 5})
    ->Args({8000, 1, 5})
    ->Args({8000, 1, 10});
BENCHMARK(BM_G711ToOpus)
    ->Args({16000, 1, 5, 1})
    ->Args({16000, 1, 5, 0})
    ->Args({16000, 1, 10, 1})
    ->Args({8000, 2, 5, 0});
BENCHMARK(BM_OpusEncodeOnly)->Args({2, 5})->Args({2, 10})->Args({1, 5})->Args({1, 10});

BENCHMARK_MAIN();
