#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

// Internal to gateway/store: SQLite statements compiled once and kept for a connection's life.
// POCO Data compiles a statement again (sqlite3_prepare_v2) every time it is executed, which made
// parsing SQL the largest single cost of a write unit; the hot statements go through these
// instead. Errors are thrown as the POCO SQLite exceptions (DatabaseFullException,
// DBLockedException, ...) exactly as POCO would, so SqliteStore keeps one edge that maps them to
// Status. Not thread-safe, like the connection they belong to.
namespace brygga::store::sqlite {

class CachedStatement {
 public:
  CachedStatement(sqlite3* db, std::string sql) : db_(db), sql_(std::move(sql)) {}
  ~CachedStatement();
  CachedStatement(const CachedStatement&) = delete;
  CachedStatement& operator=(const CachedStatement&) = delete;

  // Compiles on first use.
  sqlite3_stmt* handle();
  sqlite3* db() const { return db_; }
  bool inUse() const { return users_ > 0; }

 private:
  friend class Query;
  sqlite3* db_;
  int users_ = 0;  // Queries running it; the cache never drops a statement in use
  std::string sql_;
  sqlite3_stmt* statement_ = nullptr;
};

// Statements kept by their text: the fixed ones and those built at run time (searches). Bounded:
// past kMaxEntries the statements not in use are dropped, which only costs recompiling them.
class StatementCache {
 public:
  explicit StatementCache(sqlite3* db) : db_(db) {}
  CachedStatement& get(const std::string& sql);
  sqlite3* db() const { return db_; }

 private:
  static constexpr size_t kMaxEntries = 128;
  sqlite3* db_;
  std::map<std::string, std::unique_ptr<CachedStatement>> statements_;
};

// One execution of a kept statement: bind the parameters in order, then step through the rows.
// The destructor resets the statement, so a finished or abandoned query never keeps a read
// snapshot (or the write lock) open.
class Query {
 public:
  explicit Query(CachedStatement& statement);
  ~Query();
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  // The next parameter. Text is copied (SQLITE_TRANSIENT), so temporaries are fine.
  Query& bind(std::string_view text);
  Query& bind(int64_t value);
  Query& bind(int value) { return bind(static_cast<int64_t>(value)); }

  // Steps once; true when a row is available.
  bool next();
  // Steps to the end (INSERT, UPDATE, DELETE, or a row nobody reads); returns the rows changed.
  int run();

  int64_t integer(int column) const;
  std::string text(int column) const;
  // The text without a copy, valid until the next step (for reads of many rows).
  std::string_view textView(int column) const;

 private:
  CachedStatement& owner_;
  sqlite3* db_;
  sqlite3_stmt* statement_;
  int parameter_ = 0;
};

}  // namespace brygga::store::sqlite
