#pragma once

#include "gateway/core/status.h"

namespace Poco::Data {
class Session;
}
struct sqlite3;

// Internal to gateway/store: the SQLite schema and its migrations.
namespace brygga::store::sqlite {

// The schema version this build reads and writes.
inline constexpr int kSchemaVersion = 14;

// Brings the database behind `session` (the writer) to `target` (kSchemaVersion; tests of a
// migration stop earlier) in one BEGIN IMMEDIATE
// transaction, recording each applied step in schema_version. A database written by a newer build
// is refused (kInternal) rather than guessed at. Database errors are returned, not thrown.
core::Status migrate(Poco::Data::Session& session, int target = kSchemaVersion);

// Schema 6's data step (sqlite_migration_6.cc), inside migrate()'s transaction: the facts of
// access for existing resources (patient ids, person numbers, care relationships from the
// municipal EpisodeOfCare), Patients that share a person number merged when their content agrees
// and reported when not (migration_report). Throws the POCO SQLite exceptions.
void migrateAccessFacts(sqlite3* db);

}  // namespace brygga::store::sqlite
