#pragma once
// A deliberately dumb blocking HTTP/1.1 client over a plain socket, so the tests control
// every byte on the wire (pipelining, garbage, half-sent requests) and see every header.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::http::testing {

struct RawResponse {
  bool complete = false;
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  static bool sameName(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
        return false;
      }
    }
    return true;
  }
  std::string header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (sameName(k, name)) return v;
    }
    return "";
  }
  bool has(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (sameName(k, name)) return true;
    }
    return false;
  }
  std::vector<std::string> all(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : headers) {
      if (sameName(k, name)) out.push_back(v);
    }
    return out;
  }
};

class RawHttpClient {
 public:
  // `sourceIp` (a 127.x.y.z address, say) makes the connection come from another client.
  explicit RawHttpClient(uint16_t port, const char* sourceIp = nullptr) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (sourceIp) {
      sockaddr_in local{};
      local.sin_family = AF_INET;
      ::inet_pton(AF_INET, sourceIp, &local.sin_addr);
      ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local));
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  ~RawHttpClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawHttpClient(const RawHttpClient&) = delete;
  RawHttpClient& operator=(const RawHttpClient&) = delete;

  bool connected() const { return connected_; }

  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads one response. `head`: the request was HEAD (no body despite Content-Length).
  RawResponse read(bool head = false, int timeoutMs = 5000) {
    RawResponse r;
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(timeoutMs)) return r;
    }
    std::string head_block = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    size_t lineEnd = head_block.find("\r\n");
    std::string statusLine = head_block.substr(0, lineEnd);
    if (statusLine.size() < 12 || statusLine.compare(0, 5, "HTTP/") != 0) return r;
    r.status = std::atoi(statusLine.c_str() + 9);
    size_t pos = lineEnd == std::string::npos ? head_block.size() : lineEnd + 2;
    while (pos < head_block.size()) {
      size_t next = head_block.find("\r\n", pos);
      if (next == std::string::npos) next = head_block.size();
      std::string line = head_block.substr(pos, next - pos);
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        r.headers.emplace_back(line.substr(0, colon), value);
      }
      pos = next + 2;
    }
    const bool bodyless = head || r.status < 200 || r.status == 204 || r.status == 304;
    if (!bodyless) {
      if (r.has("Content-Length")) {
        size_t length = std::strtoul(r.header("Content-Length").c_str(), nullptr, 10);
        while (buffer_.size() < length) {
          if (!fill(timeoutMs)) return r;
        }
        r.body = buffer_.substr(0, length);
        buffer_.erase(0, length);
      } else {
        while (fill(timeoutMs)) {
        }
        r.body = std::move(buffer_);
        buffer_.clear();
      }
    }
    r.complete = true;
    return r;
  }

  // True when the peer closes the connection within the timeout (and sends nothing more
  // than what is already buffered).
  bool waitClosed(int timeoutMs = 3000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    while (std::chrono::steady_clock::now() < deadline) {
      int left = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
              .count());
      pollfd p{fd_, POLLIN, 0};
      int rc = ::poll(&p, 1, std::max(left, 1));
      if (rc <= 0) return false;
      char tmp[4096];
      ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
      if (n <= 0) return true;
      buffer_.append(tmp, static_cast<size_t>(n));
    }
    return false;
  }

  // True if some bytes arrive within the timeout.
  bool hasData(int timeoutMs) {
    if (!buffer_.empty()) return true;
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, timeoutMs) > 0;
  }

  void shutdownWrite() { ::shutdown(fd_, SHUT_WR); }

 private:
  bool fill(int timeoutMs) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeoutMs) <= 0) return false;
    char tmp[65536];
    ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
    if (n <= 0) return false;
    buffer_.append(tmp, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

inline std::string buildRequest(std::string_view method, std::string_view target,
                                std::vector<std::pair<std::string, std::string>> headers = {},
                                std::string_view body = {}, bool withLength = true) {
  std::string out;
  out.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  for (const auto& [k, v] : headers) out.append(k).append(": ").append(v).append("\r\n");
  if (withLength && (!body.empty() || method == "POST" || method == "PATCH")) {
    out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  out.append("\r\n").append(body);
  return out;
}

}  // namespace sluice::http::testing
