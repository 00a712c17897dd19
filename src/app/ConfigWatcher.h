#pragma once
// Watches the configuration file for changes (inotify on its directory, so that editors
// that write a new file and rename it over the old one are seen too) and calls back on
// the control thread, debounced.
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <string>

namespace sluice::app {

class ConfigWatcher {
 public:
  ConfigWatcher(boost::asio::io_context& io, std::string file, std::function<void()> onChange);
  ~ConfigWatcher();
  bool start(std::string& error);
  void stop();

 private:
  void read();

  boost::asio::io_context& io_;
  std::string file_, dir_, name_;
  std::function<void()> onChange_;
  boost::asio::posix::stream_descriptor fd_;
  boost::asio::steady_timer debounce_;
  char buffer_[4096];
};

}  // namespace sluice::app
