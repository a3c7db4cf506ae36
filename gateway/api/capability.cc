#include "gateway/api/capability.h"

#include <algorithm>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "gateway/api/measure_api.h"
#include "gateway/fhir/json.h"
#include "gateway/fhir/resource_types.h"
#include "gateway/fhir/validator.h"
#include "gateway/search/query.h"
#include "gateway/subscriptions/topics.h"

#ifndef BRYGGA_VERSION
#define BRYGGA_VERSION "0.0.0"
#endif

namespace brygga::api {

namespace {

using rapidjson::Value;

const char* searchTypeOf(const std::string& param) {
  if (param == "_lastUpdated" || param == "birthdate") return "date";
  if (param == "patient" || param == "subject") return "reference";
  if (search::isStringParam(param)) return "string";
  return "token";
}

// Topic-based Subscriptions (R4 Subscriptions Backport IG): the topics offered, as the IG's
// CapabilityStatement extension names them, and $status.
void addSubscriptionCapability(Value& res, rapidjson::Document::AllocatorType& a) {
  Value extensions(rapidjson::kArrayType);
  for (const subscriptions::Topic& topic : subscriptions::topics()) {
    Value e(rapidjson::kObjectType);
    e.AddMember("url",
                "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/"
                "capabilitystatement-subscriptiontopic-canonical",
                a);
    e.AddMember("valueCanonical", Value(topic.url.c_str(), a), a);
    extensions.PushBack(e, a);
  }
  res.AddMember("extension", extensions, a);
  Value operations(rapidjson::kArrayType);
  Value status(rapidjson::kObjectType);
  status.AddMember("name", "status", a);
  status.AddMember("definition",
                   "http://hl7.org/fhir/uv/subscriptions-backport/OperationDefinition/"
                   "backport-subscription-status",
                   a);
  operations.PushBack(status, a);
  res.AddMember("operation", operations, a);
  const std::string text =
      "Topic-based subscriptions (rest-hook; filters patient, service-point, municipality; "
      "content empty, id-only or full-resource; heartbeats). A client registers only endpoints "
      "the operator allows it, and hears only of what it may read.";
  // After the sort keys the type's documentation already names.
  if (Value* documentation = fhir::mutableMember(res, "documentation")) {
    const std::string joined = std::string(documentation->GetString()) + " " + text;
    documentation->SetString(joined.c_str(), static_cast<rapidjson::SizeType>(joined.size()), a);
  } else {
    res.AddMember("documentation", Value(text.c_str(), a), a);
  }
}

// The follow-up figures (api/measure_api.h): read-only, served from the mapping files and the
// reports kept when months closed, for the integration, regional and followup roles.
Value followUpCapability(const std::string& type, rapidjson::Document::AllocatorType& a) {
  const bool isMeasure = type == "Measure";
  Value res(rapidjson::kObjectType);
  res.AddMember("type", Value(type.c_str(), a), a);
  Value interactions(rapidjson::kArrayType);
  for (const char* code : {"read", "search-type"}) {
    Value i(rapidjson::kObjectType);
    i.AddMember("code", Value(code, a), a);
    interactions.PushBack(i, a);
  }
  res.AddMember("interaction", interactions, a);
  Value params(rapidjson::kArrayType);
  for (const auto& name : MeasureApi::searchParamsOf(
           isMeasure ? MeasureApi::Serves::kMeasure : MeasureApi::Serves::kMeasureReport)) {
    const char* kind = name == "url"       ? "uri"
                       : name == "measure" ? "reference"
                       : name == "period"  ? "date"
                                           : "token";
    Value p(rapidjson::kObjectType);
    p.AddMember("name", Value(name.c_str(), a), a);
    p.AddMember("type", Value(kind, a), a);
    params.PushBack(p, a);
  }
  res.AddMember("searchParam", params, a);
  if (isMeasure) {
    Value operations(rapidjson::kArrayType);
    Value evaluate(rapidjson::kObjectType);
    evaluate.AddMember("name", "evaluate-measure", a);
    evaluate.AddMember("definition",
                       "http://hl7.org/fhir/OperationDefinition/Measure-evaluate-measure", a);
    operations.PushBack(evaluate, a);
    res.AddMember("operation", operations, a);
  }
  res.AddMember(
      "documentation",
      Value(
          isMeasure
              ? "The follow-up Measures in force (mappings/data). $evaluate-measure (GET, or POST "
                "with a Parameters body) takes periodStart and periodEnd (whole days in "
                "Europe/Stockholm) and reportType=summary. For the integration, regional and "
                "followup roles; no _sort."
              : "The summary reports kept, never changed, when each month closed (id "
                "<measure>-<YYYY-MM>, identifier https://brygga.se/fhir/measure-report); also "
                "forwarded to the destination measures.forwardTo names. For the integration, "
                "regional and followup roles; no _sort.",
          a),
      a);
  return res;
}

}  // namespace

std::string buildCapabilityStatement(const RequestLimits& limits) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("resourceType", "CapabilityStatement", a);
  doc.AddMember("status", "active", a);
  doc.AddMember("date", "2026-11-23", a);
  doc.AddMember("publisher", "Brygga", a);
  doc.AddMember("kind", "instance", a);
  Value software(rapidjson::kObjectType);
  software.AddMember("name", "Brygga", a);
  software.AddMember("version", BRYGGA_VERSION, a);
  doc.AddMember("software", software, a);
  Value implementation(rapidjson::kObjectType);
  implementation.AddMember(
      "description",
      "Brygga FHIR gateway for physician participation in municipal home health care", a);
  doc.AddMember("implementation", implementation, a);
  doc.AddMember("fhirVersion", "4.0.1", a);
  Value formats(rapidjson::kArrayType);
  formats.PushBack("application/fhir+json", a);
  formats.PushBack("json", a);
  doc.AddMember("format", formats, a);

