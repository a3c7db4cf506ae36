#include "gateway/store/sqlite_statement.h"

#include <sqlite3.h>

#include <Poco/Data/SQLite/SQLiteException.h>
#include <Poco/Data/SQLite/Utility.h>

namespace brygga::store::sqlite {

namespace {

[[noreturn]] void fail(sqlite3* db, int rc) {
  Poco::Data::SQLite::Utility::throwException(db, rc, sqlite3_errmsg(db));
  // throwException throws for every error code; this keeps [[noreturn]] honest if it ever does
  // not.
  throw Poco::Data::SQLite::SQLiteException(sqlite3_errmsg(db));
}

}  // namespace

CachedStatement::~CachedStatement() {
  if (statement_ != nullptr) sqlite3_finalize(statement_);
}

sqlite3_stmt* CachedStatement::handle() {
  if (statement_ == nullptr) {
    const int rc = sqlite3_prepare_v3(db_, sql_.data(), static_cast<int>(sql_.size()),
                                      SQLITE_PREPARE_PERSISTENT, &statement_, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(statement_);
      statement_ = nullptr;
      fail(db_, rc);
    }
  }
  return statement_;
}

CachedStatement& StatementCache::get(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return *it->second;
  if (statements_.size() >= kMaxEntries) {
    std::erase_if(statements_, [](const auto& entry) { return !entry.second->inUse(); });
  }
  auto [inserted, _] = statements_.emplace(sql, std::make_unique<CachedStatement>(db_, sql));
  return *inserted->second;
}

Query::Query(CachedStatement& statement)
    : owner_(statement), db_(statement.db()), statement_(statement.handle()) {
  ++owner_.users_;
}

Query::~Query() {
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
  --owner_.users_;
}

Query& Query::bind(std::string_view text) {
  const int rc = sqlite3_bind_text(statement_, ++parameter_, text.data(),
                                   static_cast<int>(text.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) fail(db_, rc);
  return *this;
}

Query& Query::bind(int64_t value) {
  const int rc = sqlite3_bind_int64(statement_, ++parameter_, value);
  if (rc != SQLITE_OK) fail(db_, rc);
  return *this;
}

bool Query::next() {
  const int rc = sqlite3_step(statement_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(db_, rc);
}

int Query::run() {
  while (next()) {
  }
  return sqlite3_changes(db_);
}

int64_t Query::integer(int column) const {
  return sqlite3_column_int64(statement_, column);
}

std::string Query::text(int column) const {
  const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(statement_, column));
  if (data == nullptr) return {};
  return std::string(data, static_cast<size_t>(sqlite3_column_bytes(statement_, column)));
}

std::string_view Query::textView(int column) const {
  const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(statement_, column));
  if (data == nullptr) return {};
  return std::string_view(data, static_cast<size_t>(sqlite3_column_bytes(statement_, column)));
}

}  // namespace brygga::store::sqlite
