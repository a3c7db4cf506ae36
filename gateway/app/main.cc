// brygga: the gateway binary. Its commands, their exit codes and the output conventions are in
// kCommands and kConventions below (`brygga --help`, `brygga COMMAND --help`).
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionSet.h>
#include <Poco/Util/ServerApplication.h>
#include <pthread.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/app/audit_commands.h"
#include "gateway/app/backup_commands.h"
#include "gateway/app/config_loader.h"
#include "gateway/app/delivery_commands.h"
#include "gateway/app/gateway.h"
#include "gateway/app/hours_command.h"
#include "gateway/app/service_notifier.h"
#include "gateway/core/text.h"
#include "gateway/fhir/json.h"
#include "gateway/fhir/operation_outcome.h"
#include "gateway/fhir/validator.h"
#include "gateway/flows/reload_signal.h"

#ifndef BRYGGA_VERSION
#define BRYGGA_VERSION "0.0.0"
#endif

namespace brygga::app {

namespace {

// One entry per command: its synopsis (the first line, shown by `brygga --help`), what it does and
// its exit codes (shown by `brygga COMMAND --help`). The codes are sysexits.h's.
struct CommandHelp {
  std::string_view name;
  const char* synopsis;
  const char* description;
  const char* exitCodes;
};

constexpr CommandHelp kCommands[] = {
    {"serve",
     "serve [--config FILE] [--http-port N] [--https-port N] [--data-dir DIR]\n"
     "        [--regional-url URL] [--dev]",
     "run the gateway (--dev: the development clients even beyond loopback)",
     "0 stopped by SIGTERM or SIGINT; 78 a bad configuration (the message names the key);\n"
     "69 a listener or the store could not start, or another serve uses the data dir"},
    {"check-config", "check-config FILE [--dev]",
     "load and check FILE exactly as serve would (every key, the cross-key rules and the\n"
     "production-safety rules) without starting anything; print ok and a summary (listeners,\n"
     "clients, destinations) or the problem",
     "0 ok; 64 no FILE named; 66 FILE does not exist; 78 a problem (the message names the key)"},
    {"validate", "validate FILE...",
     "print an OperationOutcome per FHIR JSON file (validation against Brygga's profiles)",
     "0 every file is valid; 64 no file named; 65 any file is invalid or cannot be read"},
    {"audit verify", "audit verify [--data-dir DIR] [--key FILE] [--checkpoint FILE]",
     "recompute the audit log (hash chain and Merkle tree) against its signed checkpoints, with\n"
     "progress on stderr",
     "0 intact; 65 a bad record (the first is named); 66 no database, key or checkpoint file;\n"
     "74 a database error; 78 a key that does not parse, or a bad --config"},
    {"audit extract", "audit extract --patient PERSONNUMMER|Patient/ID [--json] [--data-dir DIR]",
     "the patient's PDL log extract (itself audited): a personnummer or samordningsnummer\n"
     "(12 digits, with or without the hyphen) or a Patient id; aligned columns, or with --json\n"
     "(or --format json) a FHIR Bundle of the AuditEvents",
     "0 the extract; 64 no or malformed --patient, a bad --format; 66 no database, or no such\n"
     "patient in it (the message never repeats a person number); 74 a database error"},
    {"audit rotate-key", "audit rotate-key [--data-dir DIR]",
     "a new audit signing key; the old one signs a last checkpoint and vouches for the new one",
     "0 rotated; 66 no database; 74 a database or file error; 75 a running gateway kept\n"
     "signing checkpoints (try again); 78 a signing key that does not parse"},
    {"verify-provenance", "verify-provenance FILE... [--ca FILE] [--config FILE]",
     "check the signed Provenance of forwarded Bundles against the CA of --ca or\n"
     "audit.provenanceTrustFile",
     "0 every file verifies; 64 no file named; 65 any file does not verify; 66 the CA file\n"
     "cannot be read; 78 no CA named"},
    {"dead-letters",
     "dead-letters list [--destination NAME] | show MESSAGE | replay MESSAGE [--force]\n"
     "        [--destination NAME] [--json]",
     "list (aligned columns: the message number, when each died and why), inspect (the peer's\n"
     "whole answer and the Bundle sent) and replay dead letters, on the data dir of a gateway\n"
     "that may be running. MESSAGE is the message number the web console shows; --destination\n"
     "picks the copy when a message has dead letters to several destinations",
     "0 done; 64 usage, or a message with dead letters to several destinations and no\n"
     "--destination; 65 refused (not a dead letter, or newer data of the patient was sent:\n"
     "--force); 66 no database or no such message; 74 a database error; 75 busy (try again)"},
    {"destination", "destination list | pause NAME | resume NAME [--json]",
     "queue figures per destination; pause or resume a destination's delivery",
     "0 done; 64 usage; 66 no database or no such destination; 74 a database error;\n"
     "75 busy (try again)"},
    {"migration-report", "migration-report [--data-dir DIR]",
     "Patients that shared a person number before schema 6: merged, or duplicates left for the\n"
     "integration team",
     "0 the report; 66 no database; 74 a database error"},
    {"backup", "backup --out FILE [--data-dir DIR]",
     "a consistent copy of the database while the gateway serves (one snapshot: every message\n"
     "acknowledged before it began is in it), with progress; keys and config are not in it",
     "0 done; 64 no --out; 66 no database; 73 FILE exists; 74 a database or file error"},
    {"restore", "restore --from FILE [--data-dir DIR] [--force]",
     "check a backup (integrity, schema version) and install it as the data dir's database; the\n"
     "gateway must be stopped; run audit verify on the result before serving",
     "0 restored; 64 no --from; 65 not a sound Brygga database; 66 no such file; 73 the data dir\n"
     "has a database (--force replaces it); 74 a database or file error; 75 a gateway is serving"},
    {"hours", "hours --at DAY|TIME [--service-point NAME] [--config FILE]",
     "open or closed by the service-hours calendar, and why: at TIME (2026-06-19T10:00 Stockholm\n"
     "time, or with an offset), or on DAY (2026-12-24: the whole day)",
     "0 answered; 64 an unreadable --at or an unknown service point; 78 bad mapping files"},
    {"version", "version | --version", "print the version", "0"},
};

constexpr const char* kConventions =
    "Output is for people; --json (where offered) prints JSON for scripts.\n"
    "Times: output for people shows Europe/Stockholm time with its offset\n"
    "(2026-12-05 14:03:11 +01:00); --json output keeps UTC RFC 3339 instants\n"
    "(2026-12-05T13:03:11.000Z). A time you give without an offset is Stockholm time.\n"
    "Exit codes (sysexits.h): 0 ok, 64 usage, 65 bad data, 66 missing input (file, database,\n"
    "entry, patient), 69 unavailable, 74 I/O or database error, 75 try again, 78 configuration\n"
    "(every command that reads --config exits 78 naming the key of a bad one).\n"
    "`brygga COMMAND --help` shows a command's own.\n";

std::string indented(const char* text, const char* indent) {
  std::string out = indent;
  for (const char* c = text; *c != '\0'; ++c) {
    out += *c;
    if (*c == '\n') out += indent;
  }
  return out + "\n";
}

std::string overview() {
  std::string out = "usage: brygga COMMAND [options]\n";
  for (const CommandHelp& c : kCommands) {
    out += indented(c.synopsis, "  ");
    out += indented(c.description, "      ");
  }
  return out + "\n" + kConventions;
}

// The help of the command `args` name ("audit extract"; "audit": every audit command); empty
// when they name none.
std::string commandHelp(const std::vector<std::string>& args) {
  const std::string one = args[0];
  const std::string two = args.size() > 1 ? one + " " + args[1] : std::string();
  std::string out;
  for (const CommandHelp& c : kCommands) {
    const bool named =
        c.name == two || c.name == one || (args.size() == 1 && c.name.rfind(one + " ", 0) == 0);
    if (!named) continue;
    out += "usage: brygga " + std::string(c.synopsis) + "\n" + indented(c.description, "  ") +
           "exit codes:\n" + indented(c.exitCodes, "  ");
  }
  return out.empty() ? out : out + "Times and output: see `brygga --help`.\n";
}

// "http 127.0.0.1:8080", "https off": a listener as check-config and the service status show it.
std::string listener(const char* scheme, const std::string& address, int port) {
  return port < 0 ? std::string(scheme) + " off"
                  : std::string(scheme) + " " + address + ":" + std::to_string(port);
}

}  // namespace

class BryggaApp : public Poco::Util::ServerApplication {
 protected:
  void defineOptions(Poco::Util::OptionSet& options) override {
    ServerApplication::defineOptions(options);
    auto add = [&](const char* name, const char* arg, const char* help) {
      Poco::Util::Option o(name, "", help);
      o.required(false).repeatable(false);
      if (arg != nullptr) o.argument(arg);
      o.callback(Poco::Util::OptionCallback<BryggaApp>(this, &BryggaApp::onOption));
      options.addOption(o);
    };
    add("config", "FILE", "JSON configuration file");
    add("http-port", "N", "HTTP port (0: any free port, -1: off)");
    add("https-port", "N", "HTTPS port (0: any free port, -1: off)");
    add("data-dir", "DIR", "data directory");
    add("regional-url", "URL", "base URL of the regional EHR");
    add("key", "FILE", "audit verify: the log's public key (PEM or signed-note vkey)");
    add("checkpoint", "FILE", "audit verify: a signed checkpoint saved earlier");
    add("patient", "PATIENT",
        "audit extract: a personnummer/samordningsnummer or a Patient id (Patient/ID)");
    add("format", "FORMAT", "audit extract: text or json (--json)");
    add("json", nullptr, "JSON for scripts (UTC instants) instead of text for people");
    add("ca", "FILE", "verify-provenance: the CA certificate(s) signers must chain to");
    add("destination", "NAME",
        "dead-letters: only this destination (list), its copy (show, replay)");
    add("force", nullptr,
        "dead-letters replay: even when newer data of the patient was sent; restore: replace the "
        "data dir's database");
    add("at", "TIME",
        "hours: the day (2026-12-24) or time (2026-06-19T10:00, Stockholm time) to ask about");
    add("service-point", "NAME",
        "hours: a service point (Kungsbacka, Varberg, Halmstad, Hylte VC)");
    add("out", "FILE", "backup: the file to write");
    add("from", "FILE", "restore: the backup to install");
    add("dev", nullptr,
        "serve: allow the development clients on a listener beyond loopback (never in production)");
    add("version", nullptr, "print the version (as `brygga version`)");
    add("help", nullptr, "show usage");
  }

