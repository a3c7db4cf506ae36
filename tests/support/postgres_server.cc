#include "tests/support/postgres_server.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <unistd.h>

#include <libpq-fe.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>

#include "tests/support/test_support.h"

namespace brygga::testing {

namespace {

namespace fs = std::filesystem;

constexpr const char* kBin = "/usr/lib/postgresql/15/bin";
constexpr const char* kTemplatePassword = "brygga-test-password";

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// Runs a shell command as the postgres user when we are root; throws with its output on failure.
void runAsServerUser(const std::string& command, const std::string& logFile) {
  std::string full = command + " >>" + quote(logFile) + " 2>&1";
  if (geteuid() == 0) full = "runuser -u postgres -- sh -c " + quote(full);
  if (std::system(full.c_str()) != 0) {
    std::ifstream in(logFile);
    std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    throw std::runtime_error("PostgreSQL test server: `" + command + "` failed:\n" + log);
  }
}

// Gives a path to the server user (root runs the tests; the server runs as postgres).
void handOver(const fs::path& path) {
  if (geteuid() != 0) return;
  const passwd* pw = getpwnam("postgres");
  if (pw == nullptr) throw std::runtime_error("there is no postgres user (install postgresql-15)");
  for (const auto& entry : fs::recursive_directory_iterator(path)) {
    if (chown(entry.path().c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      throw std::runtime_error("cannot chown " + entry.path().string());
    }
  }
  if (chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
    throw std::runtime_error("cannot chown " + path.string());
  }
}

// The cluster every test copies: initdb once per build tree, under a lock (tests run in
// parallel processes).
fs::path templateCluster() {
  const fs::path base = fs::temp_directory_path() / ("brygga-pg15-" + std::to_string(geteuid()));
  fs::create_directories(base);
  fs::permissions(base, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec,
                  fs::perm_options::replace);
  const fs::path ready = base / "template";
  if (fs::exists(ready / "PG_VERSION")) return ready;
  const int lock = open((base / "template.lock").c_str(), O_CREAT | O_RDWR, 0644);
  if (lock < 0 || flock(lock, LOCK_EX) != 0) throw std::runtime_error("cannot lock the template");
  try {
    if (!fs::exists(ready / "PG_VERSION")) {
      const fs::path work = base / ("template-" + std::to_string(getpid()));
      fs::remove_all(work);
      fs::create_directories(work);
      const fs::path pwfile = work / "pw";
      std::ofstream(pwfile) << kTemplatePassword << "\n";
      const fs::path data = work / "data";
      handOver(work);
      runAsServerUser(std::string(kBin) + "/initdb -D " + quote(data.string()) +
                          " -U brygga -A scram-sha-256 --pwfile=" + quote(pwfile.string()) +
                          " -E UTF8 --locale=C.UTF-8 --no-sync",
                      (work / "initdb.log").string());
      fs::remove(pwfile);
      fs::remove_all(ready);
      fs::rename(data, ready);
      fs::remove_all(work);
    }
  } catch (...) {
    close(lock);
    throw;
  }
  close(lock);
  return ready;
}

}  // namespace

bool PostgresServer::available() {
  return fs::exists(std::string(kBin) + "/initdb") && fs::exists(std::string(kBin) + "/pg_ctl");
}

PostgresServer::PostgresServer() {
  if (!available()) throw std::runtime_error("PostgreSQL 15 is not installed");
  std::string pattern = (fs::temp_directory_path() / "brygga-pg-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot make a directory");
  dir_ = pattern;
  const fs::path root(dir_);
  data_ = (root / "data").string();
  fs::copy(templateCluster(), data_, fs::copy_options::recursive);
  fs::permissions(data_, fs::perms::owner_all, fs::perm_options::replace);
  password_ = kTemplatePassword;
  passwordFile_ = dir_ + "/password";
  std::ofstream(passwordFile_) << password_ << "\n";
  port_ = freePort();
  // A socket directory of our own (the default one under /run may not exist); fsync stays on.
  std::ofstream(data_ + "/postgresql.auto.conf", std::ios::app)
      << "listen_addresses = '127.0.0.1'\nport = " << port_ << "\nunix_socket_directories = '"
      << dir_ << "'\nfsync = on\nsynchronous_commit = on\nmax_connections = 200\n"
      << "shared_buffers = 64MB\n";
  handOver(root);
  start();
}

PostgresServer::~PostgresServer() {
  try {
    stop();
  } catch (...) {
    // The directory goes anyway; a server still running there dies with its files.
  }
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

void PostgresServer::start() {
  if (running_) return;
  runAsServerUser(std::string(kBin) + "/pg_ctl -D " + quote(data_) + " -l " +
                      quote(dir_ + "/server.log") + " -w -t 60 start",
                  dir_ + "/pg_ctl.log");
  running_ = true;
}

void PostgresServer::stop() {
  if (!running_) return;
  running_ = false;
  runAsServerUser(std::string(kBin) + "/pg_ctl -D " + quote(data_) + " -m fast -w -t 60 stop",
                  dir_ + "/pg_ctl.log");
}

std::string PostgresServer::uri(const std::string& database) const {
  return "postgresql://" + std::string(kUser) + "@127.0.0.1:" + std::to_string(port_) + "/" +
         database;
}

std::string PostgresServer::createDatabase(const std::string& name) {
  const std::string conninfo = uri("postgres") + "?password=" + password_;
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    const std::string error = PQerrorMessage(conn);
    PQfinish(conn);
    throw std::runtime_error("cannot connect to the test server: " + error);
  }
  PGresult* result = PQexec(conn, ("CREATE DATABASE \"" + name + "\"").c_str());
  const bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
  const std::string error = PQerrorMessage(conn);
  PQclear(result);
  PQfinish(conn);
  if (!ok) throw std::runtime_error("CREATE DATABASE " + name + ": " + error);
  return uri(name);
}

}  // namespace brygga::testing
