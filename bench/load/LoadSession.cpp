#include "load/LoadSession.h"

#include <opus/opus.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

#include "core/Clock.h"
#include "core/Random.h"
#include "load/H264PayloadFlags.h"
#include "load/H265PayloadFlags.h"
#include "load/VideoTrackReception.h"
#include "load/WallClock.h"
#include "media/RtpPacket.h"
#include "media/Sdp.h"
#include "webrtc/StunMessage.h"

namespace sluice::load {
namespace {

namespace asio = boost::asio;
using webrtc::SocketAddress;

constexpr int64_t kReportIntervalUs = 1'000'000;  // RTCP RR, as browsers send them
constexpr int64_t kNackPollIntervalUs = 5'000;
// PLI: when no keyframe came within 2 s of connecting, at once after unrecoverable loss
// (but not more often than this), and again every 2 s while still waiting.
constexpr int64_t kFirstPliDelayUs = 2'000'000;
constexpr int64_t kPliRepeatUs = 2'000'000;
constexpr int64_t kMinPliSpacingUs = 500'000;
constexpr uint32_t kVideoClockRate = 90000;
// Draining is bounded per readiness so one busy session cannot starve the others on its thread.
constexpr int kMaxBatchesPerWakeup = 16;
constexpr size_t kMaxNacksPerPacket = 64;

const char* profileName(webrtc::SrtpProfile p) {
  return p == webrtc::SrtpProfile::AeadAes128Gcm ? "AEAD_AES_128_GCM" : "AES_CM_128_HMAC_SHA1_80";
}

}  // namespace

LoadSession::LoadSession(SessionSetup setup, asio::io_context& io, RecvBatch& batch)
    : setup_(std::move(setup)),
      socket_(io, setup_.fd),
      batch_(batch),
      ice_(IceAgent::Params{setup_.localUfrag, setup_.localPwd, setup_.answer.iceUfrag, setup_.answer.icePwd,
                            setup_.answer.candidates},
           [this](const uint8_t* data, size_t size, const SocketAddress& to) { sendTo(data, size, to); }),
      video_(counters_, kVideoClockRate),
      localSsrc_(core::random32()) {
  setup_.fd = -1;  // owned by socket_ now
  mediaSsrc_ = setup_.answer.videoSsrc;
  audioSsrc_ = setup_.answer.audioSsrc;
  counters_.index = setup_.index;
  counters_.videoCodec = setup_.answer.h265 ? "H265" : "H264";
  counters_.audioCodec = setup_.answer.audioCodec;
}

LoadSession::~LoadSession() = default;

void LoadSession::start() {
  const int64_t now = core::monotonicUs();
  if (!setup_.dumpPath.empty()) {
    std::string error;
    if (setup_.dumpH265 != setup_.answer.h265) {
      fail(std::string("--dump-") + (setup_.dumpH265 ? "h265" : "h264") + ": the answer chose " +
           counters_.videoCodec);
    } else if (setup_.dumpH265) {
      dump265_ = std::make_unique<H265Dump>();
      if (!dump265_->open(setup_.dumpPath, error)) {
        fail(error);
        dump265_.reset();
      }
    } else {
      dump_ = std::make_unique<H264Dump>();
      if (!dump_->open(setup_.dumpPath, error)) {
        fail(error);
        dump_.reset();
      }
    }
  }
  if (!setup_.timelinePath.empty()) {
    timeline_ = std::fopen(setup_.timelinePath.c_str(), "w");
    if (!timeline_) fail("cannot write " + setup_.timelinePath + ": " + std::strerror(errno));
  }
  webrtc::DtlsTransport::Callbacks callbacks;
  callbacks.sendDatagram = [this](const uint8_t* data, size_t size) {
    if (const SocketAddress* to = dtlsPeer_ ? &*dtlsPeer_ : mediaPeer()) sendTo(data, size, *to);
  };
  callbacks.onConnected = [this](const webrtc::DtlsKeys& keys) { onDtlsConnected(keys); };
  callbacks.onFailed = [this](std::string reason) { fail("DTLS: " + reason); };
  callbacks.onClosed = [this] {
    if (!closed_ && !ending_.load(std::memory_order_relaxed)) fail("server closed DTLS (close_notify)");
  };
  webrtc::DtlsOptions dtlsOptions;
  if (!setup_.srtpProfiles.empty()) dtlsOptions.srtpProfiles = setup_.srtpProfiles;
  dtls_ = std::make_unique<webrtc::DtlsTransport>(
      setup_.certificate, setup_.answer.dtlsRole, setup_.answer.fingerprintAlgorithm,
      setup_.answer.fingerprint, std::move(callbacks), dtlsOptions);
  // As DTLS server we only arm the transport: the peer's ClientHello may come as soon as its
  // own ICE checks succeed, before ours do. As client we wait for ICE (see tick()).
  if (setup_.answer.dtlsRole == webrtc::DtlsRole::Server) {
    dtls_->start();
    dtlsStarted_ = true;
  }
  ice_.start(now);
  armRead();
}

void LoadSession::armRead() {
  if (closed_) return;
  socket_.async_wait(asio::posix::stream_descriptor::wait_read,
                     [self = shared_from_this()](const boost::system::error_code& ec) {
                       if (!ec) self->onReadable();
                     });
}

void LoadSession::onReadable() {
  if (closed_) return;
  if (!drain()) {
    armRead();
    return;
  }
  // Still more queued but this session had its share: let the thread's other sockets run
  // first. The readiness edge is consumed, so continue by posting rather than waiting.
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->onReadable(); });
}

