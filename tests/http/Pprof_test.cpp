// /debug/pprof over a real HttpServer: a 1 s gperftools CPU profile taken while the
// server keeps answering, read back by google-pprof when it is installed; heap and
// thread reports; the access gate.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <memory>
#include <vector>

#include "ApiTestSupport.h"
#include "http/HeapReport.h"
#include "http/PprofRoutes.h"

using namespace sluice::http;
using namespace sluice::http::testing;
namespace fs = std::filesystem;

namespace {

// Work for the profiler to find; noinline keeps it a symbol of its own.
__attribute__((noinline)) uint64_t burnCpu(const std::atomic<bool>& stop) {
  volatile uint64_t x = 1;
  while (!stop.load(std::memory_order_relaxed)) {
    for (int i = 0; i < 100000; ++i) x = x * 6364136223846793005ULL + 1442695040888963407ULL;
  }
  return x;
}

// SIGPROF interrupts blocking calls (poll in RawHttpClient gives up on EINTR). The test's
// client threads block it; the server's io thread does not, which is the point.
class SigprofBlocked {
 public:
  SigprofBlocked() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPROF);
    pthread_sigmask(SIG_BLOCK, &set, &old_);
  }
  ~SigprofBlocked() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }

 private:
  sigset_t old_;
};

void unblockSigprof() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPROF);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

std::string selfExe() { return fs::read_symlink("/proc/self/exe").string(); }

bool googlePprofInstalled() { return std::system("command -v google-pprof >/dev/null 2>&1") == 0; }

std::string readAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct TempDir {
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "sluice-pprof-test-XXXXXX").string();
    path = mkdtemp(pattern.data()) ? pattern : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
  fs::path path;
};

// Runs a shell command; returns its exit status and puts stdout+stderr into `output`.
int run(const std::string& command, const fs::path& logFile, std::string& output) {
  const int rc = std::system((command + " >" + logFile.string() + " 2>&1").c_str());
  output = readAll(logFile);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string quote(const std::string& s) { return "'" + s + "'"; }

class PprofTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.started()) << server_.error(); }

  bool profilingNow() {
    bool value = false;
    server_.onIo([&] { value = routes_->profiling(); });
    return value;
  }

  // Built on the server's io_context: the profiler's timer runs there.
  std::unique_ptr<PprofRoutes> routes_;
  TestServer server_{[this](const HttpRequest& request, HttpResponder respond) {
    routes_->handle(request, std::move(respond));
  }};

 public:
  // Made on the io thread that reads it (TSan: a write from this thread would reach the
  // request handler only through the kernel's socket, which orders nothing for C++).
  PprofTest() {
    server_.onIo([this] { routes_ = std::make_unique<PprofRoutes>(server_.io()); });
  }
  ~PprofTest() override {
    server_.onIo([this] { routes_.reset(); });
  }
};

