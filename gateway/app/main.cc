// brygga: the gateway binary. Subcommands: serve, validate, audit verify, audit extract,
// audit rotate-key, version.
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionSet.h>
#include <Poco/Util/ServerApplication.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "gateway/app/audit_commands.h"
#include "gateway/app/config_loader.h"
#include "gateway/app/delivery_commands.h"
#include "gateway/app/gateway.h"
#include "gateway/app/hours_command.h"
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

constexpr const char* kUsage =
    "usage: brygga COMMAND [options]\n"
    "  serve [--config FILE] [--http-port N] [--https-port N] [--data-dir DIR]\n"
    "        [--regional-url URL] [--dev]\n"
    "                                 run the gateway (--dev: the development clients even\n"
    "                                 beyond loopback)\n"
    "  validate FILE...               print an OperationOutcome per file; exit 1 if any is "
    "invalid\n"
    "  audit verify [--data-dir DIR] [--key FILE] [--checkpoint FILE]\n"
    "                                 recompute the audit log (hash chain and Merkle tree)\n"
    "                                 against its signed checkpoints; exit 65 at the first bad\n"
    "                                 record\n"
    "  audit extract --patient PERSONNUMMER|Patient/ID [--json] [--data-dir DIR]\n"
    "                                 the patient's PDL log extract (itself audited); exit 66\n"
    "                                 for an unknown patient\n"
    "  audit rotate-key [--data-dir DIR]\n"
    "                                 a new audit signing key; the old one signs a last\n"
    "                                 checkpoint and vouches for the new one\n"
    "  verify-provenance FILE... [--ca FILE] [--config FILE]\n"
    "                                 check the signed Provenance of forwarded Bundles against\n"
    "                                 the CA of --ca or audit.provenanceTrustFile; exit 65 if any\n"
    "                                 does not verify\n"
    "  dead-letters list [--destination NAME] | show ID | replay ID [--force] [--json]\n"
    "                                 list, inspect and replay dead letters [--data-dir DIR]\n"
    "  destination list | pause NAME | resume NAME [--json]\n"
    "                                 queue figures; pause or resume a destination's delivery\n"
    "  migration-report [--data-dir DIR]\n"
    "                                 Patients that shared a person number before schema 6:\n"
    "                                 merged, or duplicates left for the integration team\n"
    "  hours --at DAY|TIME [--service-point NAME] [--config FILE]\n"
    "                                 open or closed at TIME (or on DAY, 2026-12-24) by the\n"
    "                                 service-hours calendar, and why\n"
    "  version                        print the version\n";

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
    add("destination", "NAME", "dead-letters list: only this destination");
    add("force", nullptr, "dead-letters replay: even when newer data of the patient was sent");
    add("at", "TIME",
        "hours: the day (2026-12-24) or time (2026-06-19T10:00, Stockholm time) to ask about");
    add("service-point", "NAME",
        "hours: a service point (Kungsbacka, Varberg, Halmstad, Hylte VC)");
    add("dev", nullptr,
        "serve: allow the development clients on a listener beyond loopback (never in production)");
    add("help", nullptr, "show usage");
  }

  void onOption(const std::string& name, const std::string& value) { flags_[name] = value; }

  int main(const std::vector<std::string>& args) override {
    if (flags_.count("help") || args.empty()) {
      std::cout << kUsage;
      return args.empty() && !flags_.count("help") ? EXIT_USAGE : EXIT_OK;
    }
    const std::string& command = args[0];
    if (command == "version") {
      std::cout << "brygga " << BRYGGA_VERSION << "\n";
      return EXIT_OK;
    }
    if (command == "validate") return validate({args.begin() + 1, args.end()});
    if (command == "serve") return serve();
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
    if (command == "hours") {
      return withConfig([&](Config c) { return hoursCommand(c, flags_, std::cout, std::cerr); });
    }
    if (command == "dead-letters" || command == "destination" || command == "migration-report") {
      return withConfig(
          [&](Config c) { return deliveryCommand(c, args, flags_, std::cout, std::cerr); });
    }
    std::cerr << "brygga: unknown command '" << command << "'\n" << kUsage;
    return EXIT_USAGE;
  }

 private:
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

  int serve() {
    // Before any thread starts, so that only the reload thread below receives SIGHUP.
    flows::blockReloadSignal();
    auto config = configuration();
    const core::Status usable =
        config.isOk() ? checkServeConfig(*config, flags_.count("dev") > 0) : config.status();
    if (!usable.isOk()) {
      std::cerr << "brygga: " << usable.message() << "\n";
      return EXIT_CONFIG;
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
    // SIGHUP: the mapping files and the TLS files (new CRLs); each keeps what it had on an error
    // (a bad reload is logged where it fails).
    flows::ReloadSignalThread reloader([running] {
      running->mappings().reload().ignoreError();
      running->reloadTls().ignoreError();
    });
    waitForTerminationRequest();
    (*gateway)->stop();
    return EXIT_OK;
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
