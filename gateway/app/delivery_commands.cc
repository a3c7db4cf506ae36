#include "gateway/app/delivery_commands.h"

#include <sysexits.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include "gateway/api/admin_api.h"
#include "gateway/app/store_opening.h"
#include "gateway/core/civil_time.h"
#include "gateway/core/digest.h"
#include "gateway/core/text.h"
#include "gateway/core/time_source.h"
#include "gateway/fhir/json.h"

namespace brygga::app {

namespace {

constexpr const char* kUsage =
    "usage: brygga dead-letters list [--destination NAME]\n"
    "       brygga dead-letters show MESSAGE | replay MESSAGE [--force] [--destination NAME]\n"
    "       (MESSAGE: the message number, as the console and `dead-letters list` show it)\n"
    "       brygga destination list | pause NAME | resume NAME\n"
    "       brygga migration-report\n"
    "       (with --config FILE or --data-dir DIR as for serve; --json for scripts)\n";

// What schema 6's migration did with Patients that shared a person number: one line each (no
// numbers, only Patient references).
int printMigrationReport(store::Store& store, std::ostream& out, std::ostream& err) {
  auto entries = store.resources().migrationReport();
  if (!entries.isOk()) {
    err << "brygga: " << entries.status().message() << "\n";
    return EX_IOERR;
  }
  if (entries->empty()) {
    out << "no Patients shared a person number: nothing to report\n";
    return EX_OK;
  }
  std::vector<std::vector<std::string>> rows = {{"ID", "WHEN", "KIND", "PATIENT", "DETAIL"}};
  for (const store::MigrationReportEntry& e : *entries) {
    rows.push_back({std::to_string(e.id), core::formatStockholmForPeople(e.createdMs), e.kind,
                    e.subject, e.detail});
  }
  out << core::alignColumns(rows);
  return EX_OK;
}

int exitCodeOf(int httpStatus) {
  if (httpStatus < 300) return EX_OK;
  if (httpStatus == 404) return EX_NOINPUT;
  if (httpStatus == 409) return EX_DATAERR;
  if (httpStatus == 400) return EX_USAGE;
  if (httpStatus == 503) return EX_TEMPFAIL;
  return EX_IOERR;
}

// A member of the admin API's JSON as text for people: instants in Stockholm time (the
// command line's time convention), null and absent as "".
std::string text(const rapidjson::Value& object, const char* name) {
  const rapidjson::Value* v = fhir::member(object, name);
  if (v == nullptr) return "";
  if (v->IsString()) {
    const std::string value = v->GetString();
    if (value.size() >= 20 && value[10] == 'T') {
      if (auto ms = core::parseFhirDateTime(value); ms.isOk()) {
        return core::formatStockholmForPeople(*ms);
      }
    }
    return value;
  }
  if (v->IsInt64()) return std::to_string(v->GetInt64());
  if (v->IsBool()) return v->GetBool() ? "yes" : "no";
  return "";
}

// One dead letter for people: the facts, the receiver's whole answer, the Bundle as it was sent.
void printEntry(const rapidjson::Value& entry, std::ostream& out) {
  out << "message " << text(entry, "message") << " to " << text(entry, "destination") << ": "
      << (text(entry, "state") == "dead" ? "dead letter" : text(entry, "state")) << "\n";
  std::vector<std::vector<std::string>> rows = {
      {"patient", text(entry, "patient")},   {"sender", text(entry, "tenant")},
      {"attempts", text(entry, "attempts")}, {"accepted", text(entry, "created")},
      {"died", text(entry, "finished")},     {"request id", text(entry, "requestId")}};
  if (text(entry, "state") == "pending") rows[4] = {"next attempt", text(entry, "nextAttempt")};
  out << core::alignColumns(rows) << "receiver's answer:\n" << text(entry, "lastError") << "\n";
  const rapidjson::Value* payload = fhir::member(entry, "payload");
  if (payload == nullptr) return;
  out << "forwarded content (contains patient data):\n";
  if (payload->IsString()) {
    out << payload->GetString() << "\n";
    return;
  }
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
  writer.SetIndent(' ', 2);
  payload->Accept(writer);
  out << buffer.GetString() << "\n";
}

// The admin API's answer, for a terminal.
void printForPeople(const std::string& group, const std::string& verb, const std::string& body,
                    std::ostream& out) {
  auto doc = fhir::parseJson(body);
  if (!doc.isOk() || !doc->IsObject()) {
    out << body << "\n";
    return;
  }
  if (verb == "pause" || verb == "resume") {
    out << "destination " << text(*doc, "name") << " "
        << (text(*doc, "paused") == "yes" ? "paused: nothing is sent to it until it is resumed"
                                          : "resumed: delivery continues")
        << "\n";
    return;
  }
  if (verb == "replay") {
    out << "message " << text(*doc, "message") << " to " << text(*doc, "destination")
        << " replayed: back in the queue for " << text(*doc, "patient") << ", attempts reset, due "
        << text(*doc, "nextAttempt") << "\n";
    return;
  }
  if (verb == "show") {
    printEntry(*doc, out);
    return;
  }
  const bool deadLetters = group == "dead-letters";
  const rapidjson::Value* items = fhir::member(*doc, deadLetters ? "deadLetters" : "destinations");
  if (items == nullptr || !items->IsArray()) return;
  std::vector<std::vector<std::string>> rows;
  if (deadLetters) {
    rows.push_back({"MESSAGE", "DESTINATION", "PATIENT", "ATTEMPTS", "DIED", "REASON"});
    for (const auto& item : items->GetArray()) {
      rows.push_back({text(item, "message"), text(item, "destination"), text(item, "patient"),
                      text(item, "attempts"), text(item, "finished"), text(item, "reason")});
    }
  } else {
    rows.push_back({"DESTINATION", "PAUSED", "PENDING", "MAX", "DEAD", "OLDEST PENDING"});
    for (const auto& item : items->GetArray()) {
      rows.push_back({text(item, "name"), text(item, "paused"), text(item, "pending"),
                      text(item, "maxQueueDepth"), text(item, "dead"),
                      text(item, "oldestPending")});
    }
  }
  if (rows.size() == 1) {
    out << (deadLetters ? "no dead letters\n" : "no destinations\n");
    return;
  }
  out << core::alignColumns(rows);
  if (!text(*doc, "next").empty()) out << "(more: the list shows the first page)\n";
}

// The diagnostics of an OperationOutcome, or the body as it is.
std::string problemOf(const std::string& body) {
  auto doc = fhir::parseJson(body);
  if (!doc.isOk()) return body;
  const rapidjson::Value* issues = fhir::member(*doc, "issue");
  if (issues == nullptr || !issues->IsArray() || issues->Empty()) return body;
  return text((*issues)[0], "diagnostics");
}

// The outbox entry of message `operand` that `verb` acts on: its dead letter (to `destination`
// when named); for show, any kept copy when none is dead. A message number is what the console
// shows; a copy per receiver is the message's number and the receiver. Exit code and message
// when there is none, or several to choose from.
struct Resolved {
  int64_t id = 0;
  int exitCode = EX_OK;
  std::string problem;
};

Resolved resolveMessage(store::Store& store, const std::string& verb, const std::string& operand,
                        const std::string& destination) {
  auto seq = core::parseDecimal(operand);
  if (!seq.isOk() || *seq <= 0) {
    return {0, EX_USAGE,
            "'" + operand +
                "' is not a message number (the number the console and `brygga dead-letters "
                "list` show)"};
  }
  auto message = store.exchangeLog().message(*seq, false);
  if (!message.isOk()) {
    return {0, message.status().code() == core::StatusCode::kUnavailable ? EX_TEMPFAIL : EX_IOERR,
            message.status().message()};
  }
  if (!message->has_value()) return {0, EX_NOINPUT, "no message " + operand};
  std::vector<const store::OutboxEntry*> dead, kept;
  for (const store::OutboxEntry& e : (*message)->outbox) {
    if (!destination.empty() && e.destination != destination) continue;
    kept.push_back(&e);
    if (e.state == store::OutboxState::kDead) dead.push_back(&e);
  }
  const std::string to = destination.empty() ? "" : " to " + destination;
  const std::vector<const store::OutboxEntry*>& candidates =
      dead.empty() && verb == "show" ? kept : dead;
  if (candidates.empty()) {
    if (kept.empty()) {
      return {0, verb == "show" ? EX_NOINPUT : EX_DATAERR,
              "message " + operand + " has no forwarded copy" + to +
                  " kept (nothing to forward, or delivered and deleted after the retention time)"};
    }
    std::string states;
    for (const store::OutboxEntry* e : kept) {
      states += (states.empty() ? "" : ", ") + e->destination + " " + store::toString(e->state);
    }
    return {0, EX_DATAERR,
            "message " + operand + " is not a dead letter" + to + " (" + states +
                "); only dead letters can be replayed"};
  }
  if (candidates.size() > 1) {
    std::string names;
    for (const store::OutboxEntry* e : candidates) {
      names += (names.empty() ? "" : ", ") + e->destination;
    }
    return {0, EX_USAGE,
            "message " + operand + " has " + (dead.empty() ? "copies" : "dead letters") +
                " to several destinations (" + names + "): name one with --destination"};
  }
  return {candidates.front()->id, EX_OK, ""};
}

}  // namespace

int deliveryCommand(const GatewayConfig& config, const std::vector<std::string>& args,
                    const std::map<std::string, std::string>& flags, std::ostream& out,
                    std::ostream& err) {
  // args[0] is "dead-letters" or "destination".
  const std::string group = args.empty() ? std::string() : args[0];
  const std::string verb = args.size() > 1 ? args[1] : std::string();
  const std::string operand = args.size() > 2 ? args[2] : std::string();
  api::ApiRequest request;
  if (group == "dead-letters" && verb == "list" && args.size() == 2) {
    request.method = "GET";
    request.path = "/dead-letters";
    if (auto it = flags.find("destination"); it != flags.end()) {
      request.query = "destination=" + it->second;
    }
  } else if (group == "dead-letters" && verb == "show" && args.size() == 3) {
    request.method = "GET";  // the path once the message is resolved to its entry
  } else if (group == "dead-letters" && verb == "replay" && args.size() == 3) {
    request.method = "POST";
    if (flags.count("force") > 0) request.query = "force=true";
  } else if (group == "destination" && verb == "list" && args.size() == 2) {
    request.method = "GET";
    request.path = "/destinations";
  } else if (group == "destination" && (verb == "pause" || verb == "resume") && args.size() == 3) {
    request.method = "POST";
    request.path = "/destinations/" + operand + "/" + verb;
  } else if (group == "migration-report" && args.size() == 1) {
    // Read-only, from the store (no API call to record).
  } else {
    err << kUsage;
    return EX_USAGE;
  }

  auto store = openConfiguredStore(config, StoreUse::kExisting);
  if (!store.isOk()) {
    err << "brygga: " << store.status().message() << "\n";
    return store.status().code() == core::StatusCode::kNotFound ? EX_NOINPUT : EX_IOERR;
  }

  if (group == "migration-report") return printMigrationReport(**store, out, err);
  if (group == "dead-letters" && (verb == "show" || verb == "replay")) {
    const auto destination = flags.find("destination");
    const Resolved entry = resolveMessage(
        **store, verb, operand, destination == flags.end() ? std::string() : destination->second);
    if (entry.exitCode != EX_OK) {
      err << "brygga: " << entry.problem << "\n";
      return entry.exitCode;
    }
    request.path =
        "/dead-letters/" + std::to_string(entry.id) + (verb == "replay" ? "/replay" : "");
  }

  core::RealTimeSystem clock;
  std::ostringstream log;  // the admin API's request log line is for servers, not terminals
  core::Logger logger(log);
  std::map<std::string, int64_t> limits;
  for (const auto& [name, destination] : config.destinations) {
    limits[name] = destination.maxQueueDepth;
  }
  api::AdminApi admin(api::AdminDependencies{**store, clock, logger, limits, nullptr, nullptr});

  // The operator at the terminal, as the exchange log and the AuditEvent will show them.
  request.caller.authenticated = true;
  request.caller.clientId = "cli";
  request.caller.role = core::ClientRole::kIntegration;
  request.caller.credential = "local";
  // Not a browser that another site could steer: the operator's own command
  // (api::checkNotCrossSite).
  request.headers["x-brygga-console"] = "1";
  const char* user = getenv("USER");
  request.caller.address = std::string("local:") + (user != nullptr ? user : "unknown");
  request.requestId = core::newUuid();
  request.baseUrl = "cli:";

  const api::ApiResponse response = admin.handle(request);
  if (response.status >= 300) {
    err << "brygga: " << problemOf(response.body) << "\n";
    return exitCodeOf(response.status);
  }
  if (flags.count("json") > 0) {
    out << response.body << "\n";
  } else {
    printForPeople(group, verb, response.body, out);
  }
  return EX_OK;
}

}  // namespace brygga::app
