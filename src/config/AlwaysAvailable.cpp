#include "config/AlwaysAvailable.h"

#include <fmt/format.h>

#include <array>
#include <string_view>

#include "config/FieldParsers.h"
#include "config/KeySuggestion.h"
#include "config/YamlMapping.h"
#include "media/Mp4H264Reader.h"

namespace sluice::config {
namespace {

constexpr std::array<std::string_view, 8> kCodecs = {"AV1",  "VP9",        "H265", "H264",
                                                     "Opus", "MPEG4Audio", "G711", "LPCM"};

bool isVideo(std::string_view codec) {
  return codec == "AV1" || codec == "VP9" || codec == "H265" || codec == "H264";
}

// MediaMTX's checks of one track (conf/always_available_track.go).
void checkTrack(const AlwaysAvailableTrack& t, const Origin& origin) {
  const std::string& c = t.codec;
  if (c == "AV1" || c == "VP9" || c == "H265" || c == "H264" || c == "Opus") {
    if (t.sampleRate != 0) fail(origin, fmt::format("sampleRate must not be specified for codec '{}'", c));
    if (t.channelCount != 0) {
      fail(origin, fmt::format("channelCount must not be specified for codec '{}'", c));
    }
  } else if (c == "MPEG4Audio" || c == "G711" || c == "LPCM") {
    const int minimum = c == "MPEG4Audio" ? 22050 : 8000;
    if (t.sampleRate == 0) fail(origin, fmt::format("sampleRate is mandatory for codec '{}'", c));
    if (t.sampleRate < minimum) {
      fail(origin, fmt::format("sampleRate must be greater than or equal to {} for codec '{}'", minimum, c));
    }
    if (t.channelCount == 0) fail(origin, fmt::format("channelCount is mandatory for codec '{}'", c));
  } else {
    fail(origin, fmt::format("unsupported codec '{}' (expected one of AV1, VP9, H265, H264, Opus, "
                             "MPEG4Audio, G711, LPCM)",
                             c));
  }
}

AlwaysAvailableTrack parseTrack(const YAML::Node& node, const Origin& origin) {
  static const std::vector<std::string_view> kFields = {"codec", "sampleRate", "channelCount", "muLaw"};
  AlwaysAvailableTrack track;
  if (!node.IsMap()) fail(origin, "expected a mapping with codec, sampleRate, channelCount, muLaw");
  for (const MappingEntry& entry : mappingEntries(node, origin)) {
    InputValue field = InputValue::fromYaml(entry.value, origin.child(entry.key, entry.line));
    if (entry.key == "codec") {
      parseValue(field, track.codec);
    } else if (entry.key == "sampleRate") {
      parseValue(field, track.sampleRate);
    } else if (entry.key == "channelCount") {
      parseValue(field, track.channelCount);
    } else if (entry.key == "muLaw") {
      parseValue(field, track.muLaw);
    } else {
      failUnknownKey(field.origin, didYouMean(entry.key, kFields));
    }
  }
  checkTrack(track, origin);
  return track;
}

}  // namespace

void parseValue(const InputValue& in, std::vector<AlwaysAvailableTrack>& out) {
  if (!in.node) {
    if (!in.envText.empty()) fail(in.origin, "must be empty (to clear the list); set the tracks in the file");
    out.clear();
    return;
  }
  std::vector<AlwaysAvailableTrack> tracks;
  const YAML::Node& node = *in.node;
  if (!node.IsNull()) {
    if (!node.IsSequence()) fail(in.origin, "expected a list of {codec, sampleRate, channelCount, muLaw}");
    for (const YAML::Node& item : node) {
      tracks.push_back(parseTrack(item, in.origin.item(tracks.size(), lineOf(item))));
    }
  }
  out = std::move(tracks);
}

void validateAlwaysAvailable(const PathConfig& path, const Origin& where,
                             std::vector<std::string>& warnings) {
  if (!path.alwaysAvailable) return;
  // MediaMTX's rules (conf/path.go).
  if (path.regex) {
    fail(where,
         "'alwaysAvailable' cannot be used in a path with a regular expression (or path 'all_others')");
  }
  if (path.sourceOnDemand) fail(where, "'sourceOnDemand' is not compatible with 'alwaysAvailable'");
  if (!path.alwaysAvailableFile.empty()) {
    if (!path.alwaysAvailableTracks.empty()) {
      fail(where, "'alwaysAvailableFile' and 'alwaysAvailableTracks' cannot be used together");
    }
    media::Mp4ReadResult r = media::readMp4H264File(path.alwaysAvailableFile);
    if (!r.clip) fail(where, fmt::format("invalid 'alwaysAvailableFile': {}", r.error));
    if (!r.skipped.empty()) {
      warnings.push_back(where.describe() +
                         fmt::format(": 'alwaysAvailableFile' has {} track(s) besides H264; Sluice plays the "
                                     "H264 track only",
                                     r.skipped.size()));
    }
    return;
  }
  if (path.alwaysAvailableTracks.empty()) {
    fail(where, "'alwaysAvailableTracks' must contain at least one track");
  }
  // What Sluice serves: one H264 video track (its slate); audio is not served yet.
  bool h264 = false;
  std::string audio;
  for (const AlwaysAvailableTrack& t : path.alwaysAvailableTracks) {
    if (t.codec == "H264") {
      if (h264) fail(where, "'alwaysAvailableTracks': Sluice supports a single H264 track");
      h264 = true;
    } else if (isVideo(t.codec)) {
      fail(where, fmt::format("'alwaysAvailableTracks': codec '{}' is not supported by Sluice yet "
                              "(its streams are H264)",
                              t.codec));
    } else {
      audio += (audio.empty() ? "" : ", ") + t.codec;
    }
  }
  if (!h264) fail(where, "'alwaysAvailableTracks' must contain an H264 track (Sluice's streams are H264)");
  if (!audio.empty()) {
    warnings.push_back(where.describe() +
                       fmt::format(": 'alwaysAvailableTracks': audio ({}) is not served by Sluice yet; the "
                                   "offline slate is video only",
                                   audio));
  }
}

}  // namespace sluice::config
