#include "config/AlwaysAvailable.h"
#include "config/AuthFieldChecks.h"
#include "config/FieldChecks.h"
#include "config/KeyBindings.h"

namespace sluice::config {
namespace {

// The deprecated per-path credentials live in PathConfig::legacyCredentials until the
// configuration is finished (LegacyCredentials.cpp turns them into authInternalUsers).
template <auto Field, auto Check>
void assignLegacyCredential(const InputValue& in, PathConfig& path) {
  auto value = path.legacyCredentials.*Field;
  parseValue(in, value);
  Check(in.origin, value);
  path.legacyCredentials.*Field = std::move(value);
}

// disablePublisherOverride: the inverse of overridePublisher.
void assignDisablePublisherOverride(const InputValue& in, PathConfig& path) {
  bool disabled = !path.overridePublisher;
  parseValue(in, disabled);
  path.overridePublisher = !disabled;
}

}  // namespace

const std::vector<PathKeyBinding>& pathKeyBindings() {
  static const std::vector<PathKeyBinding> kBindings = {
      {"source", assignField<&PathConfig::source>},
      {"sourceOnDemand", assignField<&PathConfig::sourceOnDemand>},
      {"sourceOnDemandStartTimeout",
       assignField<&PathConfig::sourceOnDemandStartTimeout, requirePositiveDuration>},
      {"sourceOnDemandCloseAfter", assignField<&PathConfig::sourceOnDemandCloseAfter>},
      {"maxReaders", assignField<&PathConfig::maxReaders, requireNonNegative>},
      {"overridePublisher", assignField<&PathConfig::overridePublisher>},
      {"rtspTransport", assignField<&PathConfig::rtspTransport>},
      {"rtspAnyPort", assignField<&PathConfig::rtspAnyPort>},
      {"sourceRedirect", assignField<&PathConfig::sourceRedirect>},
      {"fallback", assignField<&PathConfig::fallback>},
      {"sourceFingerprint", assignField<&PathConfig::sourceFingerprint, requireCertificateFingerprint>},
      {"alwaysAvailable", assignField<&PathConfig::alwaysAvailable>},
      {"alwaysAvailableTracks", assignField<&PathConfig::alwaysAvailableTracks>},
      {"alwaysAvailableFile", assignField<&PathConfig::alwaysAvailableFile>},
      {"runOnInit", assignField<&PathConfig::runOnInit>},
      {"runOnInitRestart", assignField<&PathConfig::runOnInitRestart>},
      {"runOnDemand", assignField<&PathConfig::runOnDemand>},
      {"runOnDemandRestart", assignField<&PathConfig::runOnDemandRestart>},
      {"runOnDemandStartTimeout", assignField<&PathConfig::runOnDemandStartTimeout, requirePositiveDuration>},
      {"runOnDemandCloseAfter", assignField<&PathConfig::runOnDemandCloseAfter>},
      {"runOnUnDemand", assignField<&PathConfig::runOnUnDemand>},
      {"runOnOnline", assignField<&PathConfig::runOnOnline>},
      {"runOnOnlineRestart", assignField<&PathConfig::runOnOnlineRestart>},
      {"runOnOffline", assignField<&PathConfig::runOnOffline>},
      {"runOnAvailable", assignField<&PathConfig::runOnAvailable>},
      {"runOnAvailableRestart", assignField<&PathConfig::runOnAvailableRestart>},
      {"runOnUnavailable", assignField<&PathConfig::runOnUnavailable>},
      {"runOnRead", assignField<&PathConfig::runOnRead>},
      {"runOnReadRestart", assignField<&PathConfig::runOnReadRestart>},
      {"runOnUnread", assignField<&PathConfig::runOnUnread>},
      // Sluice's own.
      {"sourceOfflineGrace", assignField<&PathConfig::sourceOfflineGrace>},

      // Deprecated MediaMTX names of the keys above.
      {"sourceProtocol", assignField<&PathConfig::rtspTransport>, "rtspTransport"},
      {"sourceAnyPortEnable", assignField<&PathConfig::rtspAnyPort>, "rtspAnyPort"},
      {"disablePublisherOverride", assignDisablePublisherOverride, "overridePublisher"},
      {"runOnReady", assignField<&PathConfig::runOnOnline>, "runOnOnline"},
      {"runOnReadyRestart", assignField<&PathConfig::runOnOnlineRestart>, "runOnOnlineRestart"},
      {"runOnNotReady", assignField<&PathConfig::runOnOffline>, "runOnOffline"},
      {"publishUser", assignLegacyCredential<&LegacyCredentials::publishUser, requireOptionalCredential>,
       "authInternalUsers"},
      {"publishPass", assignLegacyCredential<&LegacyCredentials::publishPass, requireOptionalCredential>,
       "authInternalUsers"},
      {"publishIPs", assignLegacyCredential<&LegacyCredentials::publishIPs, requireOptionalIpNetworks>,
       "authInternalUsers"},
      {"readUser", assignLegacyCredential<&LegacyCredentials::readUser, requireOptionalCredential>,
       "authInternalUsers"},
      {"readPass", assignLegacyCredential<&LegacyCredentials::readPass, requireOptionalCredential>,
       "authInternalUsers"},
      {"readIPs", assignLegacyCredential<&LegacyCredentials::readIPs, requireOptionalIpNetworks>,
       "authInternalUsers"},
  };
  return kBindings;
}

}  // namespace sluice::config
