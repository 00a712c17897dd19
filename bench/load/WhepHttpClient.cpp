#include "load/WhepHttpClient.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sluice::load {
namespace {

constexpr size_t kMaxResponseSize = 1 << 20;  // an SDP answer is a few KiB

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

int64_t remainingMs(std::chrono::steady_clock::time_point deadline) {
  auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return left.count() > 0 ? left.count() : 0;
}

// Owns a socket descriptor for the duration of one request.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

bool waitFor(int fd, short events, std::chrono::steady_clock::time_point deadline, std::string& error) {
  for (;;) {
    pollfd p{fd, events, 0};
    int r = ::poll(&p, 1, static_cast<int>(remainingMs(deadline)));
    if (r > 0) return true;
    if (r == 0) {
      error = "timed out";
      return false;
    }
    if (errno != EINTR) {
      error = std::string("poll: ") + std::strerror(errno);
      return false;
    }
  }
}

int connectTo(const HttpUrl& url, std::chrono::steady_clock::time_point deadline, std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  std::string port = std::to_string(url.port);
  if (int rc = ::getaddrinfo(url.host.c_str(), port.c_str(), &hints, &list); rc != 0) {
    error = "resolve " + url.host + ": " + gai_strerror(rc);
    return -1;
  }
  int result = -1;
  for (addrinfo* a = list; a && result < 0; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
      error = std::string("connect: ") + std::strerror(errno);
      ::close(fd);
      continue;
    }
    if (!waitFor(fd, POLLOUT, deadline, error)) {
      ::close(fd);
      continue;
    }
    int soError = 0;
    socklen_t len = sizeof(soError);
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &len);
    if (soError != 0) {
      error = std::string("connect: ") + std::strerror(soError);
      ::close(fd);
      continue;
    }
    result = fd;
  }
  ::freeaddrinfo(list);
  return result;
}

bool sendAll(int fd, std::string_view data, std::chrono::steady_clock::time_point deadline,
             std::string& error) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!waitFor(fd, POLLOUT, deadline, error)) return false;
    } else {
      error = std::string("send: ") + std::strerror(errno);
      return false;
    }
  }
  return true;
}

// Decodes a complete chunked body; false when it is cut short or malformed.
bool decodeChunked(std::string_view in, std::string& out) {
  out.clear();
  for (;;) {
    size_t eol = in.find("\r\n");
    if (eol == std::string_view::npos) return false;
    size_t size = 0;
    size_t i = 0;
    for (; i < eol; ++i) {
      char c = in[i];
      int digit = c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                         : -1;
      if (digit < 0) break;  // chunk extensions follow
      size = size * 16 + static_cast<size_t>(digit);
      if (size > kMaxResponseSize) return false;
    }
    if (i == 0) return false;
    in.remove_prefix(eol + 2);
    if (size == 0) return true;  // trailers are ignored
    if (in.size() < size + 2) return false;
    out.append(in.substr(0, size));
    in.remove_prefix(size + 2);
  }
}

// Parses status line and headers of `head` (without the blank line).
bool parseHead(std::string_view head, HttpResponse& response, std::string& error) {
  size_t eol = head.find("\r\n");
  std::string_view statusLine = head.substr(0, eol);
  if (statusLine.size() < 12 || statusLine.substr(0, 5) != "HTTP/") {
    error = "malformed status line '" + std::string(statusLine.substr(0, 80)) + "'";
    return false;
  }
  size_t space = statusLine.find(' ');
  response.status = std::atoi(std::string(statusLine.substr(space + 1, 3)).c_str());
  if (response.status < 100 || response.status > 999) {
    error = "malformed status line";
    return false;
  }
  while (eol != std::string_view::npos) {
    head.remove_prefix(eol + 2);
    eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    response.headers.emplace_back(std::string(trim(line.substr(0, colon))),
                                  std::string(trim(line.substr(colon + 1))));
  }
  return true;
}

}  // namespace

