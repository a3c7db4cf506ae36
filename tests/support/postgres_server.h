#pragma once

#include <string>

namespace brygga::testing {

// A real PostgreSQL 15 server for one test process: its own cluster in a temporary directory,
// listening on 127.0.0.1 on a free port, fsync on (the tests rely on durability), password
// authentication (scram-sha-256) for the role `brygga`. Started by the constructor, stopped and
// removed by the destructor. Run as the `postgres` user when the tests run as root (initdb and
// pg_ctl refuse root), so its files live under /tmp, not in a build tree the postgres user may
// not be able to reach (a clone under /root). The cluster is copied from a template made once per
// machine, so a test pays for a copy and a start, not for initdb.
class PostgresServer {
 public:
  // True when Debian's PostgreSQL 15 server binaries are installed (scripts/test.sh installs
  // them, so CI always has them).
  static bool available();

  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  int port() const { return port_; }
  static constexpr const char* kUser = "brygga";
  // A file holding the role's password, as storage.postgresql.passwordFile names it.
  const std::string& passwordFile() const { return passwordFile_; }
  const std::string& password() const { return password_; }

  // Creates an empty database and returns its libpq URI (without the password).
  std::string createDatabase(const std::string& name);
  // postgresql://brygga@127.0.0.1:<port>/<database>
  std::string uri(const std::string& database) const;

  // Stops the server (fast shutdown: clients are disconnected) and starts it again on the same
  // port and data, for tests of a database that goes away and comes back.
  void stop();
  void start();
  bool running() const { return running_; }

 private:
  std::string dir_;  // under the system's temporary directory: the postgres user must reach it
  std::string data_;
  std::string passwordFile_;
  std::string password_;
  int port_ = 0;
  bool running_ = false;
};

}  // namespace brygga::testing
