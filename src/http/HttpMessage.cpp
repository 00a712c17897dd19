#include "http/HttpMessage.h"

#include <algorithm>
#include <atomic>

#include "http/HttpText.h"

namespace sluice::http {

std::string_view HttpRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return {};
}

bool HttpRequest::hasHeader(std::string_view name) const {
  return std::any_of(headers.begin(), headers.end(), [&](const auto& h) { return iequals(h.first, name); });
}

void HttpResponse::setHeader(std::string_view name, std::string value) {
  std::erase_if(headers, [&](const auto& h) { return iequals(h.first, name); });
  headers.emplace_back(std::string(name), std::move(value));
}

void HttpResponse::addHeader(std::string_view name, std::string value) {
  headers.emplace_back(std::string(name), std::move(value));
}

std::string_view HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return {};
}

HttpResponse textResponse(int status, std::string_view contentType, std::string body) {
  HttpResponse r;
  r.status = status;
  r.setHeader("Content-Type", std::string(contentType));
  r.body = std::move(body);
  return r;
}

HttpResponse jsonErrorResponse(int status, std::string_view message) {
  return textResponse(status, "application/json; charset=utf-8", jsonErrorBody(message));
}

HttpResponse notFoundResponse() { return textResponse(404, "text/plain", "404 page not found"); }

struct HttpResponder::State {
  std::function<void(HttpResponse)> send;
  std::atomic<bool> done{false};

  ~State() {
    if (!done && send) {
      HttpResponse r = jsonErrorResponse(500, "request was not answered");
      send(std::move(r));
    }
  }
};

HttpResponder::HttpResponder(std::function<void(HttpResponse)> send) : state_(std::make_shared<State>()) {
  state_->send = std::move(send);
}

void HttpResponder::operator()(HttpResponse response) const {
  if (!state_ || state_->done.exchange(true)) return;
  if (state_->send) state_->send(std::move(response));
}

bool HttpResponder::responded() const { return state_ && state_->done; }

}  // namespace sluice::http
