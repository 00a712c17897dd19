#pragma once
// Query-string and parameter parsing of the control API and /metrics, with the rules of
// MediaMTX's Go code: url.ParseQuery (first value wins, '+' is a space, pairs with a ';'
// or a bad escape are dropped), strconv.ParseUint(s, 10, 31) for the page numbers, and
// google/uuid.Parse for session ids. Pure functions, reached directly by the fuzzer.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::http {

// Decoded value of the first `key=` pair of a raw query; empty when absent (like gin's
// ctx.Query, which can't tell "absent" from "empty").
std::string queryParam(std::string_view rawQuery, std::string_view key);

// True when some pair decodes to exactly `key` (even with an empty value).
bool hasQueryParam(std::string_view rawQuery, std::string_view key);

// Go's strconv.Quote, restricted to what error messages need: always valid ASCII JSON
// content (bytes >= 0x80 come out as \xNN).
std::string goQuote(std::string_view text);

// One page of a list, as MediaMTX's paginate(): items [first, last) of the full list.
struct PageSlice {
  size_t first = 0;
  size_t last = 0;
  size_t pageCount = 0;  // 0 for an empty list
};

// `itemsPerPage` defaults to 100 and must be 1..2^31-1; `page` is 0-based, default 0. A
// page past the end is not an error: it is empty. False with MediaMTX's message
// (e.g. `strconv.ParseUint: parsing "x": invalid syntax`, "invalid items per page").
bool paginate(size_t itemCount, std::string_view itemsPerPage, std::string_view page, PageSlice& out,
              std::string& error);

// Parses a session id like uuid.Parse and writes the canonical lowercase form. False with
// uuid's messages ("invalid UUID length: 3", "invalid UUID format").
bool parseUuidParam(std::string_view text, std::string& canonical, std::string& error);

}  // namespace sluice::http
