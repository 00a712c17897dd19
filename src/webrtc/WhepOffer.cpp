#include "webrtc/WhepOffer.h"

#include <algorithm>

#include "core/AsciiText.h"

namespace sluice::webrtc {
namespace {

using media::MediaDescription;
using media::SessionDescription;

constexpr size_t kMaxIceCredentialLength = 256;  // RFC 8839 §5.4
constexpr size_t kMaxFingerprintBytes = 64;      // sha-512
constexpr size_t kMaxQuotedLength = 80;

bool isHexDigit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

std::vector<std::string_view> splitBlanks(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

bool isNumber(std::string_view s, uint64_t max) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value <= max;
}

std::string quote(std::string_view s) {
  std::string out = "'";
  for (size_t i = 0; i < s.size() && i < kMaxQuotedLength; ++i) {
    char c = s[i];
    out += (c >= 0x20 && c < 0x7f && c != '\'') ? c : '?';
  }
  if (s.size() > kMaxQuotedLength) out += "...";
  return out + "'";
}

// The STUN USERNAME is built from these, so they must be printable and bounded; RFC 8839's
// narrower ice-char set is not enforced because nothing here depends on it.
bool isValidIceCredential(std::string_view s) {
  return !s.empty() && s.size() <= kMaxIceCredentialLength &&
         std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

// "<foundation> <component> <transport> <priority> <address> <port> typ <type> ..." (RFC 8839 §5.1)
bool isValidCandidate(std::string_view value) {
  auto f = splitBlanks(value);
  return f.size() >= 8 && isNumber(f[1], 256) && isNumber(f[3], UINT32_MAX) && isNumber(f[5], 65535) &&
         f[6] == "typ";
}

// "<hash function> XX:XX:..." with 1..64 bytes.
bool isValidFingerprint(std::string_view hex) {
  if (hex.empty() || hex.size() > kMaxFingerprintBytes * 3 - 1 || hex.size() % 3 != 2) return false;
  for (size_t i = 0; i < hex.size(); ++i) {
    if (i % 3 == 2 ? hex[i] != ':' : !isHexDigit(hex[i])) return false;
  }
  return true;
}

std::string directionOf(const media::SdpAttributes& attrs) {
  for (const auto& a : attrs.attributes) {
    for (const char* d : {"sendrecv", "sendonly", "recvonly", "inactive"}) {
      if (media::sdpTokenEquals(a.name, d)) return d;
    }
  }
  return {};
}

// The value of a transport attribute for one section: its own line, else the session's.
std::optional<std::string> sectionOrSession(const MediaDescription& m, const SessionDescription& sdp,
                                            std::string_view name) {
  if (auto v = m.attribute(name)) return v;
  return sdp.attribute(name);
}

bool fail(std::string& error, std::string message) {
  error = std::move(message);
  return false;
}

bool readCredentials(const MediaDescription& m, const SessionDescription& sdp, WhepOffer::Media& out,
                     std::string& error) {
  out.iceUfrag = sectionOrSession(m, sdp, "ice-ufrag").value_or("");
  out.icePwd = sectionOrSession(m, sdp, "ice-pwd").value_or("");
  if (!out.iceUfrag.empty() && !isValidIceCredential(out.iceUfrag)) {
    return fail(error, "offer has malformed ICE credentials: ice-ufrag " + quote(out.iceUfrag));
  }
  if (!out.icePwd.empty() && !isValidIceCredential(out.icePwd)) {
    return fail(error, "offer has malformed ICE credentials: ice-pwd " + quote(out.icePwd));
  }
  return true;
}

bool readCandidates(const media::SdpAttributes& attrs, WhepOffer& offer, std::string& error) {
  for (auto& c : attrs.attributeValues("candidate")) {
    if (!isValidCandidate(c)) return fail(error, "offer has malformed candidate " + quote(c));
    offer.candidates.push_back(std::move(c));
  }
  if (attrs.hasAttribute("end-of-candidates")) offer.endOfCandidates = true;
  return true;
}

// Picks sha-256 among the fingerprints that apply to the section (its own, else the
// session's), else the first; all of them must be well-formed.
bool readFingerprint(const MediaDescription& m, const SessionDescription& sdp, WhepOffer& offer,
                     std::string& error) {
  auto values = m.attributeValues("fingerprint");
  if (values.empty()) values = sdp.attributeValues("fingerprint");
  if (values.empty()) return fail(error, "offer has no DTLS fingerprint");
  for (const auto& v : values) {
    auto fields = splitBlanks(v);
    if (fields.size() != 2 || !isValidFingerprint(fields[1])) {
      return fail(error, "offer has malformed DTLS fingerprint " + quote(v));
    }
    std::string algorithm = core::toLowerAscii(fields[0]);
    if (offer.fingerprint.empty() || (algorithm == "sha-256" && offer.fingerprintAlgorithm != "sha-256")) {
      offer.fingerprintAlgorithm = std::move(algorithm);
      offer.fingerprint = std::string(fields[1]);
    }
  }
  return true;
}

std::vector<std::string> bundleGroup(const SessionDescription& sdp) {
  for (const auto& g : sdp.attributeValues("group")) {
    auto fields = splitBlanks(g);
    if (!fields.empty() && fields[0] == "BUNDLE") return {fields.begin() + 1, fields.end()};
  }
  return {};
}

// The section whose transport the BUNDLE group uses (RFC 8843 "offerer BUNDLE-tag").
size_t transportSectionIndex(const WhepOffer& offer) {
  if (!offer.bundleMids.empty()) {
    for (size_t i = 0; i < offer.media.size(); ++i) {
      if (offer.media[i].mid == offer.bundleMids.front() && offer.media[i].port != 0) return i;
    }
  }
  for (size_t i = 0; i < offer.media.size(); ++i) {
    if (offer.media[i].port != 0) return i;
  }
  return 0;
}

}  // namespace

std::optional<WhepOffer> parseWhepOffer(std::string_view text, std::string& error) {
  auto sdp = media::parseSdp(text, error);
  if (!sdp) return std::nullopt;
  if (sdp->media.empty()) {
    error = "offer has no media sections";
    return std::nullopt;
  }
  WhepOffer offer;
  offer.bundleMids = bundleGroup(*sdp);
  std::string sessionDirection = directionOf(*sdp);
  if (!readCandidates(*sdp, offer, error)) return std::nullopt;
  for (const auto& m : sdp->media) {
    WhepOffer::Media out;
    out.type = m.type;
    out.mid = m.attribute("mid").value_or("");
    out.direction = directionOf(m);
    if (out.direction.empty()) out.direction = sessionDirection.empty() ? "sendrecv" : sessionDirection;
    out.codecs = m.codecs();
    out.rtcpMux = m.hasAttribute("rtcp-mux");
    out.extmaps = m.attributeValues("extmap");
    out.port = m.port;
    out.proto = m.proto;
    out.formats = m.formats;
    if (!readCredentials(m, *sdp, out, error) || !readCandidates(m, offer, error)) return std::nullopt;
    offer.media.push_back(std::move(out));
  }

  size_t tag = transportSectionIndex(offer);
  offer.iceUfrag = offer.media[tag].iceUfrag;
  offer.icePwd = offer.media[tag].icePwd;
  if (offer.iceUfrag.empty() || offer.icePwd.empty()) {
    error = "offer has no ICE credentials";
    return std::nullopt;
  }
  const MediaDescription& tagSection = sdp->media[tag];
  if (!readFingerprint(tagSection, *sdp, offer, error)) return std::nullopt;
  offer.setup = core::toLowerAscii(sectionOrSession(tagSection, *sdp, "setup").value_or("active"));
  if (offer.setup != "actpass" && offer.setup != "active" && offer.setup != "passive" &&
      offer.setup != "holdconn") {
    error = "offer has malformed a=setup " + quote(offer.setup);
    return std::nullopt;
  }
  return offer;
}

std::optional<TrickleFragment> parseTrickleFragment(std::string_view body, std::string& error) {
  auto sdp = media::parseSdpFragment(body, error);
  if (!sdp) return std::nullopt;
  TrickleFragment fragment;
  fragment.iceUfrag = sdp->attribute("ice-ufrag").value_or("");
  fragment.icePwd = sdp->attribute("ice-pwd").value_or("");
  fragment.endOfCandidates = sdp->hasAttribute("end-of-candidates");
  for (const auto& m : sdp->media) {
    auto mid = m.attribute("mid");
    if (!mid) {
      error = "trickle fragment has an m= section without a=mid";
      return std::nullopt;
    }
    if (!isNumber(*mid, UINT16_MAX)) {
      error = "trickle fragment has a non-numeric a=mid " + quote(*mid);
      return std::nullopt;
    }
    if (fragment.iceUfrag.empty()) fragment.iceUfrag = m.attribute("ice-ufrag").value_or("");
    if (fragment.icePwd.empty()) fragment.icePwd = m.attribute("ice-pwd").value_or("");
    for (auto& c : m.attributeValues("candidate")) {
      if (!isValidCandidate(c)) {
        error = "trickle fragment has a malformed candidate " + quote(c);
        return std::nullopt;
      }
      fragment.candidates.emplace_back(*mid, std::move(c));
    }
    if (m.hasAttribute("end-of-candidates")) fragment.endOfCandidates = true;
  }
  if (fragment.iceUfrag.empty() != fragment.icePwd.empty()) {
    error = "trickle fragment has only one of ice-ufrag and ice-pwd";
    return std::nullopt;
  }
  if ((!fragment.iceUfrag.empty() && !isValidIceCredential(fragment.iceUfrag)) ||
      (!fragment.icePwd.empty() && !isValidIceCredential(fragment.icePwd))) {
    error = "trickle fragment has malformed ICE credentials";
    return std::nullopt;
  }
  return fragment;
}

}  // namespace sluice::webrtc
