#include "http/ControlApiBackend.h"

#include <algorithm>

namespace sluice::http {
namespace {

template <class T, class Key>
std::optional<T> findBy(std::vector<T> items, const Key& key, const std::string T::*field) {
  auto it = std::find_if(items.begin(), items.end(), [&](const T& item) { return item.*field == key; });
  if (it == items.end()) return std::nullopt;
  return std::move(*it);
}

}  // namespace

std::optional<PathItem> ControlApiBackend::path(const std::string& name) {
  return findBy(paths(), name, &PathItem::name);
}

std::optional<WebrtcSessionItem> ControlApiBackend::webrtcSession(const std::string& id) {
  return findBy(webrtcSessions(), id, &WebrtcSessionItem::id);
}

std::optional<RtspConnItem> ControlApiBackend::rtspConn(const std::string& id) {
  return findBy(rtspConns(), id, &RtspConnItem::id);
}

std::optional<RtspSessionItem> ControlApiBackend::rtspSession(const std::string& id) {
  return findBy(rtspSessions(), id, &RtspSessionItem::id);
}

int ControlApiBackend::kickRtspSession(const std::string&, std::string& error) {
  error = "session not found";
  return 404;
}

std::optional<RtspConnItem> ControlApiBackend::rtspsConn(const std::string& id) {
  return findBy(rtspsConns(), id, &RtspConnItem::id);
}

std::optional<RtspSessionItem> ControlApiBackend::rtspsSession(const std::string& id) {
  return findBy(rtspsSessions(), id, &RtspSessionItem::id);
}

int ControlApiBackend::kickRtspsSession(const std::string&, std::string& error) {
  error = "session not found";
  return 404;
}

}  // namespace sluice::http
