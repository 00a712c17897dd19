#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "media/Sdp.h"
#include "webrtc/WhepAnswer.h"
#include "webrtc/WhepOffer.h"

using namespace sluice::webrtc;
using sluice::media::kMaxSdpSize;
using sluice::media::MediaDescription;
using sluice::media::parseSdp;
using sluice::media::SdpCodec;
using sluice::media::SdpConnection;

namespace {

// Captured from Chromium 156 (Debian 12) as MediaMTX's player builds it: video and audio
// recvonly transceivers plus a data channel. No candidates: see TESTING.md.
constexpr const char* kChromium156Offer = R"sdp(v=0
o=- 764963173255709392 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0 1 2
a=extmap-allow-mixed
a=msid-semantic: WMS
m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 100 101 35 36 37 38 102 103 104 107 108 109 114 115 116 117 39 40 41 42 43 44 45 46 47 48 118 119 120 49
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=ice-ufrag:A7a/
a=ice-pwd:pO/cEuEQevulq8PNc/01psg4
a=ice-options:trickle
a=fingerprint:sha-256 15:11:B7:6A:B7:A8:D1:11:42:A4:52:1D:C9:7F:C5:D5:23:DD:49:AF:2A:3F:31:6A:D5:83:F6:D6:1E:35:AE:0D
a=setup:actpass
a=mid:0
a=extmap:1 urn:ietf:params:rtp-hdrext:toffset
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=extmap:3 urn:3gpp:video-orientation
a=extmap:4 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay
a=extmap:6 http://www.webrtc.org/experiments/rtp-hdrext/video-content-type
a=extmap:7 http://www.webrtc.org/experiments/rtp-hdrext/video-timing
a=extmap:8 http://www.webrtc.org/experiments/rtp-hdrext/color-space
a=extmap:9 urn:ietf:params:rtp-hdrext:sdes:mid
a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id
a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id
a=recvonly
a=rtcp-mux
a=rtcp-rsize
a=rtcp-xr:rcvr-rtt=all
a=rtpmap:96 VP8/90000
a=rtcp-fb:96 goog-remb
a=rtcp-fb:96 transport-cc
a=rtcp-fb:96 ccm fir
a=rtcp-fb:96 nack
a=rtcp-fb:96 nack pli
a=rtpmap:97 rtx/90000
a=fmtp:97 apt=96
a=rtpmap:98 VP9/90000
a=rtcp-fb:98 goog-remb
a=rtcp-fb:98 transport-cc
a=rtcp-fb:98 ccm fir
a=rtcp-fb:98 nack
a=rtcp-fb:98 nack pli
a=fmtp:98 profile-id=0
a=rtpmap:99 rtx/90000
a=fmtp:99 apt=98
a=rtpmap:100 VP9/90000
a=rtcp-fb:100 goog-remb
a=rtcp-fb:100 transport-cc
a=rtcp-fb:100 ccm fir
a=rtcp-fb:100 nack
a=rtcp-fb:100 nack pli
a=fmtp:100 profile-id=2
a=rtpmap:101 rtx/90000
a=fmtp:101 apt=100
a=rtpmap:35 VP9/90000
a=rtcp-fb:35 goog-remb
a=rtcp-fb:35 transport-cc
a=rtcp-fb:35 ccm fir
a=rtcp-fb:35 nack
a=rtcp-fb:35 nack pli
a=fmtp:35 profile-id=1
a=rtpmap:36 rtx/90000
a=fmtp:36 apt=35
a=rtpmap:37 VP9/90000
a=rtcp-fb:37 goog-remb
a=rtcp-fb:37 transport-cc
a=rtcp-fb:37 ccm fir
a=rtcp-fb:37 nack
a=rtcp-fb:37 nack pli
a=fmtp:37 profile-id=3
a=rtpmap:38 rtx/90000
a=fmtp:38 apt=37
a=rtpmap:102 H264/90000
a=rtcp-fb:102 goog-remb
a=rtcp-fb:102 transport-cc
a=rtcp-fb:102 ccm fir
a=rtcp-fb:102 nack
a=rtcp-fb:102 nack pli
a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f
a=rtpmap:103 rtx/90000
a=fmtp:103 apt=102
a=rtpmap:104 H264/90000
a=rtcp-fb:104 goog-remb
a=rtcp-fb:104 transport-cc
a=rtcp-fb:104 ccm fir
a=rtcp-fb:104 nack
a=rtcp-fb:104 nack pli
a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f
a=rtpmap:107 rtx/90000
a=fmtp:107 apt=104
a=rtpmap:108 H264/90000
a=rtcp-fb:108 goog-remb
a=rtcp-fb:108 transport-cc
a=rtcp-fb:108 ccm fir
a=rtcp-fb:108 nack
a=rtcp-fb:108 nack pli
a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f
a=rtpmap:109 rtx/90000
a=fmtp:109 apt=108
a=rtpmap:114 H264/90000
a=rtcp-fb:114 goog-remb
a=rtcp-fb:114 transport-cc
a=rtcp-fb:114 ccm fir
a=rtcp-fb:114 nack
a=rtcp-fb:114 nack pli
a=fmtp:114 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f
a=rtpmap:115 rtx/90000
a=fmtp:115 apt=114
a=rtpmap:116 H264/90000
a=rtcp-fb:116 goog-remb
a=rtcp-fb:116 transport-cc
a=rtcp-fb:116 ccm fir
a=rtcp-fb:116 nack
a=rtcp-fb:116 nack pli
a=fmtp:116 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f
a=rtpmap:117 rtx/90000
a=fmtp:117 apt=116
a=rtpmap:39 H264/90000
a=rtcp-fb:39 goog-remb
a=rtcp-fb:39 transport-cc
a=rtcp-fb:39 ccm fir
a=rtcp-fb:39 nack
a=rtcp-fb:39 nack pli
a=fmtp:39 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=4d001f
a=rtpmap:40 rtx/90000
a=fmtp:40 apt=39
a=rtpmap:41 H264/90000
a=rtcp-fb:41 goog-remb
a=rtcp-fb:41 transport-cc
a=rtcp-fb:41 ccm fir
a=rtcp-fb:41 nack
a=rtcp-fb:41 nack pli
a=fmtp:41 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=f4001f
a=rtpmap:42 rtx/90000
a=fmtp:42 apt=41
a=rtpmap:43 H264/90000
a=rtcp-fb:43 goog-remb
a=rtcp-fb:43 transport-cc
a=rtcp-fb:43 ccm fir
a=rtcp-fb:43 nack
a=rtcp-fb:43 nack pli
a=fmtp:43 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=f4001f
a=rtpmap:44 rtx/90000
a=fmtp:44 apt=43
a=rtpmap:45 AV1/90000
a=rtcp-fb:45 goog-remb
a=rtcp-fb:45 transport-cc
a=rtcp-fb:45 ccm fir
a=rtcp-fb:45 nack
a=rtcp-fb:45 nack pli
a=fmtp:45 level-idx=5;profile=0;tier=0
a=rtpmap:46 rtx/90000
a=fmtp:46 apt=45
a=rtpmap:47 AV1/90000
a=rtcp-fb:47 goog-remb
a=rtcp-fb:47 transport-cc
a=rtcp-fb:47 ccm fir
a=rtcp-fb:47 nack
a=rtcp-fb:47 nack pli
a=fmtp:47 level-idx=5;profile=1;tier=0
a=rtpmap:48 rtx/90000
a=fmtp:48 apt=47
a=rtpmap:118 red/90000
a=rtpmap:119 rtx/90000
a=fmtp:119 apt=118
a=rtpmap:120 ulpfec/90000
a=rtpmap:49 flexfec-03/90000
a=rtcp-fb:49 goog-remb
a=rtcp-fb:49 transport-cc
a=fmtp:49 repair-window=10000000
m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=ice-ufrag:A7a/
a=ice-pwd:pO/cEuEQevulq8PNc/01psg4
a=ice-options:trickle
a=fingerprint:sha-256 15:11:B7:6A:B7:A8:D1:11:42:A4:52:1D:C9:7F:C5:D5:23:DD:49:AF:2A:3F:31:6A:D5:83:F6:D6:1E:35:AE:0D
a=setup:actpass
a=mid:1
a=extmap:14 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=extmap:4 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
a=extmap:9 urn:ietf:params:rtp-hdrext:sdes:mid
a=recvonly
a=rtcp-mux
a=rtcp-rsize
a=rtcp-xr:rcvr-rtt=all
a=rtpmap:111 opus/48000/2
a=rtcp-fb:111 transport-cc
a=fmtp:111 minptime=10;useinbandfec=1
a=rtpmap:63 red/48000/2
a=fmtp:63 111/111
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:13 CN/8000
a=rtpmap:110 telephone-event/48000
a=rtpmap:126 telephone-event/8000
m=application 9 UDP/DTLS/SCTP webrtc-datachannel
c=IN IP4 0.0.0.0
a=ice-ufrag:A7a/
a=ice-pwd:pO/cEuEQevulq8PNc/01psg4
a=ice-options:trickle
a=fingerprint:sha-256 15:11:B7:6A:B7:A8:D1:11:42:A4:52:1D:C9:7F:C5:D5:23:DD:49:AF:2A:3F:31:6A:D5:83:F6:D6:1E:35:AE:0D
a=setup:actpass
a=mid:2
a=sctp-port:5000
a=max-message-size:262144
)sdp";

