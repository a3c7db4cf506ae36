#pragma once

#include "gateway/core/status.h"
#include "gateway/store/pg_connection.h"

// Internal to gateway/store: the PostgreSQL schema (postgres_schema.cc).
namespace brygga::store::pg {

inline constexpr int kSchemaVersion = 7;

// Creates or migrates the schema up to `target` in one transaction, serialized against other
// instances doing the same.
core::Status migrate(Connection& connection, int target = kSchemaVersion);

}  // namespace brygga::store::pg
