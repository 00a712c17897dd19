#include "config/FieldChecks.h"
#include "config/KeyBindings.h"

namespace sluice::config {

const std::vector<PathKeyBinding>& pathKeyBindings() {
  static const std::vector<PathKeyBinding> kBindings = {
      {"source", assignField<&PathConfig::source>},
      {"sourceOnDemand", assignField<&PathConfig::sourceOnDemand>},
      {"sourceOnDemandStartTimeout", assignField<&PathConfig::sourceOnDemandStartTimeout>},
      {"sourceOnDemandCloseAfter", assignField<&PathConfig::sourceOnDemandCloseAfter>},
      {"maxReaders", assignField<&PathConfig::maxReaders, requireNonNegative>},
      {"rtspTransport", assignField<&PathConfig::rtspTransport>},
      {"rtspAnyPort", assignField<&PathConfig::rtspAnyPort>},
      {"sourceRedirect", assignField<&PathConfig::sourceRedirect>},

      // Deprecated MediaMTX names of the keys above.
      {"sourceProtocol", assignField<&PathConfig::rtspTransport>, "rtspTransport"},
      {"sourceAnyPortEnable", assignField<&PathConfig::rtspAnyPort>, "rtspAnyPort"},
  };
  return kBindings;
}

}  // namespace sluice::config