  Value rest(rapidjson::kObjectType);
  rest.AddMember("mode", "server", a);
  Value security(rapidjson::kObjectType);
  security.AddMember("cors", false, a);
  std::string securityText =
      "Clients authenticate with a client certificate (mutual TLS) or a bearer token issued to "
      "a configured client. Municipal clients see their own tenant's patients only. Request "
      "bodies are limited to " +
      std::to_string(limits.maxBodyBytes) + " bytes.";
  security.AddMember("description", Value(securityText.c_str(), a), a);
  rest.AddMember("security", security, a);
  rest.AddMember(
      "documentation",
      "Search by GET [type]?... or POST [type]/_search with an application/x-www-form-urlencoded "
      "body (its parameters and the URL's together), paged by _count and _offset; _id on every "
      "type, _summary=count for the total alone and data without the narrative, _elements, _sort "
      "by any of a type's search parameters (each type's documentation lists them; - for "
      "descending, several keys comma-separated in order; strings by their case- and "
      "accent-folded value, dates by their start, a resource without a value last ascending and "
      "first descending), _total (always exact). A Patient or Practitioner name search matches "
      "any part of a HumanName (text, family, given, prefix, suffix). Prefer: "
      "handling=lenient leaves out search parameters a type does not support (and its links do "
      "not repeat them); strict, the default, answers 400 naming the supported ones. History of "
      "an instance or a type pages by _count and _offset and takes _since. Create and update "
      "honour Prefer: return=minimal, return=representation (the default) and "
      "return=OperationOutcome. Delete is versioned (a later read answers 410, history lists it) "
      "and answers 204 whether or not there was something to delete; a Patient is not deleted; "
      "a conditional delete matching several is 412; the flows forward no deletes. A read "
      "honours If-None-Match and If-Modified-Since (304). PATCH takes a JSON Patch "
      "(application/json-patch+json) and writes the patched version like an update. A batch's "
      "entries succeed or fail each "
      "on its own; a "
      "transaction's all or none. Answers are application/fhir+json only: an Accept or _format "
      "asking for anything else is 406.",
      a);

