// loadConfigText and loadConfigFile: YAML parsing, environment, validation, and turning every
// failure (ours, yaml-cpp's, the standard library's) into ConfigResult::error.
#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "config/Config.h"
#include "config/ConfigBuilder.h"
#include "config/ConfigError.h"
#include "config/EnvironmentOverrides.h"
#include "config/YamlLimits.h"

namespace sluice::config {
namespace {

std::string yamlErrorMessage(std::string_view fileName, const YAML::Exception& e) {
  std::string where = fileName.empty() ? std::string("configuration") : std::string(fileName);
  if (!e.mark.is_null()) where += fmt::format(":{}", e.mark.line + 1);
  return fmt::format("{}: invalid YAML: {}", where, e.msg);
}

}  // namespace

ConfigResult loadConfigText(std::string_view yaml, std::string_view fileName) {
  ConfigResult result;
  ConfigBuilder builder{std::string(fileName)};
  try {
    builder.readDocument(loadBoundedYaml(yaml, fileName));
    applyEnvironment(processEnvironment(), builder);
    result.config = builder.finish();
  } catch (const ConfigError& e) {
    result.error = e.what();
  } catch (const YAML::Exception& e) {
    result.error = yamlErrorMessage(fileName, e);
  } catch (const std::exception& e) {
    result.error = fmt::format("{}: cannot load the configuration: {}", fileName, e.what());
  }
  result.warnings = std::move(builder.warnings());
  if (!result.error.empty()) result.config.reset();
  return result;
}

ConfigResult loadConfigFile(const std::string& path) {
  std::string file = path;
  if (file.empty()) {
    // Without an explicit path the file is optional, as in MediaMTX.
    std::optional<std::string> found = findDefaultConfigFile();
    if (!found) return loadConfigText("", "");
    file = *found;
  }
  ConfigResult result;
  if (std::getenv("MTX_CONFKEY") || std::getenv("RTSP_CONFKEY")) {
    result.error =
        fmt::format("{}: encrypted configuration files (MTX_CONFKEY) are not supported by Sluice yet", file);
    return result;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    result.error = fmt::format("cannot read configuration file '{}': {}", file, std::strerror(errno));
    return result;
  }
  // Read at most one byte more than allowed, so that neither a huge file nor an endless one
  // (/dev/zero, a FIFO) is read into memory.
  std::string text(kMaxConfigFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) {
    result.error = fmt::format("cannot read configuration file '{}'", file);
    return result;
  }
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxConfigFileBytes) {
    result.error = fmt::format("{}: the file is larger than {} bytes (limit {} KiB)", file,
                               kMaxConfigFileBytes, kMaxConfigFileBytes / 1024);
    return result;
  }
  result = loadConfigText(text, file);
  if (result.config) result.config->sourceFile = file;
  return result;
}

}  // namespace sluice::config