  void onOption(const std::string& name, const std::string& value) { flags_[name] = value; }

  int main(const std::vector<std::string>& args) override {
    if (flags_.count("version") && args.empty()) return printVersion();
    if (args.empty()) {
      (flags_.count("help") ? std::cout : std::cerr) << overview();
      return flags_.count("help") ? EXIT_OK : EXIT_USAGE;
    }
    if (flags_.count("help")) {
      const std::string help = commandHelp(args);
      if (help.empty()) {
        std::cerr << "brygga: unknown command '" << args[0] << "'\n" << overview();
        return EXIT_USAGE;
      }
      std::cout << help;
      return EXIT_OK;
    }
    const std::string& command = args[0];
    if (command == "version") return printVersion();
    if (command == "validate") return validate({args.begin() + 1, args.end()});
    if (command == "serve") return serve();
    if (command == "check-config") return checkConfigCommand({args.begin() + 1, args.end()});
    using Config = const GatewayConfig&;
    if (command == "audit" && args.size() == 2 && args[1] == "verify") {
      return withConfig(
          [&](Config c) { return auditVerifyCommand(c, flags_, std::cout, std::cerr); });
    }
    if (command == "audit" && args.size() == 2 && args[1] == "extract") {
      return withConfig(
          [&](Config c) { return auditExtractCommand(c, flags_, std::cout, std::cerr); });
    }
    if (command == "audit" && args.size() == 2 && args[1] == "rotate-key") {
      return withConfig(
          [&](Config c) { return auditRotateKeyCommand(c, flags_, std::cout, std::cerr); });
    }
    if (command == "verify-provenance") {
      const std::vector<std::string> files(args.begin() + 1, args.end());
      return withConfig([&](Config c) {
        return verifyProvenanceCommand(c, files, flags_, std::cout, std::cerr);
      });
    }
    if (command == "backup") {
      return withConfig([&](Config c) { return backupCommand(c, flags_, std::cout, std::cerr); });
    }
    if (command == "restore") {
      return withConfig([&](Config c) { return restoreCommand(c, flags_, std::cout, std::cerr); });
    }
    if (command == "hours") {
      return withConfig([&](Config c) { return hoursCommand(c, flags_, std::cout, std::cerr); });
    }
    if (command == "dead-letters" || command == "destination" || command == "migration-report") {
      return withConfig(
          [&](Config c) { return deliveryCommand(c, args, flags_, std::cout, std::cerr); });
    }
    std::cerr << "brygga: unknown command '" << command << "'\n" << overview();
    return EXIT_USAGE;
  }

