#include "gateway/api/mappings_api.h"

#include "gateway/api/responses.h"
#include "gateway/core/civil_time.h"
#include "gateway/fhir/operation_outcome.h"
#include "mappings/mapping_set.h"

namespace brygga::api {

namespace {

using core::StatusCode;

void field(std::string& out, const char* name, const std::string& value) {
  if (out.size() > 1) out += ',';
  out += '"';
  out += name;
  out += "\":\"";
  core::appendJsonEscaped(out, value);
  out += '"';
}

}  // namespace

MappingsApi::MappingsApi(flows::MappingRegistry& registry, store::Store& store,
                         const core::TimeSource& clock, core::Logger& logger)
    : registry_(registry), store_(store), clock_(clock), logger_(logger), recorder_(clock) {}

ApiResponse MappingsApi::handle(const ApiRequest& request) {
  const int64_t started = clock_.nowMs();
  Trace trace;
  trace.mappings = registry_.current();
  ApiResponse response =
      dispatchGuarded(request, logger_, [&] { return dispatch(request, trace); });
  // After a reload the exchange line names the version now in force.
  if (request.method == "POST") trace.mappings = registry_.current();
  return recorder_.recordAnswer(store_, request, std::move(response), trace, started, logger_);
}

ApiResponse MappingsApi::dispatch(const ApiRequest& request, Trace& trace) {
  trace.interaction = request.method == "GET" ? "read" : "operation";
  trace.action = request.method == "GET" ? 'R' : 'E';
  if (auto refused = checkIntegrationCaller(request, trace,
                                            "the mappings are operated by the integration team")) {
    return *refused;
  }
  const std::string path = request.path == "/" ? std::string() : request.path;
  if (path.empty()) {
    if (request.method != "GET") return errorResponse({StatusCode::kMethodNotAllowed, "use GET"});
    return noStoreResponse(200, describe({}));
  }
  if (path == "/reload") {
    if (request.method != "POST") {
      return errorResponse({StatusCode::kMethodNotAllowed, "use POST to reload"});
    }
    auto before = registry_.current();
    const std::string previous = before ? before->version() : std::string();
    auto reloaded = registry_.reload();
    if (!reloaded.isOk()) {
      const std::string text = reloaded.status().message() +
                               " (the mappings in force stay: version " +
                               (previous.empty() ? std::string("none") : previous) + ")";
      return errorResponse(
          core::unprocessable(text, {core::Issue::error("invalid", text, "mappings")}));
    }
    return noStoreResponse(200, describe(previous));
  }
  return errorResponse(core::notFound("no such mappings operation: " + path));
}

std::string MappingsApi::describe(const std::string& previous) const {
  auto set = registry_.current();
  std::string out = "{";
  field(out, "version", set ? set->version() : std::string());
  if (!previous.empty()) field(out, "previousVersion", previous);
  field(out, "directory", registry_.directory());
  field(out, "loadedAt", core::formatInstant(registry_.loadedAtMs()));
  const std::string error = registry_.lastError();
  if (!error.empty()) field(out, "lastReloadError", error);
  out += ",\"files\":[";
  if (set) {
    for (size_t i = 0; i < set->fileNames().size(); ++i) {
      if (i > 0) out += ',';
      out += '"';
      core::appendJsonEscaped(out, set->fileNames()[i]);
      out += '"';
    }
  }
  out += "]}";
  return out;
}

}  // namespace brygga::api