// A Chrome 12x offer in that era's payload-type layout, with the audio munging of MediaMTX's
// reader.js (stereo Opus, PCMU/PCMA /8000/2).
constexpr const char* kChrome12xOffer = R"sdp(v=0
o=- 4215775240449105457 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0 1 2
a=extmap-allow-mixed
a=msid-semantic: WMS
m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 104 105 106 107 108 109 127 125 39 40 45 46 98 99 100 101 112 113 116 117 118
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=ice-ufrag:Kx+9
a=ice-pwd:3b1Qv8R0u2mXJpZkX7Wq9e+T
a=ice-options:trickle
a=fingerprint:sha-256 A1:3C:5E:70:92:B4:D6:F8:1A:3C:5E:70:92:B4:D6:F8:0F:2E:4D:6C:8B:AA:C9:E8:07:26:45:64:83:A2:C1:E0
a=setup:actpass
a=mid:0
a=extmap:1 urn:ietf:params:rtp-hdrext:toffset
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=extmap:3 urn:3gpp:video-orientation
a=extmap:4 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay
a=extmap:6 http://www.webrtc.org/experiments/rtp-hdrext/video-content-type
a=extmap:7 http://www.webrtc.org/experiments/rtp-hdrext/video-timing
a=extmap:8 http://www.webrtc.org/experiments/rtp-hdrext/color-space
a=extmap:9 urn:ietf:params:rtp-hdrext:sdes:mid
a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id
a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id
a=recvonly
a=rtcp-mux
a=rtcp-rsize
a=rtpmap:96 VP8/90000
a=rtcp-fb:96 goog-remb
a=rtcp-fb:96 transport-cc
a=rtcp-fb:96 ccm fir
a=rtcp-fb:96 nack
a=rtcp-fb:96 nack pli
a=rtpmap:97 rtx/90000
a=fmtp:97 apt=96
a=rtpmap:102 H264/90000
a=rtcp-fb:102 goog-remb
a=rtcp-fb:102 transport-cc
a=rtcp-fb:102 ccm fir
a=rtcp-fb:102 nack
a=rtcp-fb:102 nack pli
a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f
a=rtpmap:103 rtx/90000
a=fmtp:103 apt=102
a=rtpmap:104 H264/90000
a=rtcp-fb:104 goog-remb
a=rtcp-fb:104 transport-cc
a=rtcp-fb:104 ccm fir
a=rtcp-fb:104 nack
a=rtcp-fb:104 nack pli
a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f
a=rtpmap:105 rtx/90000
a=fmtp:105 apt=104
a=rtpmap:106 H264/90000
a=rtcp-fb:106 goog-remb
a=rtcp-fb:106 transport-cc
a=rtcp-fb:106 ccm fir
a=rtcp-fb:106 nack
a=rtcp-fb:106 nack pli
a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f
a=rtpmap:107 rtx/90000
a=fmtp:107 apt=106
a=rtpmap:108 H264/90000
a=rtcp-fb:108 goog-remb
a=rtcp-fb:108 transport-cc
a=rtcp-fb:108 ccm fir
a=rtcp-fb:108 nack
a=rtcp-fb:108 nack pli
a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f
a=rtpmap:109 rtx/90000
a=fmtp:109 apt=108
a=rtpmap:127 H264/90000
a=rtcp-fb:127 goog-remb
a=rtcp-fb:127 transport-cc
a=rtcp-fb:127 ccm fir
a=rtcp-fb:127 nack
a=rtcp-fb:127 nack pli
a=fmtp:127 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f
a=rtpmap:125 rtx/90000
a=fmtp:125 apt=127
a=rtpmap:39 H264/90000
a=rtcp-fb:39 goog-remb
a=rtcp-fb:39 transport-cc
a=rtcp-fb:39 ccm fir
a=rtcp-fb:39 nack
a=rtcp-fb:39 nack pli
a=fmtp:39 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=4d001f
a=rtpmap:40 rtx/90000
a=fmtp:40 apt=39
a=rtpmap:45 AV1/90000
a=rtcp-fb:45 goog-remb
a=rtcp-fb:45 transport-cc
a=rtcp-fb:45 ccm fir
a=rtcp-fb:45 nack
a=rtcp-fb:45 nack pli
a=fmtp:45 level-idx=5;profile=0;tier=0
a=rtpmap:46 rtx/90000
a=fmtp:46 apt=45
a=rtpmap:98 VP9/90000
a=rtcp-fb:98 goog-remb
a=rtcp-fb:98 transport-cc
a=rtcp-fb:98 ccm fir
a=rtcp-fb:98 nack
a=rtcp-fb:98 nack pli
a=fmtp:98 profile-id=0
a=rtpmap:99 rtx/90000
a=fmtp:99 apt=98
a=rtpmap:100 VP9/90000
a=rtcp-fb:100 goog-remb
a=rtcp-fb:100 transport-cc
a=rtcp-fb:100 ccm fir
a=rtcp-fb:100 nack
a=rtcp-fb:100 nack pli
a=fmtp:100 profile-id=2
a=rtpmap:101 rtx/90000
a=fmtp:101 apt=100
a=rtpmap:112 H264/90000
a=rtcp-fb:112 goog-remb
a=rtcp-fb:112 transport-cc
a=rtcp-fb:112 ccm fir
a=rtcp-fb:112 nack
a=rtcp-fb:112 nack pli
a=fmtp:112 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=f4001f
a=rtpmap:113 rtx/90000
a=fmtp:113 apt=112
a=rtpmap:116 red/90000
a=rtpmap:117 rtx/90000
a=fmtp:117 apt=116
a=rtpmap:118 ulpfec/90000
m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126 114 115
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=ice-ufrag:Kx+9
a=ice-pwd:3b1Qv8R0u2mXJpZkX7Wq9e+T
a=ice-options:trickle
a=fingerprint:sha-256 A1:3C:5E:70:92:B4:D6:F8:1A:3C:5E:70:92:B4:D6:F8:0F:2E:4D:6C:8B:AA:C9:E8:07:26:45:64:83:A2:C1:E0
a=setup:actpass
a=mid:1
a=extmap:14 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=extmap:4 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
a=extmap:9 urn:ietf:params:rtp-hdrext:sdes:mid
a=recvonly
a=rtcp-mux
a=rtpmap:111 opus/48000/2
a=rtcp-fb:111 transport-cc
a=fmtp:111 minptime=10;useinbandfec=1;stereo=1;sprop-stereo=1
a=rtpmap:63 red/48000/2
a=fmtp:63 111/111
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:13 CN/8000
a=rtpmap:110 telephone-event/48000
a=rtpmap:126 telephone-event/8000
a=rtpmap:114 PCMU/8000/2
a=rtpmap:115 PCMA/8000/2
m=application 9 UDP/DTLS/SCTP webrtc-datachannel
c=IN IP4 0.0.0.0
a=ice-ufrag:Kx+9
a=ice-pwd:3b1Qv8R0u2mXJpZkX7Wq9e+T
a=ice-options:trickle
a=fingerprint:sha-256 A1:3C:5E:70:92:B4:D6:F8:1A:3C:5E:70:92:B4:D6:F8:0F:2E:4D:6C:8B:AA:C9:E8:07:26:45:64:83:A2:C1:E0
a=setup:actpass
a=mid:2
a=sctp-port:5000
a=max-message-size:262144
)sdp";

