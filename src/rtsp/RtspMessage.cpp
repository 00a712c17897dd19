#include "rtsp/RtspMessage.h"

#include "rtsp/RtspText.h"

namespace sluice::rtsp {
namespace {

void appendHeaders(std::string& out, const RtspHeaders& headers, const std::string& body) {
  for (const auto& f : headers.fields()) {
    if (iequals(f.name, "Content-Length")) continue;  // always derived from the body
    out += f.name;
    out += ": ";
    out += f.value;
    out += "\r\n";
  }
  if (!body.empty()) {
    out += "Content-Length: ";
    out += std::to_string(body.size());
    out += "\r\n";
  }
  out += "\r\n";
  out += body;
}

}  // namespace

std::optional<std::string_view> RtspHeaders::get(std::string_view name) const {
  for (const auto& f : fields_) {
    if (iequals(f.name, name)) return std::string_view(f.value);
  }
  return std::nullopt;
}

std::vector<std::string_view> RtspHeaders::getAll(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& f : fields_) {
    if (iequals(f.name, name)) out.emplace_back(f.value);
  }
  return out;
}

void RtspHeaders::set(std::string_view name, std::string_view value) {
  remove(name);
  add(name, value);
}

void RtspHeaders::add(std::string_view name, std::string_view value) {
  fields_.push_back(Field{std::string(name), std::string(value)});
}

void RtspHeaders::remove(std::string_view name) {
  std::erase_if(fields_, [&](const Field& f) { return iequals(f.name, name); });
}

std::string RtspRequest::serialize() const {
  std::string out;
  out.reserve(128 + uri.size() + body.size());
  out += method;
  out += ' ';
  out += uri;
  out += " RTSP/1.0\r\n";
  appendHeaders(out, headers, body);
  return out;
}

std::string RtspResponse::serialize() const {
  std::string out;
  out.reserve(128 + body.size());
  out += "RTSP/1.0 ";
  out += std::to_string(statusCode);
  out += ' ';
  out += reason;
  out += "\r\n";
  appendHeaders(out, headers, body);
  return out;
}

std::optional<uint32_t> cseqOf(const RtspHeaders& headers, bool* malformed) {
  if (malformed) *malformed = false;
  auto v = headers.get("CSeq");
  if (!v) return std::nullopt;
  auto n = parseDecimal<uint32_t>(trim(*v));
  if (!n && malformed) *malformed = true;
  return n;
}

bool publicListsMethod(std::string_view publicHeader, std::string_view method) {
  while (!publicHeader.empty()) {
    size_t comma = publicHeader.find(',');
    std::string_view item = trim(publicHeader.substr(0, comma));
    if (item == method) return true;
    if (comma == std::string_view::npos) break;
    publicHeader.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace sluice::rtsp
