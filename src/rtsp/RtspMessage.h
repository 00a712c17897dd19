#pragma once
// RTSP/1.0 requests and responses (RFC 2326 §6-7): the start line, headers and an
// optional body. Parsing lives in RtspStreamParser; this file only holds and serializes.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::rtsp {

// Header fields in arrival order; lookups ignore case, as RFC 2326 §4.2 requires.
class RtspHeaders {
 public:
  struct Field {
    std::string name;
    std::string value;
  };

  // First field with this name, or nullopt.
  std::optional<std::string_view> get(std::string_view name) const;
  // Every field with this name (e.g. several WWW-Authenticate challenges).
  std::vector<std::string_view> getAll(std::string_view name) const;
  // Replaces every field with this name by one field.
  void set(std::string_view name, std::string_view value);
  void add(std::string_view name, std::string_view value);
  void remove(std::string_view name);
  const std::vector<Field>& fields() const { return fields_; }
  size_t size() const { return fields_.size(); }
  void clear() { fields_.clear(); }

 private:
  std::vector<Field> fields_;
};

struct RtspRequest {
  std::string method;
  std::string uri;
  RtspHeaders headers;
  std::string body;

  // Start line, headers (Content-Length set from the body when it is not empty), blank
  // line, body.
  std::string serialize() const;
};

struct RtspResponse {
  int statusCode = 0;
  std::string reason;
  RtspHeaders headers;
  std::string body;

  std::string serialize() const;
};

// CSeq value: decimal, fits 32 bits. nullopt when the header is absent; `malformed` is set
// when it is present but not a number.
std::optional<uint32_t> cseqOf(const RtspHeaders& headers, bool* malformed = nullptr);

// "Public: OPTIONS, DESCRIBE, GET_PARAMETER" contains `method` (case-sensitive tokens).
bool publicListsMethod(std::string_view publicHeader, std::string_view method);

}  // namespace sluice::rtsp