bool LoadSession::drain() {
  const int fd = socket_.native_handle();
  for (int round = 0; round < kMaxBatchesPerWakeup; ++round) {
    if (closed_) return false;
    const int64_t nowUs = core::monotonicUs();
    const size_t n = batch_.receive(fd, wallNowUs());
    for (size_t i = 0; i < n && !closed_; ++i) {
      if (batch_.truncated(i) || batch_.size(i) == 0) continue;
      onDatagram(batch_.data(i), batch_.size(i), batch_.from(i), batch_.fromLength(i), batch_.wallUs(i),
                 nowUs);
    }
    // Fewer than a full batch: the queue was empty a moment ago, and anything arriving
    // since then raises a new readiness event.
    if (n < RecvBatch::kBatch) return false;
  }
  return true;
}

void LoadSession::onDatagram(uint8_t* data, size_t size, const sockaddr* from, socklen_t fromLength,
                             int64_t wallUs, int64_t nowUs) {
  // RFC 7983 demultiplexing on the first byte. The sender's address matters only to ICE and
  // DTLS, so media packets skip copying it.
  const uint8_t b = data[0];
  if (b <= 3) {
    if (webrtc::isStun(data, size)) ice_.onStun(data, size, SocketAddress::from(from, fromLength), nowUs);
    return;
  }
  if (b >= 20 && b <= 63) {
    if (!dtls_) return;
    // As DTLS client we talk first, once ICE works; anything before that is not for us.
    if (!dtlsStarted_) return;
    dtlsPeer_ = SocketAddress::from(from, fromLength);
    dtls_->onDatagram(data, size);
    return;
  }
  if (b < 128 || b > 191 || !connected_.load(std::memory_order_relaxed)) return;
  if (media::looksLikeRtcp(data, size)) {
    onRtcp(data, size);
  } else {
    onRtp(data, size, wallUs, nowUs);
  }
}

bool LoadSession::isAudio(uint32_t ssrc, uint8_t payloadType) {
  if (setup_.answer.audioPayloadType < 0) return false;
  if (audioSsrc_ != 0) return ssrc == audioSsrc_;
  // No a=ssrc for audio in the answer: its payload type names the track (the offer's audio
  // payload types differ from the video ones).
  if (payloadType != setup_.answer.audioPayloadType) return false;
  audioSsrc_ = ssrc;
  return true;
}

void LoadSession::onAudioRtp(uint8_t* data, size_t size) {
  // Every Kth with --sample, as video; counted either way (authenticated or skipped).
  if (setup_.sample <= 1 || timeline_ || (sampleCounter_++ % setup_.sample) == 0) {
    const size_t n = srtpIn_.unprotectRtp(data, size);
    if (n == 0) {
      ++(srtpIn_.lastError() == webrtc::SrtpError::Replay ? counters_.audioDuplicates
                                                          : counters_.authFailures);
      return;
    }
    ++counters_.verified;
    if (timeline_) timelineAudio(data, n);
  }
  audio_.onPacket(media::readSequence(data), size);
}

