#include "tests/support/test_store.h"

#include <sqlite3.h>

#include <stdexcept>

#include "gateway/store/sqlite_store.h"

namespace brygga::testing {

namespace {

// Direct SQL on the database file, outside Brygga.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) throw std::runtime_error("open " + path);
    sqlite3_busy_timeout(db_, 5000);
  }
  ~RawDb() { sqlite3_close(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  void exec(const std::string& sql) {
    char* error = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
    const std::string message = error ? error : "";
    sqlite3_free(error);
    if (rc != SQLITE_OK) throw std::runtime_error(sql + ": " + message);
  }

  std::vector<store::AuditRecord> auditRecords() {
    sqlite3_stmt* s =
        prepare("SELECT seq, recorded_ms, json, prev_hash, hash, patient FROM audit ORDER BY seq");
    std::vector<store::AuditRecord> out;
    while (sqlite3_step(s) == SQLITE_ROW) {
      store::AuditRecord r;
      r.seq = sqlite3_column_int64(s, 0);
      r.recordedMs = sqlite3_column_int64(s, 1);
      r.json = text(s, 2);
      r.prevHash = text(s, 3);
      r.hash = text(s, 4);
      r.patient = text(s, 5);
      out.push_back(std::move(r));
    }
    sqlite3_finalize(s);
    return out;
  }

  void insertAudit(const store::AuditRecord& r) {
    sqlite3_stmt* s = prepare(
        "INSERT INTO audit (seq, recorded_ms, json, prev_hash, hash, patient)"
        " VALUES (?, ?, ?, ?, ?, ?)");
    sqlite3_bind_int64(s, 1, r.seq);
    sqlite3_bind_int64(s, 2, r.recordedMs);
    sqlite3_bind_text(s, 3, r.json.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 4, r.prevHash.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 5, r.hash.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 6, r.patient.c_str(), -1, SQLITE_TRANSIENT);
    const int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) throw std::runtime_error("insert audit record");
  }

 private:
  sqlite3_stmt* prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &s, nullptr) != SQLITE_OK) {
      throw std::runtime_error(std::string("prepare ") + sql + ": " + sqlite3_errmsg(db_));
    }
    return s;
  }
  static std::string text(sqlite3_stmt* s, int column) {
    const unsigned char* t = sqlite3_column_text(s, column);
    return t ? reinterpret_cast<const char*>(t) : "";
  }

  sqlite3* db_ = nullptr;
};

}  // namespace

TestStore::TestStore() {
  store::SqliteOptions options;
  options.path = dir_.file("brygga.db");
  auto opened = store::openSqliteStore(options);
  if (!opened.isOk()) throw std::runtime_error(opened.status().message());
  store_ = std::move(opened).value();
}

TestStore::~TestStore() = default;

core::Status TestStore::write(const std::function<core::Status(store::StoreTransaction&)>& work) {
  {
    std::lock_guard lock(mutex_);
    if (failCount_ > 0) {
      --failCount_;
      return *failWith_;
    }
  }
  core::Status s = store_->write(work);
  if (s.isOk()) ++committed_;
  return s;
}

void TestStore::failWrites(core::Status status, int count) {
  std::lock_guard lock(mutex_);
  failWith_ = std::move(status);
  failCount_ = count;
}

void TestStore::editAudit(const std::function<void(std::vector<store::AuditRecord>&)>& edit) {
  RawDb db(dir_.file("brygga.db"));
  db.exec("BEGIN IMMEDIATE");
  std::vector<store::AuditRecord> records = db.auditRecords();
  edit(records);
  db.exec("DROP TRIGGER IF EXISTS audit_no_update");
  db.exec("DROP TRIGGER IF EXISTS audit_no_delete");
  db.exec("DELETE FROM audit");
  for (const store::AuditRecord& r : records) db.insertAudit(r);
  db.exec("COMMIT");
}

}  // namespace brygga::testing
