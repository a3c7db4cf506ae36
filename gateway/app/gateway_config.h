#pragma once

#include <map>
#include <string>
#include <vector>

#include "gateway/access/access_config.h"
#include "gateway/alerts/alerts_config.h"
#include "gateway/audit/audit_config.h"
#include "gateway/auth/auth_config.h"
#include "gateway/delivery/delivery_config.h"
#include "gateway/flows/mappings_config.h"
#include "gateway/http/server_config.h"
#include "gateway/measures/measures_config.h"
#include "gateway/store/storage_config.h"
#include "gateway/subscriptions/subscriptions_config.h"

namespace brygga::app {

// The whole configuration: each module's part, as its own struct from that module, validated
// once by config_loader and handed out at wiring (gateway.cc). Nothing below app reads files or
// flags.
struct GatewayConfig {
  http::ServerConfig server;
  http::TlsConfig tls;
  std::string dataDir = "./var";
  std::vector<http::ClientConfig> clients;
  auth::AuthConfig auth;                                            // the inbound token endpoint
  std::map<std::string, delivery::DestinationConfig> destinations;  // by name; "regional": the EHR
  delivery::DeliveryConfig delivery;
  store::StorageConfig storage;
  audit::AuditConfig audit;
  flows::MappingsConfig mappings;
  alerts::AlertsConfig alerts;
  access::AccessConfig access;
  subscriptions::SubscriptionsConfig subscriptions;
  measures::MeasuresConfig measures;
};

}  // namespace brygga::app