std::optional<HttpUrl> HttpUrl::parse(std::string_view url, std::string& error) {
  constexpr std::string_view kScheme = "http://";
  if (url.size() < kScheme.size() || !equalsIgnoreCase(url.substr(0, kScheme.size()), kScheme)) {
    error = "only http:// URLs are supported: '" + std::string(url) + "'";
    return std::nullopt;
  }
  url.remove_prefix(kScheme.size());
  size_t slash = url.find_first_of("/?");
  std::string_view authority = url.substr(0, slash);
  HttpUrl out;
  out.target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  if (out.target.front() == '?') out.target.insert(out.target.begin(), '/');
  std::string_view host = authority;
  if (!authority.empty() && authority.front() == '[') {  // [IPv6]:port
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      error = "malformed host in URL";
      return std::nullopt;
    }
    host = authority.substr(1, close - 1);
    authority.remove_prefix(close + 1);
  } else {
    size_t colon = authority.rfind(':');
    host = authority.substr(0, colon);
    authority = colon == std::string_view::npos ? std::string_view{} : authority.substr(colon);
  }
  if (!authority.empty() && authority.front() == ':') {
    int port = std::atoi(std::string(authority.substr(1)).c_str());
    if (port <= 0 || port > 65535) {
      error = "malformed port in URL";
      return std::nullopt;
    }
    out.port = static_cast<uint16_t>(port);
  }
  if (host.empty()) {
    error = "URL has no host";
    return std::nullopt;
  }
  out.host = std::string(host);
  return out;
}

HttpUrl HttpUrl::resolve(std::string_view location) const {
  std::string error;
  if (auto absolute = parse(location, error)) return *absolute;
  HttpUrl out = *this;
  if (!location.empty() && location.front() == '/') {
    out.target = std::string(location);
  } else {
    std::string base = target.substr(0, target.find('?'));
    out.target = base.substr(0, base.rfind('/') + 1) + std::string(location);
  }
  return out;
}

std::string HttpUrl::toString() const {
  bool v6 = host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port) + target;
}

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (equalsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

std::optional<HttpResponse> httpRequest(std::string_view method, const HttpUrl& url,
                                        std::string_view contentType, std::string_view body,
                                        std::chrono::milliseconds timeout, std::string& error) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  Fd fd(connectTo(url, deadline, error));
  if (fd.get() < 0) return std::nullopt;

  std::string request;
  request.reserve(256 + body.size());
  request.append(method).append(" ").append(url.target).append(" HTTP/1.1\r\n");
  request.append("Host: ").append(url.host).append(":").append(std::to_string(url.port)).append("\r\n");
  request.append("User-Agent: sluice-load\r\nConnection: close\r\n");
  if (!contentType.empty()) request.append("Content-Type: ").append(contentType).append("\r\n");
  if (!body.empty() || method == "POST") {
    request.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  request.append("\r\n").append(body);
  if (!sendAll(fd.get(), request, deadline, error)) return std::nullopt;

  std::string raw;
  HttpResponse response;
  size_t headEnd = std::string::npos;
  std::optional<size_t> contentLength;
  bool chunked = false;
  char buffer[16384];
  for (;;) {
    if (headEnd != std::string::npos) {
      std::string_view rest = std::string_view(raw).substr(headEnd);
      if (contentLength && rest.size() >= *contentLength) {
        response.body.assign(rest.substr(0, *contentLength));
        return response;
      }
      if (chunked && decodeChunked(rest, response.body)) return response;
      // 1xx, 204 and 304 carry no body; HEAD is never sent here.
      if ((response.status < 200 || response.status == 204 || response.status == 304) && !contentLength) {
        return response;
      }
    }
    ssize_t n = ::recv(fd.get(), buffer, sizeof(buffer), 0);
    if (n > 0) {
      raw.append(buffer, static_cast<size_t>(n));
      if (raw.size() > kMaxResponseSize) {
        error = "response too large";
        return std::nullopt;
      }
      if (headEnd == std::string::npos) {
        size_t end = raw.find("\r\n\r\n");
        if (end == std::string::npos) continue;
        if (!parseHead(std::string_view(raw).substr(0, end), response, error)) return std::nullopt;
        headEnd = end + 4;
        if (auto length = response.header("Content-Length"))
          contentLength = std::strtoull(length->c_str(), nullptr, 10);
        if (auto encoding = response.header("Transfer-Encoding"))
          chunked = encoding->find("chunked") != std::string::npos;
      }
      continue;
    }
    if (n == 0) {  // closed by the server: the body ends here unless it was framed
      if (headEnd == std::string::npos) {
        error = "connection closed before the response head";
        return std::nullopt;
      }
      if (contentLength || chunked) {
        error = "connection closed in the middle of the response body";
        return std::nullopt;
      }
      response.body = raw.substr(headEnd);
      return response;
    }
    if (errno == EAGAIN || errno == EINTR) {
      if (!waitFor(fd.get(), POLLIN, deadline, error)) return std::nullopt;
      continue;
    }
    error = std::string("recv: ") + std::strerror(errno);
    return std::nullopt;
  }
}

}  // namespace sluice::load
