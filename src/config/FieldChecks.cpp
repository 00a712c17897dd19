#include "config/FieldChecks.h"

#include <fmt/format.h>

#include <cctype>
#include <cstdio>

#include "config/ConfigJson.h"

namespace sluice::config {
namespace {

bool isPowerOfTwo(int value) { return value > 0 && (value & (value - 1)) == 0; }

void requirePowerOfTwoInRange(const Origin& origin, int value, int min, int max) {
  if (!isPowerOfTwo(value) || value < min || value > max) {
    fail(origin, fmt::format("must be a power of two between {} and {}, got {}", min, max, value));
  }
}

}  // namespace

void requireIntRange(const Origin& origin, int value, int min, int max, std::string_view note) {
  if (value < min || value > max) {
    fail(origin, fmt::format("must be between {} and {}{}, got {}", min, max, note, value));
  }
}

void requirePositiveDuration(const Origin& origin, const std::chrono::milliseconds& value) {
  if (value.count() <= 0) {
    fail(origin, fmt::format("must be greater than zero, got {}", formatDuration(value)));
  }
}

void requireSenderReportPeriod(const Origin& origin, const std::chrono::milliseconds& value) {
  if (value.count() <= 0 || value > kMaxSenderReportPeriod) {
    fail(origin, fmt::format("must be greater than zero and at most {}, got {}",
                             formatDuration(kMaxSenderReportPeriod), formatDuration(value)));
  }
}

void requireNonNegative(const Origin& origin, const int& value) {
  if (value < 0) fail(origin, fmt::format("must be 0 or more, got {}", value));
}

void requireWorkerThreads(const Origin& origin, const int& value) {
  requireIntRange(origin, value, 0, kMaxWorkerThreads, " (0 = one per core)");
}

void requireWorkerBatchInterval(const Origin& origin, const std::chrono::milliseconds& value) {
  // Longer would add more latency than any saving is worth (a 30 fps frame lasts 33 ms).
  if (value.count() < 0 || value > kMaxWorkerBatchInterval) {
    fail(origin, fmt::format("must be between 0s and {} (0s = no batching), got {}",
                             formatDuration(kMaxWorkerBatchInterval), formatDuration(value)));
  }
}

void requireClientLimit(const Origin& origin, const int& value) {
  requireIntRange(origin, value, 0, 1000000, " (0 = no limit)");
}

void requireWriteQueueSize(const Origin& origin, const int& value) {
  requirePowerOfTwoInRange(origin, value, 1, kMaxWriteQueueSize);
}

void requireUdpReadBufferSize(const Origin& origin, const int& value) {
  requireIntRange(origin, value, 0, kMaxUdpReadBufferSize, " (0 = the system's default)");
}

void requireUdpPayloadLimit(const Origin& origin, const int& value) {
  // Above the 12-byte RTP header; at most a 1500-byte Ethernet MTU minus IPv4 and UDP headers.
  requireIntRange(origin, value, 13, 1472);
}

void requireStreamHistoryPackets(const Origin& origin, const int& value) {
  requirePowerOfTwoInRange(origin, value, 256, 65536);
}

void requireLogDestinations(const Origin& origin, const std::vector<std::string>& value) {
  for (const std::string& destination : value) {
    if (destination != "stdout" && destination != "file" && destination != "syslog") {
      fail(origin, fmt::format("invalid value '{}' (expected stdout, file, syslog)", destination));
    }
  }
}

void requireRtspTransports(const Origin& origin, const std::vector<std::string>& value) {
  if (value.empty()) fail(origin, "at least one transport is needed (expected udp, multicast, tcp)");
  for (const std::string& t : value) {
    if (t != "udp" && t != "multicast" && t != "tcp") {
      fail(origin, fmt::format("invalid value '{}' (expected udp, multicast, tcp)", t));
    }
  }
}

void requireMulticastRange(const Origin& origin, const std::string& value) {
  unsigned a = 0, b = 0, c = 0, d = 0, bits = 0;
  char tail = 0;
  const bool parsed = std::sscanf(value.c_str(), "%3u.%3u.%3u.%3u/%2u%c", &a, &b, &c, &d, &bits, &tail) == 5;
  if (!parsed || a > 255 || b > 255 || c > 255 || d > 255)
    fail(origin, fmt::format("invalid value '{}' (expected an IPv4 range such as 224.1.0.0/16)", value));
  if ((a & 0xf0) != 0xe0 || bits < 4 || bits > 30)
    fail(origin, fmt::format("'{}' is not a multicast range (expected a range inside 224.0.0.0/4, /4 to /30)",
                             value));
}

void requirePort(const Origin& origin, const int& value) { requireIntRange(origin, value, 1, 65535); }

void requireRtspAuthMethods(const Origin& origin, const std::vector<std::string>& value) {
  if (value.empty()) fail(origin, "at least one method is needed (expected basic, digest)");
  for (const std::string& m : value) {
    if (m != "basic" && m != "digest")
      fail(origin, fmt::format("invalid value '{}' (expected basic, digest)", m));
  }
}

void requireCertificateFingerprint(const Origin& origin, const std::string& value) {
  if (value.empty()) return;
  size_t digits = 0;
  bool hex = true;
  for (char c : value) {
    if (c == ':') continue;
    hex = hex && std::isxdigit(static_cast<unsigned char>(c));
    ++digits;
  }
  if (!hex || digits != 64) {
    fail(origin,
         "invalid fingerprint: expected the certificate's SHA-256 in hex (64 digits, e.g. from "
         "'openssl x509 -noout -fingerprint -sha256')");
  }
}

void requireListenAddress(const Origin& origin, const std::string& value) {
  if (value.empty() || value.rfind("unix://", 0) == 0) return;  // MediaMTX also listens on Unix sockets
  auto invalid = [&](std::string_view why) {
    fail(origin, fmt::format("invalid address '{}': {} (expected [host]:port, e.g. ':8889' or "
                             "'127.0.0.1:8889')",
                             value, why));
  };
  const size_t colon = value.rfind(':');
  if (colon == std::string::npos) invalid("missing port");
  std::string_view host = std::string_view(value).substr(0, colon);
  const std::string_view port = std::string_view(value).substr(colon + 1);
  if (!host.empty() && host.front() == '[') {
    if (host.size() < 2 || host.back() != ']') invalid("missing ']'");
  } else if (host.find(':') != std::string_view::npos) {
    invalid("an IPv6 host must be written in brackets, e.g. '[::1]:8889'");
  }
  bool digits = !port.empty() && port.size() <= 5;
  long number = 0;
  for (char c : port) {
    if (c < '0' || c > '9') digits = false;
    if (digits) number = number * 10 + (c - '0');
  }
  if (!digits || number > 65535) {
    invalid(fmt::format("the port must be a number between 0 and 65535, got '{}'", port));
  }
}

}  // namespace sluice::config