 private:
  static int printVersion() {
    std::cout << "brygga " << BRYGGA_VERSION << "\n";
    return EXIT_OK;
  }

  core::StatusOr<GatewayConfig> configuration() {
    GatewayConfig config = defaultConfig();
    if (flags_.count("config")) {
      BRYGGA_ASSIGN_OR_RETURN(config, loadConfigFile(flags_["config"]));
    }
    auto port = [&](const char* flag, int& out) -> core::Status {
      if (!flags_.count(flag)) return core::Status::ok();
      const std::string& text = flags_[flag];
      if (text == "-1") {
        out = -1;
        return core::Status::ok();
      }
      const auto value = core::parseDecimal(text);
      if (!value.isOk() || *value > 65535) {
        return core::invalidArgument(std::string("--") + flag + " must be a port from -1 to 65535");
      }
      out = static_cast<int>(*value);
      return core::Status::ok();
    };
    BRYGGA_RETURN_IF_ERROR(port("http-port", config.server.httpPort));
    BRYGGA_RETURN_IF_ERROR(port("https-port", config.server.httpsPort));
    if (flags_.count("data-dir")) config.dataDir = flags_["data-dir"];
    if (flags_.count("regional-url")) {
      auto& regional = config.destinations["regional"];
      regional.name = "regional";
      regional.peer.baseUrl = flags_["regional-url"];
    }
    BRYGGA_RETURN_IF_ERROR(checkConfig(config));
    return config;
  }