void LoadSession::onRtp(uint8_t* data, size_t size, int64_t wallUs, int64_t nowUs) {
  if (size < media::kRtpFixedHeaderSize + tagLength_) return;
  const uint32_t ssrc = media::readSsrc(data);
  if (isAudio(ssrc, data[1] & 0x7f)) {
    onAudioRtp(data, size);
    return;
  }
  if (mediaSsrc_ == 0) mediaSsrc_ = ssrc;
  if (ssrc != mediaSsrc_) return;  // only the offered video track is counted
  const uint16_t seq = media::readSequence(data);
  const int64_t ext = video_.sequences().extend(seq);
  if (ext < 0) return;

  // --sample K skips the crypto of K-1 of K packets, except while a keyframe is awaited (its
  // payload must be read) and for the dumped session.
  const bool verify = setup_.sample <= 1 || video_.waitingKeyframe() || dump_ || dump265_ || timeline_ ||
                      (sampleCounter_++ % setup_.sample) == 0;
  uint8_t flags = 0;
  size_t plain = size - tagLength_;
  if (verify) {
    size_t n = srtpIn_.unprotectRtp(data, size);
    if (n == 0 && srtpIn_.lastError() == webrtc::SrtpError::Replay) {
      // Behind SrtpSession's 64-packet window: open it ourselves if it is a gap being filled.
      const auto state = video_.sequences().state(ext);
      if (state == SequenceTracker::State::Missing || state == SequenceTracker::State::Lost) {
        n = late_.unprotectRtp(data, size, static_cast<uint64_t>(ext));
        ++(n == 0 ? counters_.authFailures : counters_.lateDecrypted);
      } else {
        ++counters_.duplicates;
      }
      if (n == 0) return;
    } else if (n == 0) {
      ++counters_.authFailures;
      return;
    }
    plain = n;
    ++counters_.verified;
    media::RtpHeader header;
    const uint8_t* payload = nullptr;
    size_t payloadSize = 0;
    if (media::parseRtp(data, plain, header, payload, payloadSize) == media::RtpError::None) {
      flags = setup_.answer.h265 ? h265PayloadFlags(payload, payloadSize)
                                 : h264PayloadFlags(payload, payloadSize);
    } else {
      flags = payload_flags::kKnown;
    }
  }
  const uint32_t timestamp = media::readTimestamp(data);
  const bool marker = media::readMarker(data);
  const auto outcome = video_.onPacket(ext, timestamp, marker, flags, verify, size, wallUs, nowUs);
  if (outcome == VideoTrackReception::Outcome::Duplicate) return;
  // (nowUs is the batch's receive time, which may precede connectedUs_ in the same batch.)
  if (outcome == VideoTrackReception::Outcome::KeyframeCompleted && ttffUs_ < 0) {
    ttffUs_ = std::max(nowUs, connectedUs_) - setup_.postStartUs;
  }
  reception_.onPacket(seq, timestamp, static_cast<uint32_t>(nowUs * 9 / 100));
  if (dump_ && verify) dump_->push(data, plain);
  if (dump265_ && verify) dump265_->push(data, plain);
  if (timeline_ && verify) timelineVideo(plain, timestamp, marker, flags);
}

void LoadSession::onRtcp(uint8_t* data, size_t size) {
  const size_t n = srtpIn_.unprotectRtcp(data, size);
  if (n == 0) {
    if (srtpIn_.lastError() == webrtc::SrtpError::AuthFailure) ++counters_.authFailures;
    return;
  }
  ++counters_.rtcpReceived;
  media::parseRtcpCompound(data, n, *this);
}

