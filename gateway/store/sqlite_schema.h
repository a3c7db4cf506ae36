#pragma once

#include "gateway/core/status.h"

namespace Poco::Data {
class Session;
}

// Internal to gateway/store: the SQLite schema and its migrations.
namespace brygga::store::sqlite {

// The schema version this build reads and writes.
inline constexpr int kSchemaVersion = 5;

// Brings the database behind `session` (the writer) to kSchemaVersion in one BEGIN IMMEDIATE
// transaction, recording each applied step in schema_version. A database written by a newer build
// is refused (kInternal) rather than guessed at. Database errors are returned, not thrown.
core::Status migrate(Poco::Data::Session& session);

}  // namespace brygga::store::sqlite
