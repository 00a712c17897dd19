#include "app/ConfigWatcher.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

namespace sluice::app {

ConfigWatcher::ConfigWatcher(boost::asio::io_context& io, std::string file, std::function<void()> onChange)
    : io_(io), file_(std::move(file)), onChange_(std::move(onChange)), fd_(io), debounce_(io) {
  std::filesystem::path p = std::filesystem::absolute(file_);
  dir_ = p.parent_path().string();
  name_ = p.filename().string();
}

ConfigWatcher::~ConfigWatcher() {
  try {
    stop();
  } catch (...) {  // the timer's cancel() throws only on an OS error; a destructor must not
  }
}

bool ConfigWatcher::start(std::string& error) {
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    error = std::string("inotify: ") + std::strerror(errno);
    return false;
  }
  if (inotify_add_watch(fd, dir_.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE) < 0) {
    error = "inotify on " + dir_ + ": " + std::strerror(errno);
    ::close(fd);
    return false;
  }
  fd_.assign(fd);
  read();
  return true;
}

void ConfigWatcher::stop() {
  boost::system::error_code ec;
  debounce_.cancel();
  if (fd_.is_open()) fd_.close(ec);
}

void ConfigWatcher::read() {
  fd_.async_read_some(boost::asio::buffer(buffer_), [this](const boost::system::error_code& ec, size_t n) {
    if (ec) return;
    bool ours = false;
    for (size_t off = 0; off + sizeof(inotify_event) <= n;) {
      auto* ev = reinterpret_cast<const inotify_event*>(buffer_ + off);
      if (ev->len > 0 && name_ == ev->name) ours = true;
      off += sizeof(inotify_event) + ev->len;
    }
    if (ours) {
      // Editors write in several steps: wait for the file to settle.
      debounce_.expires_after(std::chrono::milliseconds(300));
      debounce_.async_wait([this](const boost::system::error_code& e) {
        if (!e) onChange_();
      });
    }
    read();
  });
}

}  // namespace sluice::app
