#include <dlfcn.h>
#include <unistd.h>

#include <mutex>
#include <vector>

#include "core/Log.h"
#include "media/AudioTranscoder.h"

namespace sluice::media {

namespace {

std::string executableDir() {
  char path[4096];
  const ssize_t n = ::readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (n <= 0) return ".";
  std::string p(path, static_cast<size_t>(n));
  const size_t slash = p.rfind('/');
  return slash == std::string::npos ? "." : p.substr(0, slash);
}

struct Module {
  AudioTranscoderFactory factory = nullptr;
  std::string error;
};

// Loaded once for the process' life (never unloaded: transcoders made by it may outlive any
// owner we could tie an unload to).
const Module& module() {
  static Module m;
  static std::once_flag once;
  std::call_once(once, [] {
    std::vector<std::string> candidates;
    if (const char* env = std::getenv("SLUICE_TRANSCODE_MODULE"); env && *env) candidates.emplace_back(env);
    const std::string dir = executableDir();
    for (const char* rel : {"/", "/../", "/../lib/sluice/"}) candidates.push_back(dir + rel + "libsluice-transcode.so");
    std::string tried;
    for (const std::string& path : candidates) {
      void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (!handle) {
        const char* why = ::dlerror();
        if (::access(path.c_str(), F_OK) == 0) tried += (tried.empty() ? "" : "; ") + std::string(why ? why : path);
        continue;
      }
      m.factory = reinterpret_cast<AudioTranscoderFactory>(::dlsym(handle, kAudioTranscoderFactorySymbol));
      if (m.factory) {
        log::info("audio transcoding module loaded from {}", path);
        return;
      }
      tried += (tried.empty() ? "" : "; ") + path + ": no " + kAudioTranscoderFactorySymbol;
    }
    m.error = "the audio transcoding module (libsluice-transcode.so) is not installed next to the server" +
              (tried.empty() ? std::string() : " (" + tried + ")");
  });
  return m;
}

}  // namespace

std::unique_ptr<AudioTranscoder> createAudioTranscoder(const AudioTranscoderSpec& spec, std::string& error) {
  const Module& m = module();
  if (!m.factory) {
    error = m.error;
    return nullptr;
  }
  return std::unique_ptr<AudioTranscoder>(m.factory(&spec, &error));
}

}  // namespace sluice::media
