#pragma once
// The metrics listener (metricsAddress, :9998): GET /metrics in MediaMTX's text format
// plus Sluice's own families. MediaMTX's families are read from the same
// ControlApiBackend as the API; Sluice's counters from an optional MetricsBackend.
#include "http/AccessGate.h"
#include "http/ControlApiBackend.h"
#include "http/HttpMessage.h"
#include "http/MetricsBackend.h"

namespace sluice::http {

class MetricsRoutes {
 public:
  // `sluice` may be null: then only the process figures follow MediaMTX's families.
  MetricsRoutes(ControlApiBackend& app, MetricsBackend* sluice, AccessCheck access = loopbackOnlyAccess())
      : app_(app), sluice_(sluice), access_(std::move(access)) {}

  void handle(const HttpRequest& request, HttpResponder respond);
  HttpHandler handler() {
    return [this](const HttpRequest& request, HttpResponder respond) { handle(request, std::move(respond)); };
  }

 private:
  void route(const HttpRequest& request, const HttpResponder& respond);  // once access is granted
  HttpResponse metrics(const HttpRequest& request);

  ControlApiBackend& app_;
  MetricsBackend* sluice_;
  AccessCheck access_;
};

}  // namespace sluice::http
