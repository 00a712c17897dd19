#pragma once
// Per-key value rules, checked where the value is read so that the error names its origin (file
// and line, or environment variable), the key, the allowed range and the value given.
#include <chrono>
#include <string>
#include <vector>

#include "config/InputValue.h"

namespace sluice::config {

// The largest workerThreads: more threads than this only cost memory and context switches (each
// worker serves many sessions), and a typo such as 100000 must not spawn threads until the
// process aborts. 0 means one per core.
inline constexpr int kMaxWorkerThreads = 256;
inline constexpr int kMaxWriteQueueSize = 1 << 20;
inline constexpr int kMaxUdpReadBufferSize = 1 << 30;  // the kernel caps it at net.core.rmem_max anyway
inline constexpr std::chrono::milliseconds kMaxSenderReportPeriod{60000};

// Failure message "must be between <min> and <max><note>, got <value>" unless min <= value <= max.
void requireIntRange(const Origin& origin, int value, int min, int max, std::string_view note = {});

void requirePositiveDuration(const Origin& origin, const std::chrono::milliseconds& value);
void requireSenderReportPeriod(const Origin& origin, const std::chrono::milliseconds& value);  // (0, 1m]
void requireNonNegative(const Origin& origin, const int& value);
void requireWorkerThreads(const Origin& origin, const int& value);  // 0 (one per core) to 256
inline constexpr std::chrono::milliseconds kMaxWorkerBatchInterval{20};
void requireWorkerBatchInterval(const Origin& origin, const std::chrono::milliseconds& value);  // [0, 20ms]
// Per-client and global connection/handshake caps: 0 (no limit) to 1,000,000 (beyond any fd limit).
void requireClientLimit(const Origin& origin, const int& value);
void requireWriteQueueSize(const Origin& origin, const int& value);        // power of two, 1 to 2^20
void requireUdpReadBufferSize(const Origin& origin, const int& value);     // 0 (OS default) to 1 GiB
void requireUdpPayloadLimit(const Origin& origin, const int& value);       // 13 to 1472
void requireStreamHistoryPackets(const Origin& origin, const int& value);  // power of two in [256, 65536]
void requireLogDestinations(const Origin& origin, const std::vector<std::string>& value);
// rtspTransports: udp, multicast, tcp; at least one.
void requireRtspTransports(const Origin& origin, const std::vector<std::string>& value);
// rtspAuthMethods: basic, digest; at least one.
void requireRtspAuthMethods(const Origin& origin, const std::vector<std::string>& value);
// multicastIPRange: an IPv4 range "a.b.c.d/n" inside 224.0.0.0/4, n from 4 to 30 (room for groups).
void requireMulticastRange(const Origin& origin, const std::string& value);
void requirePort(const Origin& origin, const int& value);  // 1 to 65535
// "[host]:port" as Go's net.Listen takes it, port 0 to 65535, or MediaMTX's "unix://<socket path>";
// empty is allowed (the key's own rule says whether it must be set).
void requireListenAddress(const Origin& origin, const std::string& value);
// sourceFingerprint: empty, or a SHA-256 in hex (64 digits, any case, colons between bytes allowed).
void requireCertificateFingerprint(const Origin& origin, const std::string& value);

}  // namespace sluice::config
