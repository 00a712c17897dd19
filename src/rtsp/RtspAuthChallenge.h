#pragma once
// WWW-Authenticate challenges of RTSP servers (RFC 2617 / RFC 7616 syntax):
//   Basic realm="ipcam"
//   Digest realm="x", nonce="y", opaque="z", algorithm=MD5, qop="auth"
#include <optional>
#include <string>
#include <string_view>

namespace sluice::rtsp {

struct RtspAuthChallenge {
  enum class Scheme { Basic, Digest };
  Scheme scheme = Scheme::Basic;
  std::string realm;
  std::string nonce;
  std::string opaque;
  bool hasOpaque = false;
  std::string algorithm;  // as sent; empty means MD5
  bool qopAuth = false;   // the qop list offers "auth"
  bool stale = false;
};

// Parses one challenge (the first, if a header carries several). Rejects unknown schemes,
// a Digest challenge without realm or nonce, unterminated quotes and headers over 4 KiB.
std::optional<RtspAuthChallenge> parseRtspAuthChallenge(std::string_view header,
                                                        std::string* error = nullptr);

}  // namespace sluice::rtsp