TEST_F(PprofTest, CpuProfileWhileServing) {
  std::atomic<bool> stop{false};
  std::thread burner([&] {
    unblockSigprof();
    burnCpu(stop);
  });
  SigprofBlocked blocked;  // for this thread and the client threads it starts

  auto profile = std::async(std::launch::async, [this] {
    return server_.request("GET", "/debug/pprof/profile?seconds=1", {}, {}, 15000);
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (!profilingNow() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(profilingNow());

  // The io_context is not blocked by the pending profile: other requests are answered
  // at once, and a second profile is refused instead of queued.
  for (int i = 0; i < 5; ++i) {
    const auto start = std::chrono::steady_clock::now();
    RawResponse r = server_.get("/debug/pprof/threads");
    const auto took = std::chrono::steady_clock::now() - start;
    ASSERT_TRUE(r.complete);
    EXPECT_EQ(r.status, 200);
    EXPECT_LT(took, std::chrono::milliseconds(300));
  }
  RawResponse busy = server_.get("/debug/pprof/profile?seconds=1");
  EXPECT_EQ(busy.status, 409);
  EXPECT_NE(busy.body.find("already being recorded"), std::string::npos);
  EXPECT_TRUE(profilingNow());

  RawResponse r = profile.get();
  stop = true;
  burner.join();
  ASSERT_TRUE(r.complete);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("Content-Type"), "application/octet-stream");
  EXPECT_EQ(r.header("Content-Disposition"), "attachment; filename=\"profile\"");
  EXPECT_FALSE(profilingNow());

  // gperftools' binary header: words 0, 3 (header size), 0 (version), period in us, 0.
  ASSERT_GE(r.body.size(), 5 * sizeof(uintptr_t));
  uintptr_t header[5];
  std::memcpy(header, r.body.data(), sizeof(header));
  EXPECT_EQ(header[0], 0u);
  EXPECT_EQ(header[1], 3u);
  EXPECT_EQ(header[2], 0u);
  EXPECT_GT(header[3], 0u);
  EXPECT_LE(header[3], 1000000u);
  EXPECT_EQ(header[4], 0u);
  EXPECT_NE(r.body.find("r-xp"), std::string::npos);  // the memory map gperftools appends

  if (!googlePprofInstalled()) GTEST_SKIP() << "google-pprof not installed (Debian package google-perftools)";
  TempDir dir;
  const fs::path file = dir.path / "cpu.prof";
  std::ofstream(file, std::ios::binary) << r.body;
  std::string out;
  const int rc =
      run("google-pprof --text " + quote(selfExe()) + " " + quote(file.string()), dir.path / "log", out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("Total:"), std::string::npos) << out;
  EXPECT_NE(out.find("burnCpu"), std::string::npos) << out;
}

TEST_F(PprofTest, GooglePprofFetchesOverHttp) {
  if (!googlePprofInstalled()) GTEST_SKIP() << "google-pprof not installed";
  std::atomic<bool> stop{false};
  std::thread burner([&] {
    unblockSigprof();
    burnCpu(stop);
  });
  SigprofBlocked blocked;
  TempDir dir;
  // The operator's command from the docs, with symbols from the local binary.
  const std::string url = "http://127.0.0.1:" + std::to_string(server_.port()) + "/debug/pprof/profile";
  std::string out;
  const int rc = run("PPROF_TMPDIR=" + quote(dir.path.string()) + " google-pprof --text --seconds=1 " +
                         quote(selfExe()) + " " + quote(url),
                     dir.path / "log", out);
  stop = true;
  burner.join();
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("Total:"), std::string::npos) << out;
}

TEST_F(PprofTest, ProfileSecondsAreValidated) {
  for (const char* bad : {"0", "301", "abc", "-1", "1.5", "99999"}) {
    RawResponse r = server_.get(std::string("/debug/pprof/profile?seconds=") + bad);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_NE(r.body.find("must be an integer from 1 to 300"), std::string::npos) << r.body;
  }
  EXPECT_FALSE(profilingNow());
  int seconds = 0;
  std::string error;
  ASSERT_TRUE(parseProfileSeconds("", seconds, error));
  EXPECT_EQ(seconds, 30);
  ASSERT_TRUE(parseProfileSeconds("debug=1&seconds=300", seconds, error));
  EXPECT_EQ(seconds, 300);
  ASSERT_TRUE(parseProfileSeconds("seconds=1", seconds, error));
  EXPECT_EQ(seconds, 1);
}

TEST_F(PprofTest, IndexThreadsHeapCmdline) {
  RawResponse index = server_.get("/debug/pprof/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(index.body.find("href=\"profile?seconds=30\""), std::string::npos);
  RawResponse redirect = server_.get("/debug/pprof");
  EXPECT_EQ(redirect.status, 301);
  EXPECT_EQ(redirect.header("Location"), "/debug/pprof/");

  for (const char* name : {"goroutine", "threads", "threadcreate"}) {
    RawResponse r = server_.get(std::string("/debug/pprof/") + name);
    ASSERT_EQ(r.status, 200) << name;
    EXPECT_EQ(r.header("Content-Type"), "text/plain; charset=utf-8");
    EXPECT_EQ(r.body.rfind("Sluice thread dump: ", 0), 0u) << r.body;
    EXPECT_NE(r.body.find("     tid  state    user_s     sys_s  name\n"), std::string::npos);
    // One line per thread: the header count matches the lines below it.
    const size_t count = std::stoul(r.body.substr(20));
    EXPECT_GE(count, 2u);  // this thread and the io thread at least
    const size_t lines = static_cast<size_t>(std::count(r.body.begin(), r.body.end(), '\n'));
    EXPECT_EQ(lines, count + 3) << r.body;
    EXPECT_NE(r.body.find(std::to_string(getpid()) + "  "), std::string::npos) << r.body;  // the main thread
  }

  RawResponse heap = server_.get("/debug/pprof/heap");
  ASSERT_EQ(heap.status, 200);
  if (!tcmallocLoaded()) {
    EXPECT_EQ(heap.header("Content-Type"), "text/plain; charset=utf-8");
    EXPECT_NE(heap.body.find("allocator: glibc malloc"), std::string::npos);
    EXPECT_NE(heap.body.find("mallinfo2:"), std::string::npos);
    EXPECT_NE(heap.body.find("<malloc version="), std::string::npos);
  }
  EXPECT_EQ(server_.get("/debug/pprof/allocs").status, 200);

  RawResponse cmdline = server_.get("/debug/pprof/cmdline");
  EXPECT_EQ(cmdline.status, 200);
  EXPECT_NE(cmdline.body.find("test_http"), std::string::npos);

  for (const char* missing : {"block", "mutex", "trace", "symbol", "nope"}) {
    RawResponse r = server_.get(std::string("/debug/pprof/") + missing);
    EXPECT_EQ(r.status, 404) << missing;
    EXPECT_EQ(r.body, "Unknown profile\n");
  }
  EXPECT_EQ(server_.get("/other").status, 404);
  RawResponse post = server_.request("POST", "/debug/pprof/profile", {}, "");
  EXPECT_EQ(post.status, 405);
}

