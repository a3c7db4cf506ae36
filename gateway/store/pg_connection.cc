#include "gateway/store/pg_connection.h"

#include <libpq-fe.h>
#include <poll.h>

#include <cstdlib>

namespace brygga::store::pg {

bool PgError::connectionLost() const {
  return sqlstate_.rfind("08", 0) == 0 || sqlstate_ == "57P01" || sqlstate_ == "57P02" ||
         sqlstate_ == "57P03";
}

Result::~Result() {
  if (result_ != nullptr) PQclear(result_);
}

int Result::rows() const {
  return PQntuples(result_);
}

std::string Result::text(int row, int column) const {
  return std::string(PQgetvalue(result_, row, column),
                     static_cast<size_t>(PQgetlength(result_, row, column)));
}

int64_t Result::integer(int row, int column) const {
  if (PQgetisnull(result_, row, column)) return 0;
  return std::strtoll(PQgetvalue(result_, row, column), nullptr, 10);
}

bool Result::isNull(int row, int column) const {
  return PQgetisnull(result_, row, column) != 0;
}

int64_t Result::affected() const {
  const char* n = PQcmdTuples(result_);
  return n != nullptr && *n != '\0' ? std::strtoll(n, nullptr, 10) : 0;
}

std::string numberedPlaceholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  bool quoted = false;
  for (char c : sql) {
    if (c == '\'') quoted = !quoted;
    if (c == '?' && !quoted) {
      out += '$' + std::to_string(++n);
    } else {
      out += c;
    }
  }
  return out;
}

namespace {

constexpr size_t kMaxPrepared = 256;

// The error of a failed result or connection, as a PgError.
PgError errorOf(PGconn* conn, const PGresult* result) {
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string message =
      result != nullptr ? PQresultErrorMessage(result) : (conn ? PQerrorMessage(conn) : "");
  if (message.empty() && conn != nullptr) message = PQerrorMessage(conn);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  // No SQLSTATE: libpq itself failed (the connection broke mid-statement).
  std::string sqlstate = state != nullptr ? state : "08006";
  if (conn != nullptr && PQstatus(conn) != CONNECTION_OK) sqlstate = "08006";
  return PgError(sqlstate, message);
}

}  // namespace

Connection::Connection(const std::string& conninfo) : conninfo_(conninfo) {
  connect();
}

Connection::~Connection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

void Connection::connect() {
  if (conn_ != nullptr) PQfinish(conn_);
  prepared_.clear();
  conn_ = PQconnectdb(conninfo_.c_str());
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn_);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    throw PgError("08001", message);
  }
  // Quiet NOTICEs (CREATE ... IF NOT EXISTS) instead of libpq printing them on stderr.
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
}

bool Connection::healthy() const {
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) return false;
  // An idle connection the server closed (a restart, an administrator) shows only when its
  // socket is read: a non-blocking read of what is pending finds the end of the stream.
  return PQconsumeInput(conn_) != 0 && PQstatus(conn_) == CONNECTION_OK;
}

void Connection::reconnect() {
  connect();
}

Result Connection::exec(const std::string& sql, const Params& params) {
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    // Searches build statements at run time; past a bound they are all dropped and prepared
    // again as they come.
    if (prepared_.size() >= kMaxPrepared) {
      execScript("DEALLOCATE ALL");
      prepared_.clear();
    }
    const std::string name = "s" + std::to_string(prepared_.size() + 1);
    PGresult* prepared =
        PQprepare(conn_, name.c_str(), numberedPlaceholders(sql).c_str(), 0, nullptr);
    if (PQresultStatus(prepared) != PGRES_COMMAND_OK) {
      PgError error = errorOf(conn_, prepared);
      PQclear(prepared);
      throw error;
    }
    PQclear(prepared);
    it = prepared_.emplace(sql, name).first;
  }
  std::vector<const char*> values;
  values.reserve(params.values().size());
  for (const std::string& v : params.values()) values.push_back(v.c_str());
  PGresult* raw = PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(values.size()),
                                 values.data(), nullptr, nullptr, 0);
  const ExecStatusType status = PQresultStatus(raw);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    PgError error = errorOf(conn_, raw);
    PQclear(raw);
    throw error;
  }
  return Result(raw);
}

std::vector<std::string> Connection::waitForNotifications(int timeoutMs) {
  std::vector<std::string> payloads;
  const auto drain = [&] {
    if (PQconsumeInput(conn_) == 0) throw errorOf(conn_, nullptr);
    while (PGnotify* n = PQnotifies(conn_)) {
      payloads.emplace_back(n->extra != nullptr ? n->extra : "");
      PQfreemem(n);
    }
  };
  drain();  // what arrived with earlier results
  if (!payloads.empty()) return payloads;
  pollfd socket{PQsocket(conn_), POLLIN, 0};
  if (socket.fd < 0) throw PgError("08006", "the connection has no socket");
  if (poll(&socket, 1, timeoutMs) > 0) drain();
  return payloads;
}

void Connection::execScript(const std::string& sql) {
  PGresult* raw = PQexec(conn_, sql.c_str());
  const ExecStatusType status = PQresultStatus(raw);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    PgError error = errorOf(conn_, raw);
    PQclear(raw);
    throw error;
  }
  PQclear(raw);
}

}  // namespace brygga::store::pg
