#pragma once

#include <memory>

#include "gateway/app/gateway_config.h"
#include "gateway/core/status.h"
#include "gateway/store/store.h"

namespace brygga::app {

enum class StoreUse {
  kServe,     // the gateway: a SQLite database is created in the data dir when there is none
  kExisting,  // a CLI command: the SQLite database must already be there (kNotFound otherwise)
};

// Opens the store the config names (storage.backend): SQLite's brygga.db in the data dir, or the
// PostgreSQL database at storage.postgresql.url with the password from its passwordFile. The one
// place that chooses a backend.
core::StatusOr<std::unique_ptr<store::Store>> openConfiguredStore(const GatewayConfig& config,
                                                                  StoreUse use);

}  // namespace brygga::app
