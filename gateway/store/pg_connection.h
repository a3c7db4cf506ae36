#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/status.h"

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

// Internal to gateway/store: one libpq connection to PostgreSQL, used directly rather than
// through POCO Data (see ARCHITECTURE.md, Storage): statements prepared once per connection, the
// server's SQLSTATE for every error (a unique violation, a serialization failure and a lost
// connection each mean something different to a caller), and LISTEN/NOTIFY later on. Not
// thread-safe; one caller at a time (the store leases connections).
namespace brygga::store::pg {

// A failed statement: the server's SQLSTATE ("08006" when the connection itself failed) and its
// message.
class PgError : public std::runtime_error {
 public:
  PgError(std::string sqlstate, const std::string& message)
      : std::runtime_error(message), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return sqlstate_; }
  // The connection is gone (class 08, or the server shutting down: 57P01..57P03).
  bool connectionLost() const;

 private:
  std::string sqlstate_;
};

// The parameters of one statement, in order ($1, $2, ...), sent as text.
class Params {
 public:
  Params& add(std::string_view text) {
    values_.emplace_back(text);
    return *this;
  }
  Params& add(const std::string& text) { return add(std::string_view(text)); }
  Params& add(const char* text) { return add(std::string_view(text)); }
  Params& add(int64_t value) {
    values_.push_back(std::to_string(value));
    return *this;
  }
  Params& add(int value) { return add(static_cast<int64_t>(value)); }
  Params& add(bool value) { return add(static_cast<int64_t>(value ? 1 : 0)); }
  const std::vector<std::string>& values() const { return values_; }

 private:
  std::vector<std::string> values_;
};

// The rows of one statement. Owns its PGresult.
class Result {
 public:
  explicit Result(PGresult* result) : result_(result) {}
  ~Result();
  Result(Result&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
  Result& operator=(Result&&) = delete;
  Result(const Result&) = delete;

  int rows() const;
  std::string text(int row, int column) const;
  int64_t integer(int row, int column) const;
  bool isNull(int row, int column) const;
  // Rows an INSERT, UPDATE or DELETE changed.
  int64_t affected() const;

 private:
  PGresult* result_;
};

class Connection {
 public:
  // Connects (conninfo: a libpq URI or key=value string). Throws PgError when it cannot.
  explicit Connection(const std::string& conninfo);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one statement, prepared on this connection the first time its text is seen. `?` in the
  // text stands for the next parameter (rewritten to $n once, when prepared). Throws PgError.
  Result exec(const std::string& sql, const Params& params = {});
  // Runs text as is (several statements, no parameters: transaction control, DDL).
  void execScript(const std::string& sql);

  // Waits up to `timeoutMs` for notifications on the channels this connection LISTENs to and
  // returns their payloads (none when the time passed). Throws PgError when the connection fails.
  std::vector<std::string> waitForNotifications(int timeoutMs);

  // True while the connection is usable (an idle connection the server closed is noticed here);
  // otherwise reconnect() before use.
  bool healthy() const;
  // Connects again (a lost connection, a restarted server); prepared statements are forgotten.
  void reconnect();

 private:
  void connect();

  std::string conninfo_;
  PGconn* conn_ = nullptr;
  std::map<std::string, std::string> prepared_;  // SQL text -> statement name
};

// `?` placeholders to `$1`, `$2`, ... (outside quoted text).
std::string numberedPlaceholders(std::string_view sql);

}  // namespace brygga::store::pg