void LoadSession::onSenderReport(uint32_t ssrc, uint64_t ntp, uint32_t rtpTimestamp, uint32_t, uint32_t) {
  if (audioSsrc_ != 0 && ssrc == audioSsrc_) {
    ++counters_.audioSenderReports;
    haveAudioSr_ = true;
    audioSrWallUs_ = ntpToUnixUs(ntp);
    audioSrRtp_ = rtpTimestamp;
    return;
  }
  if (mediaSsrc_ != 0 && ssrc != mediaSsrc_) return;
  ++counters_.senderReports;
  // Sluice's SR pairs the server's NTP "now" with the RTP time of that moment, so it maps any
  // RTP timestamp to the server's wall clock time of sending it (latency, the timeline).
  video_.onSenderReport(ntp, rtpTimestamp);
  reception_.onSenderReport(ntp, core::monotonicUs());
}

void LoadSession::onDtlsConnected(const webrtc::DtlsKeys& keys) {
  std::string error;
  if (!srtpIn_.init(keys.profile, keys.remoteKey.data(), keys.remoteSalt.data(), error) ||
      !srtpOut_.init(keys.profile, keys.localKey.data(), keys.localSalt.data(), error) ||
      !late_.init(keys.profile, keys.remoteKey.data(), keys.remoteSalt.data(), error)) {
    fail("SRTP: " + error);
    return;
  }
  tagLength_ = webrtc::srtpRtpTagLength(keys.profile);
  srtpProfile_ = profileName(keys.profile);
  const int64_t now = core::monotonicUs();
  connectedUs_ = now;
  nextReportUs_ = now + kReportIntervalUs;
  nextPliUs_ = now + kFirstPliDelayUs;
  nextNackPollUs_ = now;
  connected_.store(true, std::memory_order_relaxed);
}

void LoadSession::fail(std::string reason) {
  if (error_.empty()) error_ = std::move(reason);
  failed_.store(true, std::memory_order_relaxed);
}

const SocketAddress* LoadSession::mediaPeer() const {
  if (ice_.selected()) return &*ice_.selected();
  return dtlsPeer_ ? &*dtlsPeer_ : nullptr;
}

void LoadSession::sendTo(const uint8_t* data, size_t size, const SocketAddress& to) {
  if (closed_) return;
  ::sendto(socket_.native_handle(), data, size, MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&to.storage),
           to.length);
}

void LoadSession::sendRtcp(uint8_t* buffer, size_t length, size_t capacity) {
  const SocketAddress* to = mediaPeer();
  if (length == 0 || !to) return;
  const size_t n = srtpOut_.protectRtcp(buffer, length, capacity);
  if (n > 0) sendTo(buffer, n, *to);
}

void LoadSession::sendReceiverReport(int64_t nowUs) {
  uint8_t buffer[256];
  media::RtcpReportBlock block;
  size_t blocks = 0;
  if (mediaSsrc_ != 0 && reception_.started()) {
    reception_.fillReportBlock(mediaSsrc_, nowUs, block);
    blocks = 1;
  }
  size_t n = media::buildReceiverReport(buffer, sizeof(buffer), localSsrc_, &block, blocks);
  // RFC 3550 6.1: a compound packet carries an SDES CNAME.
  n += media::buildSdesCname(buffer + n, sizeof(buffer) - n - webrtc::SrtpSession::kMaxOverhead, localSsrc_,
                             "sluice-load");
  sendRtcp(buffer, n, sizeof(buffer));
  ++counters_.receiverReportsSent;
}

void LoadSession::sendNacks(int64_t nowUs) {
  uint16_t seqs[kMaxNacksPerPacket];
  const size_t count = video_.sequences().pollNacks(nowUs, seqs, kMaxNacksPerPacket);
  if (count > 0 && mediaSsrc_ != 0) {
    uint8_t buffer[12 + 4 * kMaxNacksPerPacket + webrtc::SrtpSession::kMaxOverhead];
    size_t n = media::buildNack(buffer, sizeof(buffer) - webrtc::SrtpSession::kMaxOverhead, localSsrc_,
                                mediaSsrc_, seqs, count);
    sendRtcp(buffer, n, sizeof(buffer));
    ++counters_.nacksSent;
  }
  // Loss NACKs could not repair leaves the decoder without references: ask for a keyframe.
  if (video_.sequences().takeNewlyLost() > 0) {
    video_.waitForKeyframe();
    nextPliUs_ = std::max(nowUs, lastPliUs_ + kMinPliSpacingUs);
  }
}