  // What serve runs with: the configuration and the flags, checked as every command checks them,
  // then by the rules only a serving gateway needs (the development clients only on loopback).
  core::StatusOr<GatewayConfig> serveConfiguration() {
    BRYGGA_ASSIGN_OR_RETURN(GatewayConfig config, configuration());
    BRYGGA_RETURN_IF_ERROR(checkServeConfig(config, flags_.count("dev") > 0));
    return config;
  }

  // `brygga check-config FILE`: serve's own checks (serveConfiguration) on FILE, nothing started.
  int checkConfigCommand(const std::vector<std::string>& files) {
    if (files.size() != 1) {
      std::cerr << "brygga check-config: name one config file\n" << commandHelp({"check-config"});
      return EXIT_USAGE;
    }
    std::error_code ec;
    if (!std::filesystem::is_regular_file(files[0], ec)) {
      std::cerr << "brygga check-config: no such file: " << files[0] << "\n";
      return EXIT_NOINPUT;
    }
    flags_["config"] = files[0];
    auto config = serveConfiguration();
    if (!config.isOk()) {
      std::cerr << "brygga check-config: " << config.status().message() << "\n";
      return EXIT_CONFIG;
    }
    std::cout << "ok: " << files[0] << "\n"
              << "listeners: "
              << listener("http", config->server.httpBindAddress, config->server.httpPort) << ", "
              << listener("https", config->server.httpsBindAddress, config->server.httpsPort)
              << "\n"
              << "clients: " << config->clients.size() << " (";
    for (size_t i = 0; i < config->clients.size(); ++i) {
      std::cout << (i > 0 ? ", " : "") << config->clients[i].id;
    }
    std::cout << ")\ndestinations: " << config->destinations.size() << " (";
    bool first = true;
    for (const auto& [name, destination] : config->destinations) {
      std::cout << (first ? "" : ", ") << name << " " << destination.peer.baseUrl;
      first = false;
    }
    std::cout << ")\ndata dir: " << config->dataDir << "\n";
    return EXIT_OK;
  }

