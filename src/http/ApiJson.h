#pragma once
// JSON encoding of the control API items, byte-compatible in shape with MediaMTX's Go
// encoder: field order of the Go structs (ordered_json), RFC 3339 times with trimmed
// nanoseconds, integral floats without ".0", '<' '>' '&' escaped as \u003c..., and
// invalid UTF-8 replaced by U+FFFD instead of throwing. Included by .cpp files only.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "http/ApiItems.h"
#include "http/HttpMessage.h"

namespace sluice::http {

using Json = nlohmann::ordered_json;

// "2026-08-22T10:00:00.123Z" (UTC; fraction trimmed like Go's RFC3339Nano).
std::string formatRfc3339(WallTime time);

Json toJson(const PathItem& item);
Json toJson(const WebrtcSessionItem& item);
Json toJson(const RtspConnItem& item);
Json toJson(const RtspSessionItem& item);
Json toJson(const ApiInfo& info);

// Compact text like Go's json.Marshal.
std::string dumpJson(const Json& value);

// 200 application/json answers and MediaMTX's {"status":"error","error":...} errors. The
// message may carry request bytes (names, numbers), so it goes through the same encoder.
HttpResponse jsonResponse(int status, const Json& value);
HttpResponse apiOk();
HttpResponse apiError(int status, std::string_view message);

}  // namespace sluice::http