void LoadSession::sendPli(int64_t nowUs) {
  if (mediaSsrc_ == 0) return;
  uint8_t buffer[12 + webrtc::SrtpSession::kMaxOverhead];
  size_t n = media::buildPli(buffer, sizeof(buffer), localSsrc_, mediaSsrc_);
  sendRtcp(buffer, n, sizeof(buffer));
  ++counters_.plisSent;
  lastPliUs_ = nowUs;
  nextPliUs_ = nowUs + kPliRepeatUs;
}

void LoadSession::tick(int64_t nowUs) {
  if (closed_) return;
  ice_.tick(nowUs);
  if (!dtlsStarted_ && ice_.connected()) {
    dtls_->start();
    dtlsStarted_ = true;
  }
  if (dtls_) {
    auto due = dtls_->nextTimeout();
    if (due && due->count() <= 0) dtls_->onTimeout();
  }
  if (!connected_.load(std::memory_order_relaxed)) {
    if (!failed() && nowUs - setup_.postStartUs > setup_.connectTimeoutUs) {
      fail("not connected within " + std::to_string(setup_.connectTimeoutUs / 1'000'000) + " s (" +
           connectProgress() + ")");
    }
    return;
  }
  if (nowUs >= nextNackPollUs_) {
    sendNacks(nowUs);
    nextNackPollUs_ = nowUs + kNackPollIntervalUs;
  }
  if (video_.waitingKeyframe() && nowUs >= nextPliUs_) sendPli(nowUs);
  if (nowUs >= nextReportUs_) {
    sendReceiverReport(nowUs);
    nextReportUs_ = nowUs + kReportIntervalUs;
  }
}

std::string LoadSession::connectProgress() const {
  return "ICE: " + std::to_string(ice_.checksSent()) + " checks sent, " +
         std::to_string(ice_.responsesReceived()) + " answered" +
         (dtlsStarted_ ? "; DTLS handshake incomplete" : "");
}

void LoadSession::close() {
  if (closed_) return;
  closedUs_ = core::monotonicUs();
  if (dtls_ && dtls_->connected()) dtls_->close();  // close_notify, as a browser does on hang-up
  closed_ = true;
  boost::system::error_code ignored;
  socket_.cancel(ignored);
  if (dump_) dump_->close();
  if (dump265_) dump265_->close();
  if (timeline_) {
    flushTimelineUnit();
    std::fclose(timeline_);
    timeline_ = nullptr;
  }
}

// The timeline: one JSON object per line; `t` is the sender's wall clock (Unix seconds) of
// the RTP timestamp through the track's latest sender report (null before the first one),
// so a test can compare the tracks' instants (lip sync) without decoding the video.
void LoadSession::flushTimelineUnit() {
  if (unitBytes_ == 0) return;
  char t[32] = "null";
  if (int64_t sentUs = 0; video_.senderWallUs(unitTimestamp_, sentUs)) {
    std::snprintf(t, sizeof(t), "%.6f", static_cast<double>(sentUs) / 1e6);
  }
  std::fprintf(timeline_, "{\"track\":\"video\",\"rtp\":%u,\"t\":%s,\"bytes\":%llu,\"keyframe\":%s}\n",
               unitTimestamp_, t, static_cast<unsigned long long>(unitBytes_),
               unitKeyframe_ ? "true" : "false");
  unitBytes_ = 0;
  unitKeyframe_ = false;
}

void LoadSession::timelineVideo(size_t size, uint32_t timestamp, bool marker, uint8_t flags) {
  if (unitBytes_ > 0 && timestamp != unitTimestamp_) flushTimelineUnit();  // its marker was lost
  unitTimestamp_ = timestamp;
  unitBytes_ += size > media::kRtpFixedHeaderSize ? size - media::kRtpFixedHeaderSize : 0;
  if (flags & payload_flags::kIdr) unitKeyframe_ = true;
  if (marker) flushTimelineUnit();
}

void LoadSession::OpusDecoderDeleter::operator()(OpusDecoder* d) const { opus_decoder_destroy(d); }