  Value resources(rapidjson::kArrayType);
  std::vector<std::string> types(fhir::supportedResourceTypes().begin(),
                                 fhir::supportedResourceTypes().end());
  types.push_back("Measure");
  types.push_back("MeasureReport");
  std::sort(types.begin(), types.end());
  for (const std::string& type : types) {
    if (type == "Measure" || type == "MeasureReport") {
      resources.PushBack(followUpCapability(type, a), a);
      continue;
    }
    bool readOnly = fhir::isReadOnlyResourceType(type);
    Value res(rapidjson::kObjectType);
    res.AddMember("type", Value(type.c_str(), a), a);
    Value interactions(rapidjson::kArrayType);
    std::vector<const char*> codes = {"read", "search-type"};
    if (!readOnly) {
      codes = {"read",   "vread",       "update",      "patch", "delete", "history-instance",
               "create", "search-type", "history-type"};
    }
    for (const char* code : codes) {
      Value i(rapidjson::kObjectType);
      i.AddMember("code", Value(code, a), a);
      interactions.PushBack(i, a);
    }
    res.AddMember("interaction", interactions, a);
    if (!readOnly) {
      res.AddMember("versioning", "versioned-update", a);
      res.AddMember("readHistory", true, a);
      res.AddMember("updateCreate", true, a);
      res.AddMember("conditionalCreate", true, a);
      res.AddMember("conditionalUpdate", true, a);
      res.AddMember("conditionalRead", "full-support", a);
      res.AddMember("conditionalDelete", "single", a);
    }
    Value params(rapidjson::kArrayType);
    for (const auto& name : search::searchParamsFor(type)) {
      Value p(rapidjson::kObjectType);
      p.AddMember("name", Value(name.c_str(), a), a);
      p.AddMember("type", Value(searchTypeOf(name), a), a);
      params.PushBack(p, a);
    }
    res.AddMember("searchParam", params, a);
    const std::vector<std::string> sortKeys = search::sortKeysFor(type);
    if (!sortKeys.empty()) {
      std::string sorts = "Sorts (_sort) by ";
      for (size_t i = 0; i < sortKeys.size(); ++i) sorts += (i == 0 ? "" : ", ") + sortKeys[i];
      sorts += "; - for descending.";
      res.AddMember("documentation", Value(sorts.c_str(), a), a);
    }
    // _include along the type's Patient references; _revinclude (on Patient) of every type that
    // has them; each also with :iterate.
    Value include(rapidjson::kArrayType);
    for (const auto& name : search::searchParamsFor(type)) {
      if (name == "patient" || name == "subject") {
        include.PushBack(Value((type + ":" + name).c_str(), a), a);
      }
    }
    if (!include.Empty() && type != "AuditEvent") res.AddMember("searchInclude", include, a);
    if (type == "Patient") {
      Value revinclude(rapidjson::kArrayType);
      for (std::string_view other : fhir::supportedResourceTypes()) {
        if (other == "AuditEvent") continue;
        for (const auto& name : search::searchParamsFor(std::string(other))) {
          if (name == "patient" || name == "subject") {
            revinclude.PushBack(Value((std::string(other) + ":" + name).c_str(), a), a);
          }
        }
      }
      res.AddMember("searchRevInclude", revinclude, a);
    }
    if (type == "Subscription") addSubscriptionCapability(res, a);
    const std::vector<std::string> profiles = fhir::knownProfiles(type);
    if (!profiles.empty()) {
      Value supported(rapidjson::kArrayType);
      for (const auto& url : profiles) supported.PushBack(Value(url.c_str(), a), a);
      res.AddMember("supportedProfile", supported, a);
    }
    resources.PushBack(res, a);
  }
  rest.AddMember("resource", resources, a);
  Value system(rapidjson::kArrayType);
  for (const char* code : {"transaction", "batch", "history-system"}) {
    Value i(rapidjson::kObjectType);
    i.AddMember("code", Value(code, a), a);
    system.PushBack(i, a);
  }
  rest.AddMember("interaction", system, a);
  Value restArray(rapidjson::kArrayType);
  restArray.PushBack(rest, a);
  doc.AddMember("rest", restArray, a);
  return fhir::toJson(doc);
}

}  // namespace brygga::api