// Captured from aiortc 1.4 (Debian 12): per-section ICE credentials, host candidates.
constexpr const char* kAiortcOffer = R"sdp(v=0
o=- 4004287175 4004287175 IN IP4 0.0.0.0
s=-
t=0 0
a=group:BUNDLE 0 1
a=msid-semantic:WMS *
m=video 47748 UDP/TLS/RTP/SAVPF 97 98 99 100 101 102
c=IN IP4 192.0.2.2
a=recvonly
a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=mid:0
a=msid:50684648-6e88-44b7-a3fc-170611660aab c8eeec3f-ba79-4a53-ba53-0d07fb8ffd06
a=rtcp:9 IN IP4 0.0.0.0
a=rtcp-mux
a=ssrc-group:FID 411957150 283268522
a=ssrc:411957150 cname:26e65b4d-a62c-423e-84d2-dd7404166eca
a=ssrc:283268522 cname:26e65b4d-a62c-423e-84d2-dd7404166eca
a=rtpmap:97 VP8/90000
a=rtcp-fb:97 nack
a=rtcp-fb:97 nack pli
a=rtcp-fb:97 goog-remb
a=rtpmap:98 rtx/90000
a=fmtp:98 apt=97
a=rtpmap:99 H264/90000
a=rtcp-fb:99 nack
a=rtcp-fb:99 nack pli
a=rtcp-fb:99 goog-remb
a=fmtp:99 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f
a=rtpmap:100 rtx/90000
a=fmtp:100 apt=99
a=rtpmap:101 H264/90000
a=rtcp-fb:101 nack
a=rtcp-fb:101 nack pli
a=rtcp-fb:101 goog-remb
a=fmtp:101 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f
a=rtpmap:102 rtx/90000
a=fmtp:102 apt=101
a=candidate:f957a2332b1715da3b0ef8ba684454eb 1 udp 2130706431 192.0.2.2 47748 typ host
a=candidate:d0bcf3d9c29a2bc887618212a1623bfa 1 udp 2130706431 fd00::2 53664 typ host
a=end-of-candidates
a=ice-ufrag:wYcL
a=ice-pwd:PklPJHpwYukuRNZ4hF6t2z
a=fingerprint:sha-256 EB:20:09:A5:91:75:66:92:1E:96:50:96:0A:41:24:E4:01:66:64:DB:3C:4D:6D:DB:05:2D:BB:31:C8:F4:AA:E6
a=setup:actpass
m=audio 46427 UDP/TLS/RTP/SAVPF 96 0 8
c=IN IP4 192.0.2.2
a=recvonly
a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid
a=extmap:2 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=mid:1
a=msid:50684648-6e88-44b7-a3fc-170611660aab f3db2b0a-9b4c-4496-b424-04c8624eedbd
a=rtcp:9 IN IP4 0.0.0.0
a=rtcp-mux
a=ssrc:460781636 cname:26e65b4d-a62c-423e-84d2-dd7404166eca
a=rtpmap:96 opus/48000/2
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=candidate:f957a2332b1715da3b0ef8ba684454eb 1 udp 2130706431 192.0.2.2 46427 typ host
a=candidate:d0bcf3d9c29a2bc887618212a1623bfa 1 udp 2130706431 fd00::2 45363 typ host
a=end-of-candidates
a=ice-ufrag:S0Rq
a=ice-pwd:LKvEZXTRqkWRTjIk8nNSzf
a=fingerprint:sha-256 EB:20:09:A5:91:75:66:92:1E:96:50:96:0A:41:24:E4:01:66:64:DB:3C:4D:6D:DB:05:2D:BB:31:C8:F4:AA:E6
a=setup:actpass
)sdp";

// A Firefox 128-style offer: session-level fingerprint and direction, fmtp before rtpmap.
constexpr const char* kFirefoxOffer = R"sdp(v=0
o=mozilla...THIS_IS_SDPARTA-128.0 5271393826473093318 0 IN IP4 0.0.0.0
s=-
t=0 0
a=sendrecv
a=fingerprint:sha-256 9C:5E:3A:4B:11:07:DE:F1:62:0B:3C:8A:77:40:AB:19:5D:E2:C6:0F:81:94:3B:7A:20:DD:6E:15:C8:49:F3:02
a=group:BUNDLE 0 1 2
a=ice-options:trickle
a=msid-semantic:WMS *
m=video 9 UDP/TLS/RTP/SAVPF 120 124 121 125 126 127 97 98 123 122 119
c=IN IP4 0.0.0.0
a=recvonly
a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid
a=extmap:4 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=extmap:5 urn:ietf:params:rtp-hdrext:toffset
a=extmap:6/recvonly http://www.webrtc.org/experiments/rtp-hdrext/playout-delay
a=extmap:7 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
a=fmtp:126 profile-level-id=42e01f;level-asymmetry-allowed=1;packetization-mode=1
a=fmtp:97 profile-level-id=42e01f;level-asymmetry-allowed=1
a=fmtp:120 max-fs=12288;max-fr=60
a=fmtp:124 apt=120
a=fmtp:121 max-fs=12288;max-fr=60
a=fmtp:125 apt=121
a=fmtp:127 apt=126
a=fmtp:98 apt=97
a=fmtp:119 apt=122
a=ice-pwd:6c8f3e8b2d1a4f0e9b7c5a3d1e2f4a6b
a=ice-ufrag:1f3b5d7a
a=mid:0
a=rtcp-fb:120 nack
a=rtcp-fb:120 nack pli
a=rtcp-fb:120 ccm fir
a=rtcp-fb:120 goog-remb
a=rtcp-fb:120 transport-cc
a=rtcp-fb:121 nack
a=rtcp-fb:121 nack pli
a=rtcp-fb:121 ccm fir
a=rtcp-fb:121 goog-remb
a=rtcp-fb:121 transport-cc
a=rtcp-fb:126 nack
a=rtcp-fb:126 nack pli
a=rtcp-fb:126 ccm fir
a=rtcp-fb:126 goog-remb
a=rtcp-fb:126 transport-cc
a=rtcp-fb:97 nack
a=rtcp-fb:97 nack pli
a=rtcp-fb:97 ccm fir
a=rtcp-fb:97 goog-remb
a=rtcp-fb:97 transport-cc
a=rtcp-fb:123 nack
a=rtcp-fb:123 nack pli
a=rtcp-fb:123 ccm fir
a=rtcp-fb:123 goog-remb
a=rtcp-fb:123 transport-cc
a=rtcp-fb:122 nack
a=rtcp-fb:122 nack pli
a=rtcp-fb:122 ccm fir
a=rtcp-fb:122 goog-remb
a=rtcp-fb:122 transport-cc
a=rtcp-mux
a=rtcp-rsize
a=rtpmap:120 VP8/90000
a=rtpmap:124 rtx/90000
a=rtpmap:121 VP9/90000
a=rtpmap:125 rtx/90000
a=rtpmap:126 H264/90000
a=rtpmap:127 rtx/90000
a=rtpmap:97 H264/90000
a=rtpmap:98 rtx/90000
a=rtpmap:123 ulpfec/90000
a=rtpmap:122 red/90000
a=rtpmap:119 rtx/90000
a=setup:actpass
a=ssrc:2315271590 cname:{0f6c4a8e-2b3d-4c5e-9f1a-7b8c9d0e1f2a}
m=audio 9 UDP/TLS/RTP/SAVPF 109 9 0 8 101
c=IN IP4 0.0.0.0
a=recvonly
a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=extmap:2/recvonly urn:ietf:params:rtp-hdrext:csrc-audio-level
a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid
a=fmtp:109 maxplaybackrate=48000;stereo=1;useinbandfec=1
a=fmtp:101 0-15
a=ice-pwd:6c8f3e8b2d1a4f0e9b7c5a3d1e2f4a6b
a=ice-ufrag:1f3b5d7a
a=mid:1
a=rtcp-mux
a=rtpmap:109 opus/48000/2
a=rtpmap:9 G722/8000/1
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000/1
a=setup:actpass
a=ssrc:3916245013 cname:{0f6c4a8e-2b3d-4c5e-9f1a-7b8c9d0e1f2a}
m=application 9 UDP/DTLS/SCTP webrtc-datachannel
c=IN IP4 0.0.0.0
a=sendrecv
a=ice-pwd:6c8f3e8b2d1a4f0e9b7c5a3d1e2f4a6b
a=ice-ufrag:1f3b5d7a
a=mid:2
a=setup:actpass
a=sctp-port:5000
a=max-message-size:1073741823
)sdp";

}  // namespace

