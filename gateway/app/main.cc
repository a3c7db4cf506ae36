// brygga: the gateway binary. Subcommands: serve, validate, audit verify, version.
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionSet.h>
#include <Poco/Util/ServerApplication.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "gateway/app/config_loader.h"
#include "gateway/app/gateway.h"
#include "gateway/audit/audit_trail.h"
#include "gateway/fhir/json.h"
#include "gateway/fhir/operation_outcome.h"
#include "gateway/fhir/validator.h"
#include "gateway/store/sqlite_store.h"

#ifndef BRYGGA_VERSION
#define BRYGGA_VERSION "0.0.0"
#endif

namespace brygga::app {

namespace {

constexpr const char* kUsage =
    "usage: brygga COMMAND [options]\n"
    "  serve [--config FILE] [--http-port N] [--https-port N] [--data-dir DIR]\n"
    "        [--regional-url URL]     run the gateway\n"
    "  validate FILE...               print an OperationOutcome per file; exit 1 if any is "
    "invalid\n"
    "  audit verify [--data-dir DIR]  recompute the audit chain; exit 1 on the first bad record\n"
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
    if (command == "audit" && args.size() == 2 && args[1] == "verify") return auditVerify();
    std::cerr << "brygga: unknown command '" << command << "'\n" << kUsage;
    return EXIT_USAGE;
  }

 private:
  core::StatusOr<core::GatewayConfig> configuration() {
    core::GatewayConfig config = defaultConfig();
    if (flags_.count("config")) {
      BRYGGA_ASSIGN_OR_RETURN(config, loadConfigFile(flags_["config"]));
    }
    auto port = [&](const char* flag, int& out) -> core::Status {
      if (!flags_.count(flag)) return core::Status::ok();
      try {
        size_t used = 0;
        int value = std::stoi(flags_[flag], &used);
        if (used != flags_[flag].size() || value < -1 || value > 65535) throw std::out_of_range("");
        out = value;
      } catch (const std::exception&) {
        return core::invalidArgument(std::string("--") + flag + " must be a port from -1 to 65535");
      }
      return core::Status::ok();
    };
    BRYGGA_RETURN_IF_ERROR(port("http-port", config.server.httpPort));
    BRYGGA_RETURN_IF_ERROR(port("https-port", config.server.httpsPort));
    if (flags_.count("data-dir")) config.dataDir = flags_["data-dir"];
    if (flags_.count("regional-url")) {
      auto& regional = config.destinations["regional"];
      regional.name = "regional";
      regional.baseUrl = flags_["regional-url"];
    }
    BRYGGA_RETURN_IF_ERROR(checkConfig(config));
    return config;
  }

  int serve() {
    auto config = configuration();
    if (!config.isOk()) {
      std::cerr << "brygga: " << config.status().message() << "\n";
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
      std::cout << " http://" << config->server.bindAddress << ":" << (*gateway)->httpPort()
                << "/fhir";
    }
    if ((*gateway)->httpsPort() >= 0) {
      std::cout << " https://" << config->server.bindAddress << ":" << (*gateway)->httpsPort()
                << "/fhir";
    }
    std::cout << "\nhttp-port=" << (*gateway)->httpPort()
              << " https-port=" << (*gateway)->httpsPort() << std::endl;
    waitForTerminationRequest();
    (*gateway)->stop();
    return EXIT_OK;
  }

  int validate(const std::vector<std::string>& files) {
    if (files.empty()) {
      std::cerr << "brygga validate: name at least one file\n";
      return EXIT_USAGE;
    }
    auto validator = fhir::makeStructuralValidator();
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

  int auditVerify() {
    auto config = configuration();
    if (!config.isOk()) {
      std::cerr << "brygga: " << config.status().message() << "\n";
      return EXIT_CONFIG;
    }
    store::SqliteOptions options;
    options.path = config->dataDir + "/brygga.db";
    auto store = store::openSqliteStore(options);
    if (!store.isOk()) {
      std::cerr << "brygga: " << store.status().message() << "\n";
      return EXIT_IOERR;
    }
    auto result = audit::AuditTrail::verify(**store);
    if (!result.isOk()) {
      std::cerr << "brygga: " << result.status().message() << "\n";
      return EXIT_IOERR;
    }
    if (result->firstBadSeq != 0) {
      std::cout << "audit chain BROKEN at record " << result->firstBadSeq << ": " << result->problem
                << "\n";
      return EXIT_DATAERR;
    }
    std::cout << "audit chain intact: " << result->recordsChecked << " records\n";
    return EXIT_OK;
  }

  std::map<std::string, std::string> flags_;
};

}  // namespace brygga::app

POCO_SERVER_MAIN(brygga::app::BryggaApp)