  int serve() {
    // Before any thread starts, so that only the reload thread below receives SIGHUP.
    flows::blockReloadSignal();
    // Likewise SIGTERM, SIGINT and SIGQUIT wait, blocked in every thread, for the sigwait of
    // waitForTerminationRequest: one that comes while the gateway starts (systemd may stop it
    // right after READY=1) stops it cleanly once started instead of killing it half-way.
    sigset_t termination;
    sigemptyset(&termination);
    for (int signal : {SIGTERM, SIGINT, SIGQUIT}) sigaddset(&termination, signal);
    pthread_sigmask(SIG_BLOCK, &termination, nullptr);
    auto config = serveConfiguration();
    if (!config.isOk()) {
      std::cerr << "brygga: " << config.status().message() << "\n";
      return EXIT_CONFIG;
    }
    // systemd's Type=notify (packaging/brygga.service); does nothing without NOTIFY_SOCKET.
    auto notifier = serviceNotifierFromEnvironment();
    if (!notifier.isOk()) {
      std::cerr << "brygga: " << notifier.status().message() << "\n";
      return EXIT_CONFIG;
    }
    // One serve per data dir: a second one would deliver the same outbox.
    auto lock = DataDirLock::acquire(config->dataDir);
    if (!lock.isOk()) {
      std::cerr << "brygga: " << lock.status().message() << "\n";
      return EXIT_UNAVAILABLE;
    }
    auto gateway = Gateway::create(*config, {});
    if (!gateway.isOk()) {
      std::cerr << "brygga: " << gateway.status().message() << "\n";
      return EXIT_CONFIG;
    }
    core::Status started = (*gateway)->start();
    if (!started.isOk()) {
      std::cerr << "brygga: " << started.message() << "\n";
      return EXIT_UNAVAILABLE;
    }
    std::cout << "brygga " << BRYGGA_VERSION << " listening:";
    if ((*gateway)->httpPort() >= 0) {
      std::cout << " http://" << config->server.httpBindAddress << ":" << (*gateway)->httpPort()
                << "/fhir";
    }
    if ((*gateway)->httpsPort() >= 0) {
      std::cout << " https://" << config->server.httpsBindAddress << ":" << (*gateway)->httpsPort()
                << "/fhir";
    }
    std::cout << "\nhttp-port=" << (*gateway)->httpPort()
              << " https-port=" << (*gateway)->httpsPort() << std::endl;
    Gateway* running = gateway->get();
    ServiceNotifier& service = **notifier;
    // A notification that cannot be sent is logged: the service manager then sees no readiness
    // (and times the start out), which the log explains.
    auto notified = [running](const core::Status& sent) {
      if (!sent.isOk()) running->log().warn("service.notify_failed", {{"error", sent.message()}});
    };
    // Now the store is open and the listeners accept connections.
    notified(service.ready(servingStatus(*running, *config)));
    // SIGHUP: the mapping files and the TLS files (new CRLs); each keeps what it had on an error
    // (a bad reload is logged where it fails, and named in the status line).
    flows::ReloadSignalThread reloader([running, &service, &notified, &config] {
      notified(service.reloading("reloading the mapping and TLS files"));
      const auto mappings = running->mappings().reload();
      const core::Status tls = running->reloadTls();
      std::string status = servingStatus(*running, *config);
      if (!mappings.isOk()) status += "; the mapping files did not reload (see the log)";
      if (!tls.isOk()) status += "; the TLS files did not reload (see the log)";
      notified(service.ready(status));
    });
    waitForTerminationRequest();
    notified(service.stopping("stopping"));
    (*gateway)->stop();
    return EXIT_OK;
  }

  // The one-line status systemd shows: where the gateway listens and which mapping files it runs.
  static std::string servingStatus(Gateway& gateway, const GatewayConfig& config) {
    const auto mappings = gateway.mappings().current();
    return "serving: " + listener("http", config.server.httpBindAddress, gateway.httpPort()) +
           ", " + listener("https", config.server.httpsBindAddress, gateway.httpsPort()) +
           "; mappings " + (mappings ? mappings->version() : std::string("none"));
  }

  int validate(const std::vector<std::string>& files) {
    if (files.empty()) {
      std::cerr << "brygga validate: name at least one file\n";
      return EXIT_USAGE;
    }
    auto validator = fhir::makeValidator();
    bool allValid = true;
    for (const auto& file : files) {
      std::ifstream in(file, std::ios::binary);
      std::string outcome;
      bool valid = false;
      if (!in) {
        outcome = fhir::operationOutcomeJson(core::notFound("cannot read " + file));
      } else {
        std::ostringstream ss;
        ss << in.rdbuf();
        auto doc = fhir::parseJson(ss.str());
        if (!doc.isOk()) {
          outcome = fhir::operationOutcomeJson(doc.status());
        } else {
          auto issues = validator->validate(*doc);
          valid = !fhir::hasErrors(issues);
          outcome = fhir::operationOutcomeJson(issues);
        }
      }
      allValid = allValid && valid;
      std::cout << "# " << file << ": " << (valid ? "valid" : "invalid") << "\n" << outcome << "\n";
    }
    return allValid ? EXIT_OK : EXIT_DATAERR;
  }

  // Runs a command that needs the configuration; a bad one is exit 78 naming the key.
  template <typename Command>
  int withConfig(Command command) {
    auto config = configuration();
    if (!config.isOk()) {
      std::cerr << "brygga: " << config.status().message() << "\n";
      return EXIT_CONFIG;
    }
    return command(*config);
  }

  std::map<std::string, std::string> flags_;
};

}  // namespace brygga::app

POCO_SERVER_MAIN(brygga::app::BryggaApp)
