#pragma once
// Test helpers: a GStreamer RTSP camera (tests/tools/rtsp_camera.py) as a child process,
// the test clip it serves, and a loop that runs an io_context until a condition holds.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace sluice::rtsp::testing {

// Generates the H.264 clip once per test binary run (about 3 s of ffmpeg) in a temporary
// directory that is removed when the binary exits.
inline const std::string& testClipPath() {
  struct TempDir {
    std::filesystem::path dir =
        std::filesystem::temp_directory_path() / ("sluice-rtsp-test-" + std::to_string(::getpid()));
    std::string clip;
    TempDir() {
      std::filesystem::create_directories(dir);
      std::string path = (dir / "clip.h264").string();
      std::string cmd =
          "ffmpeg -nostdin -loglevel error -y -f lavfi -i testsrc2=size=1280x720:rate=30 -t 3 -c:v libx264 "
          "-preset veryfast -profile:v baseline -g 30 -bf 0 -bsf:v h264_mp4toannexb -f h264 '" +
          path + "'";
      if (std::system(cmd.c_str()) == 0) clip = path;
    }
    ~TempDir() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  };
  static const TempDir tmp;
  return tmp.clip;
}

// Runs the io_context until pred() is true or the timeout passes; returns pred().
inline bool runUntil(boost::asio::io_context& io, std::chrono::milliseconds timeout,
                     const std::function<bool()>& pred) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (!pred() && std::chrono::steady_clock::now() < end) {
    io.restart();
    io.run_for(std::chrono::milliseconds(20));
    if (io.stopped()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return pred();
}

class TestCamera {
 public:
  // Starts the camera and waits (bounded) for its READY line. url() is empty on failure.
  explicit TestCamera(std::vector<std::string> args) {
    const std::string& clip = testClipPath();
    if (clip.empty()) return;
    std::string script = std::string(SLUICE_SOURCE_DIR) + "/tests/tools/rtsp_camera.py";
    std::vector<std::string> argv = {"/usr/bin/python3", script, "--clip", clip};
    argv.insert(argv.end(), args.begin(), args.end());
    int fds[2];
    if (::pipe(fds) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], 1);
      ::close(fds[0]);
      ::close(fds[1]);
      std::vector<char*> cargv;
      for (auto& a : argv) cargv.push_back(a.data());
      cargv.push_back(nullptr);
      ::execv(cargv[0], cargv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    out_ = fds[0];
    std::string line;
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < end) {
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0) continue;
      char c;
      ssize_t n = ::read(out_, &c, 1);
      if (n <= 0) break;
      if (c == '\n') break;
      line += c;
    }
    if (line.rfind("READY ", 0) == 0) url_ = line.substr(6);
  }
  ~TestCamera() { kill(); }
  TestCamera(const TestCamera&) = delete;
  TestCamera& operator=(const TestCamera&) = delete;

  const std::string& url() const { return url_; }
  // "rtsp://user:pass@127.0.0.1:port/path"
  std::string urlWithCredentials(const std::string& user, const std::string& pass) const {
    return "rtsp://" + user + ":" + pass + "@" + url_.substr(7);
  }

  // Stops the process without closing its sockets (SIGSTOP).
  void freeze() {
    if (pid_ > 0) ::kill(pid_, SIGSTOP);
  }

  // SIGTERM, a bounded wait, then SIGKILL: only this child, by its PID.
  void kill(int signal = SIGTERM) {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGCONT);  // a frozen camera must be able to act on SIGTERM
    ::kill(pid_, signal);
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > end) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
    if (out_ >= 0) ::close(out_);
    out_ = -1;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string url_;
};

}  // namespace sluice::rtsp::testing
