#include "gateway/api/admin_api.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "gateway/access/access_policy.h"
#include "gateway/api/responses.h"
#include "gateway/core/text.h"
#include "gateway/fhir/json.h"
#include "gateway/fhir/operation_outcome.h"
#include "gateway/search/query.h"

namespace brygga::api {

namespace {

using core::Status;

constexpr int kDefaultPage = 100;
constexpr int kMaxPage = 1000;
// A message's lines: its inbound line, then one per delivery attempt; its number is found among
// the first of them.
constexpr int kMaxLinesPerRequest = 64;
// The list shows the start of the peer's answer; the whole of it is in GET dead-letters/{id}.
constexpr size_t kReasonPreviewBytes = 300;

// `message`: the number of the message the entry is a copy of (the seq of its inbound line, the
// number the console shows), 0 when its line is no longer kept.
std::string entryJson(const store::OutboxEntry& e, bool full, int64_t message) {
  std::string out = "{\"id\":" + std::to_string(e.id) + ",\"message\":" +
                    (message > 0 ? std::to_string(message) : std::string("null")) +
                    ",\"destination\":";
  core::appendJsonString(out, e.destination);
  out += ",\"state\":";
  core::appendJsonString(out, store::toString(e.state));
  out += ",\"patient\":";
  core::appendJsonString(out, e.orderingKey);
  out += ",\"requestId\":";
  core::appendJsonString(out, e.requestId);
  out += ",\"tenant\":";
  core::appendJsonString(out, e.tenant);
  out += ",\"attempts\":" + std::to_string(e.attempts) + ",\"created\":";
  appendInstantOrNull(out, e.createdMs);
  // Pending: when it is due; delivered or dead: when that happened.
  out += e.state == store::OutboxState::kPending ? ",\"nextAttempt\":" : ",\"finished\":";
  appendInstantOrNull(out, e.nextAttemptMs);
  if (!full) {
    out += ",\"reason\":";
    core::appendJsonString(out, previewText(e.lastError, kReasonPreviewBytes));
    return out + "}";
  }
  // The whole of what the peer answered (or why Brygga gave up), and what was sent.
  out += ",\"lastError\":";
  core::appendJsonString(out, e.lastError);
  out += ",\"payload\":";
  // Brygga built the payload itself, so it is JSON; should it not parse, it is shown as text.
  if (fhir::parseJson(e.payload).isOk()) {
    out += e.payload;
  } else {
    core::appendJsonString(out, e.payload);
  }
  return out + "}";
}

}  // namespace

AdminApi::AdminApi(AdminDependencies deps) : deps_(std::move(deps)), recorder_(deps_.clock) {}

ApiResponse AdminApi::handle(const ApiRequest& request) {
  const int64_t started = deps_.clock.nowMs();
  Trace trace;
  trace.query = request.query;
  bool recorded = false;  // a change records itself in its own write unit
  ApiResponse response = dispatchGuarded(request, deps_.logger, [&] {
    bool changeRecorded = false;
    ApiResponse answer = dispatch(request, trace, started, changeRecorded);
    recorded = changeRecorded;  // not when an exception ended it: the 500 is recorded below
    return answer;
  });
  if (recorded) return response;
  return recorder_.recordAnswer(deps_.store, request, std::move(response), trace, started,
                                deps_.logger);
}

ApiResponse AdminApi::dispatch(const ApiRequest& request, Trace& trace, int64_t started,
                               bool& recorded) {
  const std::vector<std::string> parts = splitPath(request.path);
  trace.interaction = request.method == "GET" ? "read" : "operation";
  trace.action = request.method == "GET" ? 'R' : 'U';
  if (auto refused =
          checkIntegrationCaller(request, trace, "the admin API is for the integration team")) {
    return *refused;
  }
  if (!parts.empty() && parts[0] == "destinations") {
    if (parts.size() == 1) {
      if (auto wrong = checkMethod(request, "GET")) return *wrong;
      trace.interaction = "search-type";
      return destinations();
    }
    if (parts.size() == 3 && (parts[2] == "pause" || parts[2] == "resume")) {
      if (auto wrong = checkMethod(request, "POST")) return *wrong;
      return setPaused(request, parts[1], parts[2] == "pause", trace, started, recorded);
    }
  }
  if (!parts.empty() && parts[0] == "dead-letters") {
    trace.types.insert("Bundle");
    if (parts.size() == 1) {
      if (auto wrong = checkMethod(request, "GET")) return *wrong;
      trace.interaction = "search-type";
      return deadLetters(request);
    }
    if (parts.size() == 2) {
      if (auto wrong = checkMethod(request, "GET")) return *wrong;
      return deadLetter(parts[1], trace);
    }
    if (parts.size() == 3 && parts[2] == "replay") {
      if (auto wrong = checkMethod(request, "POST")) return *wrong;
      return requeue(request, parts[1], store::OutboxState::kDead, trace, started, recorded);
    }
  }
  if (parts.size() == 3 && parts[0] == "held" && parts[2] == "release") {
    if (auto wrong = checkMethod(request, "POST")) return *wrong;
    trace.types.insert("Bundle");
    return requeue(request, parts[1], store::OutboxState::kHeld, trace, started, recorded);
  }
  return errorResponse(core::notFound(
      "no such admin resource: /admin/destinations, /admin/destinations/{name}/pause|resume, "
      "/admin/dead-letters, /admin/dead-letters/{id}, /admin/dead-letters/{id}/replay and "
      "/admin/held/{id}/release exist"));
}

namespace {

// One destination's health at a glance, worst first: paused (by whom, since when), failing (its
// deliveries or its token endpoint, since the first failure after the last success), holding
// dead letters, or ok.
void appendHealth(std::string& out, const store::DestinationState& s,
                  const auth::TokenHealth& token,
                  const metrics::GatewayMetrics::DestinationHealth& delivery) {
  std::string state = "ok";
  int64_t since = 0;
  int lastStatus = 0;
  std::string detail;
  int failures = 0;        // deliveries failed in a row
  std::string tokenError;  // the token endpoint's last error, while it fails
  if (s.paused) {
    state = "paused";
    since = s.changedMs;
    detail = s.changedBy.empty() ? "paused" : "paused by " + s.changedBy;
  } else if (delivery.failingSinceMs > 0) {
    state = "failing";
    since = delivery.failingSinceMs;
    lastStatus = delivery.lastStatus;
    failures = delivery.consecutiveFailures;
    detail = std::to_string(delivery.consecutiveFailures) + " failed attempt" +
             (delivery.consecutiveFailures == 1 ? "" : "s") + " in a row, the last " +
             (lastStatus > 0 ? "HTTP " + std::to_string(lastStatus) : std::string("unanswered"));
  } else if (token.configured && token.failingSinceMs > 0) {
    state = "failing";
    since = token.failingSinceMs;
    tokenError = token.lastError;
    detail = "the token endpoint: " + token.lastError;
  } else if (s.dead > 0) {
    state = "dead-letters";
    detail = std::to_string(s.dead) + " dead letter" + (s.dead == 1 ? "" : "s") + " to look at";
  }
  out += ",\"health\":{\"state\":";
  core::appendJsonString(out, state);
  out += ",\"since\":";
  appendInstantOrNull(out, since);
  out += ",\"lastStatus\":" + (lastStatus > 0 ? std::to_string(lastStatus) : std::string("null")) +
         ",\"detail\":";
  core::appendJsonString(out, detail);
  // The same as figures, for a console that words them in its own language.
  if (failures > 0) out += ",\"failures\":" + std::to_string(failures);
  if (!tokenError.empty()) {
    out += ",\"tokenError\":";
    core::appendJsonString(out, tokenError);
  }
  out += '}';
}

}  // namespace

bool AdminApi::isKnownDestination(const std::string& name) {
  if (deps_.maxQueueDepth.count(name) > 0) return true;
  auto states = deps_.store.outbox().destinationStates();
  return states.isOk() &&
         std::any_of(states->begin(), states->end(),
                     [&](const store::DestinationState& s) { return s.destination == name; });
}

ApiResponse AdminApi::destinations() {
  auto states = deps_.store.outbox().destinationStates();
  if (!states.isOk()) return errorResponse(states.status());
  std::map<std::string, store::DestinationState> byName;
  for (const auto& [name, limit] : deps_.maxQueueDepth) byName[name].destination = name;
  for (const auto& s : *states) byName[s.destination] = s;
  const int64_t now = deps_.clock.nowMs();
  std::string out = "{\"destinations\":[";
  bool first = true;
  for (const auto& [name, s] : byName) {
    if (!first) out += ',';
    first = false;
    const auto limit = deps_.maxQueueDepth.find(name);
    out += "{\"name\":";
    core::appendJsonString(out, name);
    out += std::string(",\"configured\":") +
           (limit != deps_.maxQueueDepth.end() ? "true" : "false") +
           ",\"paused\":" + (s.paused ? "true" : "false") + ",\"pausedChanged\":";
    appendInstantOrNull(out, s.changedMs);
    out += ",\"pausedChangedBy\":";
    core::appendJsonString(out, s.changedBy);
    out += ",\"pending\":" + std::to_string(s.pending) + ",\"maxQueueDepth\":" +
           (limit != deps_.maxQueueDepth.end() ? std::to_string(limit->second) : "null") +
           ",\"dead\":" + std::to_string(s.dead) + ",\"oldestPending\":";
    appendInstantOrNull(out, s.oldestPendingCreatedMs);
    out += ",\"oldestPendingAgeMs\":" +
           (s.oldestPendingCreatedMs > 0
                ? std::to_string(std::max<int64_t>(0, now - s.oldestPendingCreatedMs))
                : std::string("null"));
    const auth::TokenHealth token =
        deps_.tokenHealth ? deps_.tokenHealth(name) : auth::TokenHealth{};
    appendHealth(out, s, token,
                 deps_.deliveryHealth ? deps_.deliveryHealth(name)
                                      : metrics::GatewayMetrics::DestinationHealth{});
    if (token.configured) {
      out += std::string(",\"token\":{\"valid\":") + (token.valid ? "true" : "false") +
             ",\"expires\":";
      appendInstantOrNull(out, token.expiresAtMs);
      out += ",\"failingSince\":";
      appendInstantOrNull(out, token.failingSinceMs);
      out += ",\"consecutiveFailures\":" + std::to_string(token.consecutiveFailures) +
             ",\"nextAttempt\":";
      appendInstantOrNull(out, token.nextAttemptMs);
      out += ",\"lastError\":";
      core::appendJsonString(out, token.lastError);
      out += '}';
    }
    out += '}';
  }
  return noStoreResponse(200, out + "]}");
}

ApiResponse AdminApi::setPaused(const ApiRequest& request, const std::string& name, bool paused,
                                Trace& trace, int64_t started, bool& recorded) {
  if (!isKnownDestination(name)) {
    return errorResponse(core::notFound("no destination '" + name + "'"));
  }
  const char* detail = paused ? "paused" : "resumed";
  Status s = deps_.store.write([&](store::StoreTransaction& txn) -> Status {
    BRYGGA_RETURN_IF_ERROR(txn.outbox().setDestinationPaused(name, paused, deps_.clock.nowMs(),
                                                             request.caller.clientId));
    return recorder_.record(txn, request, 200, trace, started, detail);
  });
  if (!s.isOk()) return errorResponse(s);
  recorded = true;
  if (deps_.onPauseChanged) deps_.onPauseChanged(name, paused);
  deps_.logger.info(paused ? "delivery.paused" : "delivery.resumed",
                    {{"destination", name}, {"by", request.caller.clientId}});
  std::string out = "{\"name\":";
  core::appendJsonString(out, name);
  out += std::string(",\"paused\":") + (paused ? "true" : "false") + "}";
  return noStoreResponse(200, out);
}

int64_t AdminApi::messageOf(const store::OutboxEntry& entry) {
  // The message's inbound line is the first of its request's lines (its deliveries follow); a
  // request id sent again later names a later message, whose entries come after this one's.
  auto lines = deps_.store.exchangeLog().requestExchanges(entry.requestId, kMaxLinesPerRequest);
  if (!lines.isOk()) return 0;
  int64_t first = 0;
  for (const store::ExchangeRecord& l : *lines) {
    if (l.direction != "inbound" || !l.message) continue;
    if (l.outboxLast >= entry.id) return l.seq;
    if (first == 0) first = l.seq;  // a line from before schema 4 records no outbox id
  }
  return first;
}

ApiResponse AdminApi::deadLetters(const ApiRequest& request) {
  auto params = search::parseQuery(request.query);
  if (!params.isOk()) return errorResponse(params.status());
  std::optional<std::string> destination;
  int64_t after = 0;
  int limit = kDefaultPage;
  for (const auto& [name, value] : *params) {
    if (name == "destination") {
      if (!value.empty()) destination = value;
    } else if (name == "after") {
      auto n = core::parseDecimal(value);
      if (!n.isOk()) return errorResponse(core::invalidArgument("after must be an outbox id"));
      after = *n;
    } else if (name == "limit") {
      auto n = core::parseDecimal(value);
      if (!n.isOk() || *n < 1 || *n > kMaxPage) {
        return errorResponse(
            core::invalidArgument("limit must be from 1 to " + std::to_string(kMaxPage)));
      }
      limit = static_cast<int>(*n);
    } else {
      return errorResponse(core::invalidArgument("unknown parameter '" + name + "'"));
    }
  }
  auto entries = deps_.store.outbox().deadLetters(destination, after, limit);
  if (!entries.isOk()) return errorResponse(entries.status());
  std::string out = "{\"deadLetters\":[";
  for (size_t i = 0; i < entries->size(); ++i) {
    if (i > 0) out += ',';
    out += entryJson((*entries)[i], false, messageOf((*entries)[i]));
  }
  out += "],\"next\":";
  // A full page may have more behind it: `after` for the next one.
  out += static_cast<int>(entries->size()) == limit ? std::to_string(entries->back().id) : "null";
  return noStoreResponse(200, out + "}");
}

ApiResponse AdminApi::deadLetter(const std::string& idText, Trace& trace) {
  const auto id = core::parseDecimal(idText);
  if (!id.isOk()) return errorResponse(core::notFound("no outbox entry '" + idText + "'"));
  auto entry = deps_.store.outbox().outboxEntry(*id);
  if (!entry.isOk()) return errorResponse(entry.status());
  if (!entry->has_value()) {
    return errorResponse(core::notFound(
        "no outbox entry " + idText + " (delivered entries are deleted after the retention time)"));
  }
  if ((*entry)->orderingKey.rfind("Patient/", 0) == 0) trace.patient = (*entry)->orderingKey;
  return noStoreResponse(200, entryJson(**entry, true, messageOf(**entry)));
}

ApiResponse AdminApi::requeue(const ApiRequest& request, const std::string& idText,
                              store::OutboxState from, Trace& trace, int64_t started,
                              bool& recorded) {
  const bool release = from == store::OutboxState::kHeld;
  const auto id = core::parseDecimal(idText);
  if (!id.isOk()) return errorResponse(core::notFound("no outbox entry '" + idText + "'"));
  auto params = search::parseQuery(request.query);
  if (!params.isOk()) return errorResponse(params.status());
  bool force = false;
  for (const auto& [name, value] : *params) {
    if (name != "force" || (value != "true" && value != "false")) {
      return errorResponse(core::invalidArgument("the only parameter is force=true|false"));
    }
    force = value == "true";
  }
  store::OutboxEntry replayed;
  Status s = deps_.store.write([&](store::StoreTransaction& txn) -> Status {
    BRYGGA_ASSIGN_OR_RETURN(std::optional<store::OutboxEntry> entry, txn.outbox().readOutbox(*id));
    if (!entry) return core::notFound("no outbox entry " + idText);
    if (entry->orderingKey.rfind("Patient/", 0) == 0) trace.patient = entry->orderingKey;
    if (entry->state != from) {
      return core::conflict("outbox entry " + idText + " is " + store::toString(entry->state) +
                            (release ? "; only held messages can be released"
                                     : "; only dead letters can be replayed"));
    }
    if (release && !force && entry->orderingKey.rfind("Patient/", 0) == 0) {
      // Lifting a block releases nothing by itself, and a release while it stands is deliberate.
      BRYGGA_ASSIGN_OR_RETURN(store::PatientAccessFacts facts,
                              txn.resources().accessFacts(entry->orderingKey.substr(8)));
      if (access::AccessPolicy::blockAgainst(facts, entry->party, deps_.clock.nowMs())) {
        return core::conflict("a block against " + entry->party +
                              " still stands for outbox entry " + idText +
                              " (release with force=true to send it anyway)");
      }
    }
    if (!release && !force && !entry->orderingKey.empty()) {
      BRYGGA_ASSIGN_OR_RETURN(
          bool newer, txn.outbox().deliveredAfter(entry->destination, entry->orderingKey, *id));
      if (newer) {
        return core::conflict(
            "a newer message for the same patient was delivered after outbox "
            "entry " +
            idText +
            "; replaying it would overwrite newer data at the peer (replay "
            "with force=true to send it anyway)");
      }
    }
    const int64_t now = deps_.clock.nowMs();
    BRYGGA_RETURN_IF_ERROR(
        txn.outbox().updateOutbox(*id, store::OutboxState::kPending, 0, now, ""));
    replayed = *entry;
    replayed.state = store::OutboxState::kPending;
    replayed.attempts = 0;
    replayed.nextAttemptMs = now;
    replayed.lastError.clear();
    return recorder_.record(txn, request, 200, trace, started, release ? "released" : "replayed");
  });
  if (!s.isOk()) return errorResponse(s);
  recorded = true;
  if (deps_.onReplayed) deps_.onReplayed(replayed.destination);
  deps_.logger.info(release ? "delivery.released" : "delivery.replayed",
                    {{"outboxId", idText},
                     {"destination", replayed.destination},
                     {"by", request.caller.clientId}});
  return noStoreResponse(200, entryJson(replayed, false, messageOf(replayed)));
}

}  // namespace brygga::api
