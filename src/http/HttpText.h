#pragma once
// Small text codecs shared by the HTTP server and its routes: request-target splitting,
// percent coding, media types, UUIDs, JSON/HTML escaping. Pure functions, no I/O, so the
// fuzz target and unit tests reach them directly.
#include <ctime>
#include <string>
#include <string_view>

#include "core/AsciiText.h"
#include "core/JsonText.h"

namespace sluice::http {

using core::iequals;
using core::toLowerAscii;

// Splits a request target into a percent-decoded path and the raw query (without '?').
// Accepts origin-form ("/a/b?x=1") and absolute-form ("http://host/a?x"), like Go's
// net/http. Returns false on a malformed percent escape. The path may come back empty
// or not starting with '/' (e.g. "*"): callers answer those with 400, as MediaMTX does.
bool splitRequestTarget(std::string_view target, std::string& path, std::string& query);

// Decodes %XX escapes ('+' stays '+', as in a URL path). False on a bad escape.
bool percentDecode(std::string_view in, std::string& out);
// Encodes everything but unreserved characters, sub-delims, ':', '@' and '/', so that a
// decoded path name can be put back into a Location header without header injection and
// percentDecode(percentEncodePath(x)) == x for every x.
std::string percentEncodePath(std::string_view path);

// "application/SDP ; charset=utf-8" -> "application/sdp".
std::string mediaType(std::string_view contentType);

// Parses a UUID in the forms Go's uuid.Parse accepts (canonical 36 chars, {braced},
// urn:uuid:, or 32 hex digits) and writes the canonical lowercase 36-char form.
bool canonicalUuid(std::string_view text, std::string& out);

using core::jsonEscape;
// {"status":"error","error":"<message>"}, the error body of every MediaMTX HTTP server.
std::string jsonErrorBody(std::string_view message);
std::string htmlEscape(std::string_view text);

// IMF-fixdate for the Date header, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
std::string httpDate(std::time_t when);

}  // namespace sluice::http