void LoadSession::timelineAudio(const uint8_t* packet, size_t size) {
  media::RtpHeader header;
  const uint8_t* payload = nullptr;
  size_t n = 0;
  if (media::parseRtp(packet, size, header, payload, n) != media::RtpError::None) return;
  // The first sample louder than 2000 of 32767 (-1 if none): G.711 a byte a sample, Opus
  // decoded with libopus (mono mix of its 48 kHz output).
  const std::string& codec = setup_.answer.audioCodec;
  const bool ulaw = media::sdpTokenEquals(codec, "PCMU"), alaw = media::sdpTokenEquals(codec, "PCMA");
  long loudAt = -1;
  if (media::sdpTokenEquals(codec, "opus")) {
    int err = 0;
    if (!opus_) opus_.reset(opus_decoder_create(48000, 2, &err));
    static thread_local int16_t pcm[5760 * 2];
    const int frames =
        opus_ ? opus_decode(opus_.get(), payload, static_cast<opus_int32>(n), pcm, 5760, 0) : -1;
    for (int i = 0; i < frames; ++i) {
      if (std::abs(pcm[2 * i]) > 2000 || std::abs(pcm[2 * i + 1]) > 2000) {
        loudAt = i;
        break;
      }
    }
  }
  for (size_t i = 0; (ulaw || alaw) && i < n; ++i) {
    int magnitude;
    if (ulaw) {
      const uint8_t u = static_cast<uint8_t>(~payload[i]);
      magnitude = ((((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4)) - 0x84;
    } else {
      const uint8_t a = payload[i] ^ 0x55;
      const int segment = (a & 0x70) >> 4;
      const int mantissa = (a & 0x0f) << 4;
      magnitude = segment == 0 ? mantissa + 8 : (mantissa + 0x108) << (segment - 1);
    }
    if (magnitude > 2000) {
      loudAt = static_cast<long>(i);
      break;
    }
  }
  const uint32_t rate = setup_.answer.audioClockRate > 0 ? setup_.answer.audioClockRate : 8000;
  char t[32] = "null";
  if (haveAudioSr_) {
    std::snprintf(t, sizeof(t), "%.6f",
                  static_cast<double>(audioSrWallUs_) / 1e6 +
                      static_cast<double>(static_cast<int32_t>(header.timestamp - audioSrRtp_)) / rate);
  }
  std::fprintf(timeline_, "{\"track\":\"audio\",\"rtp\":%u,\"t\":%s,\"rate\":%u,\"loud_at\":%ld}\n",
               header.timestamp, t, rate, loudAt);
}

SessionResult LoadSession::result() const {
  SessionResult r = counters_;
  r.url = setup_.url;
  r.location = setup_.location;
  r.postStatus = setup_.postStatus;
  r.error = error_;
  r.connected = connectedUs_ > 0;
  r.iceLite = setup_.answer.iceLite;
  r.dtlsRole = setup_.answer.dtlsRole == webrtc::DtlsRole::Client ? "client" : "server";
  r.srtpProfile = srtpProfile_;
  r.startedS = setup_.startedS;
  const int64_t end = closedUs_ > 0 ? closedUs_ : core::monotonicUs();
  r.durationS = static_cast<double>(end - setup_.postStartUs) / 1e6;
  r.connectMs = connectedUs_ > 0 ? static_cast<double>(connectedUs_ - setup_.postStartUs) / 1e3 : -1;
  r.ttffMs = ttffUs_ >= 0 ? static_cast<double>(ttffUs_) / 1e3 : -1;
  r.iceRttUs = ice_.rttUs();
  r.iceRequestsAnswered = ice_.requestsAnswered();
  r.lost = video_.sequences().lost();
  r.nackedPackets = video_.sequences().nackedPackets();
  r.nackRequests = video_.sequences().nackRequests();
  r.discontinuities = video_.sequences().discontinuities();
  r.audioPackets = audio_.packets();
  r.audioBytes = audio_.bytes();
  r.audioLost = audio_.lost();
  r.audioDuplicates += audio_.duplicates();
  if (!r.connected && r.error.empty()) {
    r.error = "not connected when it was closed (" + connectProgress() + ")";
  }
  return r;
}

}  // namespace sluice::load
