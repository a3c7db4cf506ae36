#include "mappings/consultation.h"

#include "gateway/core/civil_time.h"
#include "gateway/fhir/json.h"
#include "gateway/fhir/swedish_identifiers.h"
#include "mappings/outbound.h"

namespace brygga::mappings {

namespace {

using rapidjson::Value;
using Alloc = rapidjson::Document::AllocatorType;

void replace(Value& object, const char* key, Value&& value, Alloc& alloc) {
  object.RemoveMember(key);
  object.AddMember(Value(key, alloc), value, alloc);
}

}  // namespace

bool isNewRequest(const Value& task) {
  const std::string_view status = fhir::stringMember(task, "status");
  return status == "requested" || status == "draft" || status == "ready";
}

void stampOwner(Value& task, Alloc& alloc, const ServicePoint& servicePoint) {
  if (!task.IsObject()) return;
  replace(task, "owner",
          organizationReference(servicePoint.hsaId, servicePoint.organizationName, alloc), alloc);
}

void stampPerformer(Value& serviceRequest, Alloc& alloc, const ServicePoint& servicePoint) {
  if (!serviceRequest.IsObject()) return;
  Value list(rapidjson::kArrayType);
  list.PushBack(organizationReference(servicePoint.hsaId, servicePoint.organizationName, alloc),
                alloc);
  replace(serviceRequest, "performer", std::move(list), alloc);
}

void rejectTask(Value& task, Alloc& alloc, const HoursVerdict& verdict, int64_t nowMs) {
  if (!task.IsObject()) return;
  replace(task, "status", Value("rejected", alloc), alloc);
  Value coding(rapidjson::kObjectType);
  coding.AddMember("system", Value(kTaskRejectionSystem, alloc), alloc);
  coding.AddMember("code", Value(verdict.code().c_str(), alloc), alloc);
  Value codings(rapidjson::kArrayType);
  codings.PushBack(coding, alloc);
  Value reason(rapidjson::kObjectType);
  reason.AddMember("coding", codings, alloc);
  reason.AddMember("text", Value(verdict.text().c_str(), alloc), alloc);
  replace(task, "statusReason", std::move(reason), alloc);
  const std::string now = core::formatInstant(nowMs);
  replace(task, "lastModified", Value(now.c_str(), alloc), alloc);
}

std::string outOfHoursOutcome(const HoursVerdict& verdict, const ServicePoint& servicePoint) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& alloc = doc.GetAllocator();
  doc.AddMember("resourceType", "OperationOutcome", alloc);
  Value coding(rapidjson::kObjectType);
  coding.AddMember("system", Value(kTaskRejectionSystem, alloc), alloc);
  coding.AddMember("code", Value(verdict.code().c_str(), alloc), alloc);
  Value codings(rapidjson::kArrayType);
  codings.PushBack(coding, alloc);
  Value details(rapidjson::kObjectType);
  details.AddMember("coding", codings, alloc);
  details.AddMember("text", Value(verdict.text().c_str(), alloc), alloc);
  const std::string diagnostics =
      "The request was recorded as rejected and not passed on to the home-care physicians (" +
      servicePoint.name + "): " + verdict.text();
  Value issue(rapidjson::kObjectType);
  issue.AddMember("severity", "warning", alloc);
  issue.AddMember("code", "business-rule", alloc);
  issue.AddMember("details", details, alloc);
  issue.AddMember("diagnostics", Value(diagnostics.c_str(), alloc), alloc);
  Value expression(rapidjson::kArrayType);
  expression.PushBack("Task.status", alloc);
  issue.AddMember("expression", expression, alloc);
  Value issues(rapidjson::kArrayType);
  issues.PushBack(issue, alloc);
  doc.AddMember("issue", issues, alloc);
  return fhir::toJson(doc);
}

core::StatusOr<std::string> buildConsultationForward(const std::vector<StoredResource>& resources,
                                                     const FlowContext& context) {
  OutboundBundle bundle;
  // ServiceRequests first: the Tasks refer to them.
  for (const char* type : {"ServiceRequest", "Task"}) {
    for (const auto& r : resources) {
      if (r.type != type) continue;
      BRYGGA_ASSIGN_OR_RETURN(rapidjson::Document parsed, fhir::parseJson(r.json));
      const std::string profile =
          context.mappings != nullptr ? context.mappings->profileFor(r.type, true) : std::string();
      BRYGGA_ASSIGN_OR_RETURN(
          Value * added,
          bundle.add(r.type, r.id, parsed, OutboundBundle::Method::kConditionalUpdate, profile));
      (void)added;
    }
  }
  if (bundle.empty()) return core::unprocessable("a consultation request needs a Task");
  BRYGGA_RETURN_IF_ERROR(bundle.resolveReferences(context.referenced));
  return bundle.json();
}

}  // namespace brygga::mappings