namespace {

constexpr const char* kFingerprint =
    "5A:0B:C4:21:9E:77:D0:3F:18:6C:E2:A9:40:B5:1D:8E:F3:62:07:CB:94:2E:5D:A1:78:0C:E9:36:BF:53:14:6D";

// Offers are sent with CRLF line ends.
std::string crlf(std::string_view lf) {
  std::string out;
  for (char c : lf) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

WhepOffer parseOfferOk(std::string_view text) {
  std::string error;
  auto offer = parseWhepOffer(text, error);
  EXPECT_TRUE(offer) << error;
  return offer ? *offer : WhepOffer{};
}

std::string offerError(std::string_view text) {
  std::string error;
  EXPECT_FALSE(parseWhepOffer(text, error)) << "accepted: " << text;
  return error;
}

WhepMediaChoice chooseOk(const WhepOffer& offer) {
  std::string error;
  auto choice = chooseWhepMedia(offer, error);
  EXPECT_TRUE(choice) << error;
  return choice ? *choice : WhepMediaChoice{};
}

WhepAnswerParams testParams() {
  WhepAnswerParams p;
  p.iceUfrag = "sluiceUfrag0001";
  p.icePwd = "sluicePasswordPasswordPass";
  p.fingerprintSha256 = kFingerprint;
  p.hostCandidates = {{"127.0.0.2", 8189}, {"192.168.1.10", 8189}};
  p.videoSsrc = 305419896;
  p.audioSsrc = 2596069104u;
  p.cname = "sluice-cname";
  p.sessionId = 4611686018427387905ull;
  return p;
}

std::string replaceAll(std::string text, std::string_view from, std::string_view to) {
  for (size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

// Drops every line that starts with `prefix`.
std::string withoutLines(std::string_view text, std::string_view prefix) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    end = end == std::string_view::npos ? text.size() : end + 1;
    std::string_view line = text.substr(pos, end - pos);
    if (!line.starts_with(prefix)) out += line;
    pos = end;
  }
  return out;
}

bool contains(const std::vector<std::string>& values, std::string_view v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

// Checks everything an answer must satisfy whatever the offer: RFC 3264 shape, ICE-lite,
// DTLS role, BUNDLE, and per-section content.
void expectValidAnswer(const std::string& text, const WhepOffer& offer, const WhepMediaChoice& choice,
                       const WhepAnswerParams& params) {
  std::string error;
  auto sdp = parseSdp(text, error);
  ASSERT_TRUE(sdp) << error << "\n" << text;
  EXPECT_TRUE(text.ends_with("\r\n"));
  EXPECT_TRUE(sdp->hasAttribute("ice-lite"));
  EXPECT_EQ(sdp->attribute("setup"), params.setup);
  EXPECT_EQ(sdp->attribute("fingerprint"), "sha-256 " + params.fingerprintSha256);
  EXPECT_EQ(sdp->attribute("msid-semantic"), "WMS " + params.streamId);
  for (const char* absent : {"transport-cc", "goog-remb", "rtx/", "extmap", "rtcp-rsize", "ice-options"}) {
    EXPECT_EQ(text.find(absent), std::string::npos) << absent;
  }

  ASSERT_EQ(sdp->media.size(), offer.media.size());
  std::vector<std::string> acceptedMids;
  size_t sectionsWithCandidates = 0;
  for (size_t i = 0; i < offer.media.size(); ++i) {
    SCOPED_TRACE("section " + std::to_string(i));
    const auto& offered = offer.media[i];
    const MediaDescription& m = sdp->media[i];
    EXPECT_EQ(m.type, offered.type);
    EXPECT_EQ(m.proto, offered.proto);
    EXPECT_EQ(m.attribute("mid").value_or(""), offered.mid);
    bool isVideo = i == choice.videoIndex;
    bool isAudio = choice.audioIndex && i == *choice.audioIndex;
    if (!isVideo && !isAudio) {
      EXPECT_EQ(m.port, 0);
      EXPECT_FALSE(m.hasAttribute("sendonly"));
      EXPECT_FALSE(m.hasAttribute("candidate"));
      if (m.isRtp()) {
        EXPECT_TRUE(m.hasAttribute("inactive"));
      }
      continue;
    }
    acceptedMids.push_back(offered.mid);
    int pt = isVideo ? choice.videoPayloadType : choice.audioPayloadType;
    EXPECT_EQ(m.port, params.hostCandidates.front().second);
    ASSERT_TRUE(m.connection);
    EXPECT_EQ(m.connection->address, params.hostCandidates.front().first);
    EXPECT_EQ(m.formats, std::vector<std::string>{std::to_string(pt)});
    EXPECT_TRUE(m.hasAttribute("sendonly"));
    EXPECT_TRUE(m.hasAttribute("rtcp-mux"));
    EXPECT_EQ(m.attribute("setup"), params.setup);
    EXPECT_EQ(m.attribute("ice-ufrag"), params.iceUfrag);
    EXPECT_EQ(m.attribute("ice-pwd"), params.icePwd);
    EXPECT_EQ(m.attribute("fingerprint"), "sha-256 " + params.fingerprintSha256);
    const char* track = isVideo ? "video" : "audio";
    uint32_t ssrc = isVideo ? params.videoSsrc : params.audioSsrc;
    EXPECT_EQ(m.attribute("msid"), params.streamId + " " + track);
    EXPECT_EQ(m.attributeValues("ssrc"),
              (std::vector<std::string>{std::to_string(ssrc) + " cname:" + params.cname,
                                        std::to_string(ssrc) + " msid:" + params.streamId + " " + track}));
    auto codecs = m.codecs();
    ASSERT_EQ(codecs.size(), 1u);
    const auto& offeredCodec = *std::find_if(offered.codecs.begin(), offered.codecs.end(),
                                             [&](const SdpCodec& c) { return c.payloadType == pt; });
    EXPECT_EQ(codecs[0].name, offeredCodec.name);
    EXPECT_EQ(codecs[0].clockRate, offeredCodec.clockRate);
    EXPECT_EQ(codecs[0].fmtp, offeredCodec.fmtp);
    for (const auto& fb : codecs[0].rtcpFeedback) {
      EXPECT_TRUE(fb == "nack" || fb == "nack pli" || fb == "ccm fir") << fb;
      EXPECT_TRUE(contains(offeredCodec.rtcpFeedback, fb)) << fb;
    }
    for (const char* fb : {"nack", "nack pli", "ccm fir"}) {
      EXPECT_EQ(contains(codecs[0].rtcpFeedback, fb), contains(offeredCodec.rtcpFeedback, fb)) << fb;
    }
    auto candidates = m.attributeValues("candidate");
    if (!candidates.empty()) {
      ++sectionsWithCandidates;
      EXPECT_EQ(acceptedMids.size(), 1u) << "candidates belong to the first accepted section";
      ASSERT_EQ(candidates.size(), params.hostCandidates.size());
      for (size_t c = 0; c < candidates.size(); ++c) {
        const auto& [ip, port] = params.hostCandidates[c];
        EXPECT_TRUE(candidates[c].ends_with(" 1 udp " + std::to_string(2130706431 - 256 * c) + " " + ip +
                                            " " + std::to_string(port) + " typ host"))
            << candidates[c];
      }
      EXPECT_TRUE(m.hasAttribute("end-of-candidates"));
    }
  }
  EXPECT_EQ(sectionsWithCandidates, 1u);
  std::string bundle = "BUNDLE";
  for (const auto& mid : acceptedMids) bundle += " " + mid;
  EXPECT_EQ(sdp->attribute("group"), bundle);

  // Our own WHEP parser reads the answer back: it carries credentials, fingerprint, setup.
  auto back = parseWhepOffer(text, error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->iceUfrag, params.iceUfrag);
  EXPECT_EQ(back->icePwd, params.icePwd);
  EXPECT_EQ(back->fingerprintAlgorithm, "sha-256");
  EXPECT_EQ(back->fingerprint, params.fingerprintSha256);
  EXPECT_EQ(back->setup, params.setup);
  EXPECT_EQ(back->media[choice.videoIndex].direction, "sendonly");
  EXPECT_EQ(chooseH264PayloadType(back->media[choice.videoIndex]), choice.videoPayloadType);
}

// A minimal offer around one video section's codec lines.
std::string videoOffer(std::string_view formats, std::string_view codecLines, std::string_view extra = "") {
  return crlf(std::string("v=0\no=- 1 2 IN IP4 127.0.0.1\ns=-\nt=0 0\na=group:BUNDLE 0\n") +
              "m=video 9 UDP/TLS/RTP/SAVPF " + std::string(formats) +
              "\nc=IN IP4 0.0.0.0\na=ice-ufrag:abcd\na=ice-pwd:0123456789abcdefghijkl\n"
              "a=fingerprint:sha-256 " +
              kFingerprint + "\na=setup:actpass\na=mid:0\na=recvonly\na=rtcp-mux\n" +
              std::string(codecLines) + std::string(extra));
}

std::optional<int> chosenH264(std::initializer_list<std::string_view> fmtps) {
  std::string formats, lines;
  int pt = 96;
  for (auto fmtp : fmtps) {
    formats += (formats.empty() ? "" : " ") + std::to_string(pt);
    lines += "a=rtpmap:" + std::to_string(pt) + " H264/90000\na=fmtp:" + std::to_string(pt) + " " +
             std::string(fmtp) + "\n";
    ++pt;
  }
  WhepOffer offer = parseOfferOk(videoOffer(formats, lines));
  return chooseH264PayloadType(offer.media.at(0));
}

}  // namespace

TEST(WhepOffer, ParsesRealChromiumOffer) {
  WhepOffer offer = parseOfferOk(crlf(kChromium156Offer));
  EXPECT_EQ(offer.iceUfrag, "A7a/");
  EXPECT_EQ(offer.icePwd, "pO/cEuEQevulq8PNc/01psg4");
  EXPECT_EQ(offer.fingerprintAlgorithm, "sha-256");
  EXPECT_EQ(
      offer.fingerprint,
      "15:11:B7:6A:B7:A8:D1:11:42:A4:52:1D:C9:7F:C5:D5:23:DD:49:AF:2A:3F:31:6A:D5:83:F6:D6:1E:35:AE:0D");
  EXPECT_EQ(offer.setup, "actpass");
  EXPECT_EQ(offer.bundleMids, (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_TRUE(offer.candidates.empty());  // Chromium's offer may carry none: peer-reflexive only
  ASSERT_EQ(offer.media.size(), 3u);

  const auto& video = offer.media[0];
  EXPECT_EQ(video.type, "video");
  EXPECT_EQ(video.mid, "0");
  EXPECT_EQ(video.direction, "recvonly");
  EXPECT_TRUE(video.rtcpMux);
  EXPECT_EQ(video.port, 9);
  EXPECT_EQ(video.proto, "UDP/TLS/RTP/SAVPF");
  EXPECT_EQ(video.extmaps.size(), 11u);
  EXPECT_EQ(video.extmaps[0], "1 urn:ietf:params:rtp-hdrext:toffset");
  EXPECT_EQ(video.codecs.size(), 34u);
  EXPECT_EQ(video.codecs[0].name, "VP8");
  EXPECT_EQ(video.codecs[0].rtcpFeedback,
            (std::vector<std::string>{"goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"}));
  EXPECT_EQ(chooseH264PayloadType(video), 108);

  const auto& audio = offer.media[1];
  EXPECT_EQ(audio.type, "audio");
  EXPECT_EQ(audio.direction, "recvonly");
  ASSERT_EQ(audio.codecs.size(), 8u);
  EXPECT_EQ(audio.codecs[0].name, "opus");
  EXPECT_EQ(audio.codecs[0].channels, 2);
  EXPECT_EQ(audio.codecs[3].name, "PCMU");
  EXPECT_EQ(audio.codecs[3].payloadType, 0);

  const auto& data = offer.media[2];
  EXPECT_EQ(data.type, "application");
  EXPECT_EQ(data.proto, "UDP/DTLS/SCTP");
  EXPECT_EQ(data.formats, std::vector<std::string>{"webrtc-datachannel"});
  EXPECT_TRUE(data.codecs.empty());
  EXPECT_EQ(data.direction, "sendrecv");
}

TEST(WhepOffer, ParsesChrome12xOfferAndPrefers42e01fWithPacketizationMode1) {
  WhepOffer offer = parseOfferOk(crlf(kChrome12xOffer));
  EXPECT_EQ(offer.iceUfrag, "Kx+9");
  ASSERT_EQ(offer.media.size(), 3u);
  EXPECT_EQ(offer.media[0].codecs.size(), 25u);
  // 102 is 42001f, 104 and 108 are packetization-mode=0, 127 is main, 112 is f4001f.
  EXPECT_EQ(chooseH264PayloadType(offer.media[0]), 106);
  EXPECT_EQ(offer.media[1].codecs.back().name, "PCMA");
  EXPECT_EQ(offer.media[1].codecs.back().channels, 2);
}

TEST(WhepOffer, ParsesAiortcOfferWithCandidatesAndPerSectionCredentials) {
  WhepOffer offer = parseOfferOk(crlf(kAiortcOffer));
  // aiortc gives each section its own ICE transport until BUNDLE is negotiated; the
  // session's transport is the BUNDLE-tag section's (mid 0).
  EXPECT_EQ(offer.iceUfrag, "wYcL");
  EXPECT_EQ(offer.icePwd, "PklPJHpwYukuRNZ4hF6t2z");
  EXPECT_EQ(offer.media[1].iceUfrag, "S0Rq");
  EXPECT_EQ(offer.setup, "actpass");
  ASSERT_EQ(offer.candidates.size(), 4u);
  EXPECT_EQ(offer.candidates[0],
            "f957a2332b1715da3b0ef8ba684454eb 1 udp 2130706431 192.0.2.2 47748 typ host");
  EXPECT_TRUE(offer.endOfCandidates);
  EXPECT_EQ(offer.media[0].port, 47748);
  EXPECT_EQ(offer.media[0].codecs.size(), 6u);
  EXPECT_EQ(offer.media[0].codecs[2].rtcpFeedback,
            (std::vector<std::string>{"nack", "nack pli", "goog-remb"}));
  EXPECT_EQ(chooseH264PayloadType(offer.media[0]), 101);
}

TEST(WhepOffer, ParsesFirefoxOfferWithSessionLevelFingerprintAndDirection) {
  WhepOffer offer = parseOfferOk(crlf(kFirefoxOffer));
  EXPECT_EQ(offer.iceUfrag, "1f3b5d7a");
  EXPECT_EQ(offer.icePwd, "6c8f3e8b2d1a4f0e9b7c5a3d1e2f4a6b");
  EXPECT_EQ(
      offer.fingerprint,
      "9C:5E:3A:4B:11:07:DE:F1:62:0B:3C:8A:77:40:AB:19:5D:E2:C6:0F:81:94:3B:7A:20:DD:6E:15:C8:49:F3:02");
  EXPECT_EQ(offer.media[0].direction, "recvonly");
  EXPECT_EQ(offer.media[2].direction, "sendrecv");
  EXPECT_EQ(offer.media[0].extmaps[3],
            "6/recvonly http://www.webrtc.org/experiments/rtp-hdrext/playout-delay");
  // fmtp lines come before rtpmap lines in Firefox's offers.
  auto h264 = std::find_if(offer.media[0].codecs.begin(), offer.media[0].codecs.end(),
                           [](const SdpCodec& c) { return c.payloadType == 126; });
  ASSERT_NE(h264, offer.media[0].codecs.end());
  EXPECT_EQ(h264->fmtp, "profile-level-id=42e01f;level-asymmetry-allowed=1;packetization-mode=1");
  EXPECT_EQ(chooseH264PayloadType(offer.media[0]), 126);  // 97 lacks packetization-mode=1
  EXPECT_EQ(offer.media[1].codecs[1].name, "G722");
  EXPECT_EQ(offer.media[1].codecs[1].channels, 1);
}

TEST(WhepOffer, PrefersSha256AmongSeveralFingerprints) {
  std::string sha512;
  for (int i = 0; i < 64; ++i) sha512 += (i ? ":" : "") + std::string("0F");
  std::string text = videoOffer("96", "a=rtpmap:96 H264/90000\n");
  text = replaceAll(text, "a=fingerprint:sha-256",
                    "a=fingerprint:sha-512 " + sha512 + "\r\na=fingerprint:SHA-256");
  WhepOffer offer = parseOfferOk(text);
  EXPECT_EQ(offer.fingerprintAlgorithm, "sha-256");
  EXPECT_EQ(offer.fingerprint, kFingerprint);

  text = replaceAll(videoOffer("96", "a=rtpmap:96 H264/90000\n"),
                    "a=fingerprint:sha-256 " + std::string(kFingerprint), "a=fingerprint:sha-512 " + sha512);
  offer = parseOfferOk(text);
  EXPECT_EQ(offer.fingerprintAlgorithm, "sha-512");
}

TEST(WhepOffer, DefaultsSetupToActiveWhenAbsent) {
  WhepOffer offer = parseOfferOk(withoutLines(videoOffer("96", "a=rtpmap:96 H264/90000\n"), "a=setup"));
  EXPECT_EQ(offer.setup, "active");
}

TEST(WhepOffer, RejectsMalformedOffers) {
  std::string chromium = crlf(kChromium156Offer);
  EXPECT_TRUE(offerError("hello").starts_with("invalid SDP: line 1: missing v=0 first line"));
  EXPECT_TRUE(offerError("").starts_with("invalid SDP: "));
  EXPECT_TRUE(offerError(std::string("\x00\xff\x10garbage", 10)).starts_with("invalid SDP: line 1"));
  EXPECT_EQ(offerError("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"), "offer has no media sections");
  EXPECT_EQ(offerError(withoutLines(chromium, "a=ice-ufrag")), "offer has no ICE credentials");
  EXPECT_EQ(offerError(withoutLines(chromium, "a=ice-pwd")), "offer has no ICE credentials");
  EXPECT_EQ(offerError(withoutLines(chromium, "a=fingerprint")), "offer has no DTLS fingerprint");
  EXPECT_EQ(offerError(replaceAll(chromium, "a=ice-ufrag:A7a/", "a=ice-ufrag:A7 a/")),
            "offer has malformed ICE credentials: ice-ufrag 'A7 a/'");
  EXPECT_TRUE(offerError(replaceAll(chromium, "a=fingerprint:sha-256 15:11", "a=fingerprint:sha-256 XY:11"))
                  .starts_with("offer has malformed DTLS fingerprint 'sha-256 XY:11:B7:"));
  EXPECT_TRUE(offerError(replaceAll(chromium, "a=fingerprint:sha-256 ", "a=fingerprint:"))
                  .starts_with("offer has malformed DTLS fingerprint '15:11:B7:"));
  EXPECT_EQ(offerError(replaceAll(chromium, "a=setup:actpass", "a=setup:server")),
            "offer has malformed a=setup 'server'");
  EXPECT_EQ(offerError(replaceAll(chromium, "a=mid:0\r\n", "a=mid:0\r\na=candidate:1 1 udp\r\n")),
            "offer has malformed candidate '1 1 udp'");
  // An m= line without formats breaks the SDP grammar itself.
  EXPECT_EQ(offerError(videoOffer("", "")),
            "invalid SDP: line 6: malformed m= line 'm=video 9 UDP/TLS/RTP/SAVPF' (no formats)");
  EXPECT_EQ(offerError(replaceAll(chromium, "a=rtpmap:102 H264/90000", "a=rtpmap:1O2 H264/90000")),
            "invalid SDP: line 76: malformed rtpmap 'a=rtpmap:1O2 H264/90000' (bad payload type)");
  EXPECT_TRUE(
      offerError(chromium + std::string(kMaxSdpSize, ' ')).starts_with("invalid SDP: description is"));
}

TEST(WhepOffer, RanksH264Profiles) {
  EXPECT_EQ(chosenH264({"packetization-mode=1;profile-level-id=42001f",
                        "packetization-mode=1;profile-level-id=42e01f"}),
            97);
  EXPECT_EQ(chosenH264({"packetization-mode=1;profile-level-id=4d001f",
                        "packetization-mode=1;profile-level-id=42001f"}),
            97);
  EXPECT_EQ(chosenH264({"packetization-mode=1;profile-level-id=64001f",
                        "packetization-mode=1;profile-level-id=4d001f",
                        "packetization-mode=1;profile-level-id=42c01e"}),
            98);
  EXPECT_EQ(chosenH264({"packetization-mode=1;profile-level-id=64001f",
                        "packetization-mode=1;profile-level-id=4d0032"}),
            97);
  EXPECT_EQ(chosenH264({"packetization-mode=1;profile-level-id=f4001f"}), 96);
  EXPECT_EQ(chosenH264({"packetization-mode=1"}), 96);  // no profile-level-id: any H.264
  EXPECT_EQ(chosenH264({"packetization-mode=1;profile-level-id=4d001f",
                        "Packetization-Mode=1;Profile-Level-Id=42E01F"}),
            97);
  EXPECT_EQ(chosenH264({"packetization-mode=0;profile-level-id=42e01f", "profile-level-id=42e01f"}),
            std::nullopt);
  EXPECT_EQ(chosenH264({"packetization-mode=2;profile-level-id=42e01f"}), std::nullopt);
  // Ties go to the offer's preference order.
  EXPECT_EQ(chosenH264({"packetization-mode=1;profile-level-id=640032",
                        "packetization-mode=1;profile-level-id=f4001f"}),
            96);
}

TEST(WhepOffer, ParsesTrickleFragmentFromMediaMtxPlayer) {
  // What reader.js PATCHes: session-level credentials, the offer's m= line, a=mid, candidates.
  std::string error;
  auto frag =
      parseTrickleFragment(crlf("a=ice-ufrag:A7a/\n"
                                "a=ice-pwd:pO/cEuEQevulq8PNc/01psg4\n"
                                "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98\n"
                                "a=mid:0\n"
                                "a=candidate:1467250027 1 udp 2122260223 192.168.0.196 46243 typ host "
                                "generation 0 ufrag A7a/ network-id 1\n"
                                "a=candidate:3ed1a1b3-1f0c-4b1a-9a5b-6c1d2e3f4a5b.local 1 udp 2122260223 "
                                "3ed1a1b3-1f0c-4b1a-9a5b-6c1d2e3f4a5b.local 53771 typ host generation 0\n"
                                "m=audio 9 UDP/TLS/RTP/SAVPF 111\n"
                                "a=mid:1\n"
                                "a=candidate:842163049 1 udp 1677729535 203.0.113.7 46243 typ srflx raddr "
                                "192.168.0.196 rport 46243\n"),
                           error);
  ASSERT_TRUE(frag) << error;
  EXPECT_EQ(frag->iceUfrag, "A7a/");
  EXPECT_EQ(frag->icePwd, "pO/cEuEQevulq8PNc/01psg4");
  ASSERT_EQ(frag->candidates.size(), 3u);
  EXPECT_EQ(frag->candidates[0].first, "0");
  EXPECT_EQ(frag->candidates[0].second,
            "1467250027 1 udp 2122260223 192.168.0.196 46243 typ host generation 0 ufrag A7a/ network-id 1");
  EXPECT_EQ(frag->candidates[2].first, "1");
  EXPECT_FALSE(frag->endOfCandidates);
}

TEST(WhepOffer, ParsesRfc8840FragmentWithMediaLevelCredentialsAndEnd) {
  std::string error;
  auto frag = parseTrickleFragment(
      "a=ice-options:trickle ice2\n"
      "m=audio 9 RTP/AVP 0\n"
      "a=mid:0\n"
      "a=ice-ufrag:EsAw\n"
      "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\n"
      "a=candidate:1 1 UDP 2130706431 198.51.100.1 39132 typ host\n"
      "a=end-of-candidates\n",
      error);
  ASSERT_TRUE(frag) << error;
  EXPECT_EQ(frag->iceUfrag, "EsAw");
  EXPECT_EQ(frag->icePwd, "P2uYro0UCOQ4zxjKXaWCBui1");
  EXPECT_EQ(frag->candidates.size(), 1u);
  EXPECT_TRUE(frag->endOfCandidates);

  // An empty body, or one with only end-of-candidates, is a valid fragment.
  ASSERT_TRUE(parseTrickleFragment("", error));
  frag = parseTrickleFragment("a=end-of-candidates\r\n", error);
  ASSERT_TRUE(frag) << error;
  EXPECT_TRUE(frag->endOfCandidates);
  // Candidates outside any m= section are ignored, as MediaMTX does.
  frag = parseTrickleFragment("a=candidate:1 1 udp 2130706431 198.51.100.1 39132 typ host\r\n", error);
  ASSERT_TRUE(frag) << error;
  EXPECT_TRUE(frag->candidates.empty());
}

TEST(WhepOffer, RejectsMalformedTrickleFragments) {
  auto fragError = [](std::string_view body) {
    std::string error;
    EXPECT_FALSE(parseTrickleFragment(body, error)) << body;
    return error;
  };
  EXPECT_EQ(fragError("m=audio 9 RTP/AVP 0\r\na=candidate:1 1 udp 1 10.0.0.1 9 typ host\r\n"),
            "trickle fragment has an m= section without a=mid");
  EXPECT_EQ(fragError("m=audio 9 RTP/AVP 0\r\na=mid:audio\r\n"),
            "trickle fragment has a non-numeric a=mid 'audio'");
  EXPECT_EQ(fragError("m=audio 9 RTP/AVP 0\r\na=mid:70000\r\n"),
            "trickle fragment has a non-numeric a=mid '70000'");
  EXPECT_EQ(fragError("m=audio 9 RTP/AVP 0\r\na=mid:0\r\na=candidate:garbage\r\n"),
            "trickle fragment has a malformed candidate 'garbage'");
  EXPECT_EQ(fragError("m=audio 9 RTP/AVP 0\r\na=mid:0\r\na=candidate:1 1 udp 1 10.0.0.1 99999 typ host\r\n"),
            "trickle fragment has a malformed candidate '1 1 udp 1 10.0.0.1 99999 typ host'");
  EXPECT_EQ(fragError("a=ice-ufrag:abcd\r\n"), "trickle fragment has only one of ice-ufrag and ice-pwd");
  EXPECT_EQ(fragError("v=0\r\na=ice-ufrag:abcd\r\n"),
            "invalid SDP fragment: line 1: unexpected v= line in a fragment 'v=0'");
  EXPECT_EQ(fragError("garbage"), "invalid SDP fragment: line 1: line is not of the form x=... 'garbage'");
  EXPECT_EQ(fragError("m=audio 9 RTP/AVP\r\na=mid:0\r\n"),
            "invalid SDP fragment: line 1: malformed m= line 'm=audio 9 RTP/AVP' (no formats)");
}

TEST(WhepMedia, ChoosesH264VideoAndPcmuAudio) {
  for (const char* offerText : {kChromium156Offer, kChrome12xOffer, kAiortcOffer, kFirefoxOffer}) {
    WhepOffer offer = parseOfferOk(crlf(offerText));
    WhepMediaChoice choice = chooseOk(offer);
    EXPECT_EQ(choice.videoIndex, 0u);
    ASSERT_TRUE(choice.audioIndex);
    EXPECT_EQ(*choice.audioIndex, 1u);
    EXPECT_EQ(choice.audioPayloadType, 0);  // mono PCMU, not the munged PCMU/8000/2
    EXPECT_EQ(choice.transportIndex(), 0u);
  }
}

TEST(WhepMedia, FailsWhenNoUsableH264) {
  std::string error;
  WhepOffer vp8Only =
      parseOfferOk(videoOffer("96 97", "a=rtpmap:96 VP8/90000\na=rtpmap:97 rtx/90000\na=fmtp:97 apt=96\n"));
  EXPECT_FALSE(chooseWhepMedia(vp8Only, error));
  EXPECT_EQ(error, "codecs not supported by client");

  // Listed formats without rtpmap lines: no codecs at all.
  WhepOffer noCodecs = parseOfferOk(videoOffer("96 97", ""));
  EXPECT_TRUE(noCodecs.media[0].codecs.empty());
  EXPECT_FALSE(chooseWhepMedia(noCodecs, error));
  EXPECT_EQ(error, "codecs not supported by client");

  std::string h264 = "a=rtpmap:96 H264/90000\na=fmtp:96 packetization-mode=1;profile-level-id=42e01f\n";
  EXPECT_TRUE(chooseWhepMedia(parseOfferOk(videoOffer("96", h264)), error)) << error;
  // A client that will not receive, or wants RTCP on a separate port, cannot be served.
  EXPECT_FALSE(
      chooseWhepMedia(parseOfferOk(replaceAll(videoOffer("96", h264), "recvonly", "sendonly")), error));
  EXPECT_FALSE(
      chooseWhepMedia(parseOfferOk(replaceAll(videoOffer("96", h264), "recvonly", "inactive")), error));
  EXPECT_FALSE(chooseWhepMedia(parseOfferOk(withoutLines(videoOffer("96", h264), "a=rtcp-mux")), error));
  EXPECT_FALSE(
      chooseWhepMedia(parseOfferOk(replaceAll(videoOffer("96", h264), "m=video 9", "m=video 0")), error));
  EXPECT_FALSE(
      chooseWhepMedia(parseOfferOk(replaceAll(videoOffer("96", h264), "m=video", "m=audio")), error));
  EXPECT_EQ(error, "codecs not supported by client");
}

TEST(WhepMedia, AudioNeedsPcmuReceptionAndBundle) {
  std::string chromium = crlf(kChromium156Offer);
  std::string error;
  auto audioOf = [&](const std::string& text) {
    auto choice = chooseWhepMedia(parseOfferOk(text), error);
    EXPECT_TRUE(choice) << error;
    return choice ? choice->audioIndex : std::nullopt;
  };
  EXPECT_EQ(audioOf(chromium), 1u);
  EXPECT_EQ(audioOf(withoutLines(chromium, "a=rtpmap:0 PCMU")), 1u);  // 0 stays static PCMU
  EXPECT_EQ(audioOf(replaceAll(chromium, "111 63 9 0 8 13 110 126", "111 63 9 8 13 110 126")), std::nullopt);
  EXPECT_EQ(audioOf(replaceAll(chromium, "a=group:BUNDLE 0 1 2", "a=group:BUNDLE 0 2")), std::nullopt);
  EXPECT_EQ(audioOf(withoutLines(chromium, "a=group:BUNDLE")), std::nullopt);
  std::string sendonlyAudio = chromium;
  sendonlyAudio.replace(sendonlyAudio.rfind("a=recvonly"), 10, "a=sendonly");
  EXPECT_EQ(audioOf(sendonlyAudio), std::nullopt);
  // Only PCMU/8000/2: the dummy track is mono.
  EXPECT_EQ(audioOf(replaceAll(chromium, "a=rtpmap:0 PCMU/8000", "a=rtpmap:0 PCMU/8000/2")), std::nullopt);
}

TEST(WhepAnswer, AnswersRealChromiumOffer) {
  WhepOffer offer = parseOfferOk(crlf(kChromium156Offer));
  WhepMediaChoice choice = chooseOk(offer);
  EXPECT_EQ(choice.videoPayloadType, 108);
  WhepAnswerParams params = testParams();
  std::string answer = buildWhepAnswer(offer, choice, params);
  expectValidAnswer(answer, offer, choice, params);

  std::string error;
  auto sdp = parseSdp(answer, error);
  ASSERT_TRUE(sdp) << error;
  EXPECT_EQ(sdp->origin, "- 4611686018427387905 2 IN IP4 127.0.0.1");
  EXPECT_EQ(sdp->attribute("group"), "BUNDLE 0 1");
  const auto& video = sdp->media[0];
  EXPECT_EQ(video.attributeValues("rtpmap"), std::vector<std::string>{"108 H264/90000"});
  EXPECT_EQ(
      video.attributeValues("fmtp"),
      std::vector<std::string>{"108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"});
  EXPECT_EQ(video.attributeValues("rtcp-fb"),
            (std::vector<std::string>{"108 nack", "108 nack pli", "108 ccm fir"}));
  EXPECT_EQ(video.attributeValues("candidate"),
            (std::vector<std::string>{"1 1 udp 2130706431 127.0.0.2 8189 typ host",
                                      "2 1 udp 2130706175 192.168.1.10 8189 typ host"}));
  const auto& audio = sdp->media[1];
  EXPECT_EQ(audio.formats, std::vector<std::string>{"0"});
  EXPECT_EQ(audio.attributeValues("rtpmap"), std::vector<std::string>{"0 PCMU/8000"});
  EXPECT_TRUE(audio.attributeValues("rtcp-fb").empty());
  EXPECT_FALSE(audio.hasAttribute("candidate"));
  // The data channel is declined with its format preserved.
  EXPECT_NE(
      answer.find("\r\nm=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:2\r\n"),
      std::string::npos);
}

TEST(WhepAnswer, AnswersChrome12xFirefoxAndAiortcOffers) {
  struct Case {
    const char* name;
    const char* offer;
    int videoPt;
    std::vector<std::string> feedback;
  };
  for (const auto& c :
       std::vector<Case>{{"chrome12x", kChrome12xOffer, 106, {"106 nack", "106 nack pli", "106 ccm fir"}},
                         {"firefox", kFirefoxOffer, 126, {"126 nack", "126 nack pli", "126 ccm fir"}},
                         {"aiortc", kAiortcOffer, 101, {"101 nack", "101 nack pli"}}}) {
    SCOPED_TRACE(c.name);
    WhepOffer offer = parseOfferOk(crlf(c.offer));
    WhepMediaChoice choice = chooseOk(offer);
    EXPECT_EQ(choice.videoPayloadType, c.videoPt);
    WhepAnswerParams params = testParams();
    std::string answer = buildWhepAnswer(offer, choice, params);
    expectValidAnswer(answer, offer, choice, params);
    std::string error;
    auto sdp = parseSdp(answer, error);
    ASSERT_TRUE(sdp) << error;
    EXPECT_EQ(sdp->media[0].attributeValues("rtcp-fb"), c.feedback);
  }
}

TEST(WhepAnswer, RejectsExtraVideoSectionsKeepingOrderAndMids) {
  // Two video transceivers: the first offers only VP8, so the second carries the stream.
  std::string chromium = crlf(kChromium156Offer);
  std::string vp8Section =
      "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 "
      "0.0.0.0\r\na=ice-ufrag:A7a/\r\na=ice-pwd:pO/cEuEQevulq8PNc/01psg4\r\n"
      "a=fingerprint:sha-256 " +
      std::string(kFingerprint) +
      "\r\na=setup:actpass\r\na=mid:v0\r\na=recvonly\r\na=rtcp-mux\r\n"
      "a=rtpmap:96 VP8/90000\r\n";
  std::string text = replaceAll(chromium, "a=group:BUNDLE 0 1 2", "a=group:BUNDLE v0 0 1 2");
  text.insert(text.find("m=video"), vp8Section);
  text +=
      "m=video 9 UDP/TLS/RTP/SAVPF 108\r\nc=IN IP4 0.0.0.0\r\na=mid:3\r\na=recvonly\r\na=rtcp-mux\r\n"
      "a=rtpmap:108 H264/90000\r\na=fmtp:108 packetization-mode=1;profile-level-id=42e01f\r\n";
  WhepOffer offer = parseOfferOk(text);
  ASSERT_EQ(offer.media.size(), 5u);
  WhepMediaChoice choice = chooseOk(offer);
  EXPECT_EQ(choice.videoIndex, 1u);
  EXPECT_EQ(choice.audioIndex, 2u);
  WhepAnswerParams params = testParams();
  std::string answer = buildWhepAnswer(offer, choice, params);
  expectValidAnswer(answer, offer, choice, params);
  EXPECT_NE(
      answer.find(
          "m=video 0 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:v0\r\na=inactive\r\na=rtcp-mux\r\n"
          "a=rtpmap:96 VP8/90000\r\n"),
      std::string::npos);
  EXPECT_NE(
      answer.find(
          "m=video 0 UDP/TLS/RTP/SAVPF 108\r\nc=IN IP4 0.0.0.0\r\na=mid:3\r\na=inactive\r\na=rtcp-mux\r\n"),
      std::string::npos);
  std::string error;
  EXPECT_EQ(parseSdp(answer, error)->attribute("group"), "BUNDLE 0 1");
}

TEST(WhepAnswer, RejectsAudioWithoutPcmuAndOmitsItFromBundle) {
  std::string text = replaceAll(crlf(kChromium156Offer), "111 63 9 0 8 13 110 126", "111 63");
  WhepOffer offer = parseOfferOk(text);
  WhepMediaChoice choice = chooseOk(offer);
  EXPECT_FALSE(choice.audioIndex);
  WhepAnswerParams params = testParams();
  std::string answer = buildWhepAnswer(offer, choice, params);
  expectValidAnswer(answer, offer, choice, params);
  // A codec and rtcp-mux stay in the rejected section: aiortc refuses an answer otherwise.
  EXPECT_NE(
      answer.find(
          "m=audio 0 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=inactive\r\na=rtcp-mux\r\n"
          "a=rtpmap:111 opus/48000/2\r\n"),
      std::string::npos);
  std::string error;
  EXPECT_EQ(parseSdp(answer, error)->attribute("group"), "BUNDLE 0");
}

TEST(WhepAnswer, AnswersUnbundledOfferWithVideoOnly) {
  WhepOffer offer = parseOfferOk(withoutLines(crlf(kAiortcOffer), "a=group:BUNDLE"));
  WhepMediaChoice choice = chooseOk(offer);
  EXPECT_FALSE(choice.audioIndex);
  std::string answer = buildWhepAnswer(offer, choice, testParams());
  EXPECT_EQ(answer.find("a=group"), std::string::npos);
  std::string error;
  auto sdp = parseSdp(answer, error);
  ASSERT_TRUE(sdp) << error;
  EXPECT_EQ(sdp->media[0].port, 8189);
  EXPECT_EQ(sdp->media[1].port, 0);
}

TEST(WhepAnswer, HonoursParams) {
  WhepOffer offer = parseOfferOk(crlf(kFirefoxOffer));
  WhepMediaChoice choice = chooseOk(offer);
  WhepAnswerParams params = testParams();
  params.setup = "active";
  params.streamId = "cam1";
  params.cname = "";
  params.hostCandidates = {{"fd00::2", 50000}};
  params.sessionId = 0;
  std::string answer = buildWhepAnswer(offer, choice, params);
  std::string error;
  auto sdp = parseSdp(answer, error);
  ASSERT_TRUE(sdp) << error;
  EXPECT_EQ(sdp->attribute("setup"), "active");
  EXPECT_EQ(sdp->media[0].attribute("setup"), "active");
  EXPECT_EQ(sdp->media[0].attribute("msid"), "cam1 video");
  EXPECT_EQ(sdp->media[0].attribute("ssrc"), "305419896 cname:cam1");
  EXPECT_EQ(sdp->media[0].connection, (SdpConnection{"IN", "IP6", "fd00::2"}));
  EXPECT_EQ(sdp->media[0].port, 50000);
  EXPECT_FALSE(sdp->origin.starts_with("- 0 "));
  EXPECT_NE(sdp->origin, parseSdp(buildWhepAnswer(offer, choice, params), error)->origin);

  params.hostCandidates.clear();
  sdp = parseSdp(buildWhepAnswer(offer, choice, params), error);
  ASSERT_TRUE(sdp) << error;
  EXPECT_EQ(sdp->media[0].port, 9);
  EXPECT_EQ(sdp->media[0].connection->address, "0.0.0.0");
  EXPECT_FALSE(sdp->media[0].hasAttribute("candidate"));
  EXPECT_TRUE(sdp->media[0].hasAttribute("end-of-candidates"));
}

TEST(WhepAnswer, TcpPassiveCandidatesFollowUdpWithLowerPriority) {
  WhepOffer offer = parseOfferOk(crlf(kChromium156Offer));
  WhepMediaChoice choice = chooseOk(offer);
  WhepAnswerParams params = testParams();
  params.tcpCandidates = {{"127.0.0.2", 8190}, {"192.168.1.10", 8190}};
  std::string answer = buildWhepAnswer(offer, choice, params);
  std::string error;
  auto sdp = parseSdp(answer, error);
  ASSERT_TRUE(sdp) << error;
  const auto& video = sdp->media[0];
  EXPECT_EQ(video.attributeValues("candidate"),
            (std::vector<std::string>{"1 1 udp 2130706431 127.0.0.2 8189 typ host",
                                      "2 1 udp 2130706175 192.168.1.10 8189 typ host",
                                      "3 1 tcp 2124414975 127.0.0.2 8190 typ host tcptype passive",
                                      "4 1 tcp 2124414719 192.168.1.10 8190 typ host tcptype passive"}));
  EXPECT_TRUE(video.hasAttribute("end-of-candidates"));
  // The default candidate stays the first UDP one.
  EXPECT_EQ(video.port, 8189);
  EXPECT_FALSE(sdp->media[1].hasAttribute("candidate"));
  // Priorities: every TCP candidate below every UDP candidate, even with many UDP ones.
  params.hostCandidates.resize(200, {"10.0.0.1", 8189});
  answer = buildWhepAnswer(offer, choice, params);
  sdp = parseSdp(answer, error);
  ASSERT_TRUE(sdp) << error;
  uint64_t lowestUdp = UINT64_MAX, highestTcp = 0;
  for (const auto& c : sdp->media[0].attributeValues("candidate")) {
    std::vector<std::string> f;
    size_t pos = 0;
    while (pos <= c.size()) {
      size_t sp = c.find(' ', pos);
      f.push_back(c.substr(pos, sp == std::string::npos ? std::string::npos : sp - pos));
      if (sp == std::string::npos) break;
      pos = sp + 1;
    }
    ASSERT_GE(f.size(), 8u) << c;
    uint64_t priority = std::stoull(f[3]);
    if (f[2] == "udp") lowestUdp = std::min(lowestUdp, priority);
    if (f[2] == "tcp") highestTcp = std::max(highestTcp, priority);
  }
  EXPECT_LT(highestTcp, lowestUdp);
}