TEST(PprofGate, NonLoopbackGets401) {
  boost::asio::io_context io;
  PprofRoutes routes(io);
  HttpResponse r = callRoutes(routes, "GET", "/debug/pprof/threads", "192.0.2.1:999");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.header("WWW-Authenticate"), "Basic realm=\"mediamtx\"");
  // A denied profile request must not start the profiler.
  EXPECT_EQ(callRoutes(routes, "GET", "/debug/pprof/profile?seconds=1", "192.0.2.1:999").status, 401);
  EXPECT_FALSE(routes.profiling());
  EXPECT_EQ(callRoutes(routes, "GET", "/debug/pprof/threads", "[::1]:999").status, 200);
  std::string action;
  PprofRoutes custom(io, [&](const HttpRequest&, std::string_view a, std::string_view, AccessDone done) {
    action = a;
    done({AccessVerdict::Denied, {}});
  });
  EXPECT_EQ(callRoutes(custom, "GET", "/debug/pprof/", "127.0.0.1:1").status, 401);
  EXPECT_EQ(action, "pprof");
}

// Re-runs this test binary with tcmalloc preloaded; the child half checks that the heap
// endpoint then serves tcmalloc's sample, and the parent has google-pprof read it.
TEST(PprofHeap, TcmallocSampleWhenPreloaded) {
  if (const char* out = std::getenv("SLUICE_TCMALLOC_CHILD")) {
    ASSERT_TRUE(tcmallocLoaded());
    std::vector<std::unique_ptr<char[]>> keep;
    // tcmalloc skips a random stretch before its first sample: allocate well past it.
    for (int i = 0; i < 20000; ++i) keep.emplace_back(new char[4096]);
    HeapReport report = makeHeapReport(false);
    EXPECT_EQ(report.contentType, "application/octet-stream");
    EXPECT_EQ(report.body.rfind("heap profile:", 0), 0u) << report.body.substr(0, 200);
    std::ofstream(out, std::ios::binary) << report.body;
    HeapReport text = makeHeapReport(true);
    EXPECT_EQ(text.contentType, "text/plain; charset=utf-8");
    EXPECT_NE(text.body.find("allocator: tcmalloc"), std::string::npos);
    EXPECT_NE(text.body.find("MALLOC:"), std::string::npos) << text.body;
    return;
  }
  std::string lib;
  for (const char* candidate :
       {"/usr/lib/x86_64-linux-gnu/libtcmalloc.so.4", "/usr/lib/aarch64-linux-gnu/libtcmalloc.so.4"}) {
    if (fs::exists(candidate)) lib = candidate;
  }
  if (lib.empty()) GTEST_SKIP() << "libtcmalloc.so.4 not installed";
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "a sanitizer build replaces malloc itself: tcmalloc cannot be preloaded into it";
#endif
  TempDir dir;
  const fs::path sample = dir.path / "heap.prof";
  std::string out;
  const int rc = run("LD_PRELOAD=" + quote(lib) +
                         " TCMALLOC_SAMPLE_PARAMETER=65536 SLUICE_TCMALLOC_CHILD=" + quote(sample.string()) +
                         " " + quote(selfExe()) + " --gtest_filter=PprofHeap.TcmallocSampleWhenPreloaded",
                     dir.path / "child.log", out);
  ASSERT_EQ(rc, 0) << out;
  ASSERT_TRUE(fs::exists(sample)) << out;
  if (!googlePprofInstalled()) return;
  const int pprofRc = run("google-pprof --text " + quote(selfExe()) + " " + quote(sample.string()),
                          dir.path / "pprof.log", out);
  EXPECT_EQ(pprofRc, 0) << out;
  EXPECT_NE(out.find("Total:"), std::string::npos) << out;
}

TEST(PprofHeap, GlibcReportSaysWhatItIs) {
  if (tcmallocLoaded()) GTEST_SKIP() << "running with tcmalloc";
  HeapReport report = makeHeapReport(false);
  EXPECT_EQ(report.contentType, "text/plain; charset=utf-8");
  EXPECT_NE(report.body.find("tcmalloc is not loaded"), std::string::npos);
  EXPECT_NE(report.body.find("uordblks"), std::string::npos);
}

}  // namespace
