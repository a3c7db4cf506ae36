#include "mappings/healthcare_service.h"

#include <rapidjson/document.h>

#include "gateway/core/civil_time.h"
#include "gateway/core/text.h"
#include "gateway/fhir/json.h"
#include "gateway/fhir/swedish_identifiers.h"
#include "mappings/data_reader.h"

namespace brygga::mappings {

namespace {

using rapidjson::Value;

const char* const kFhirDays[] = {"", "mon", "tue", "wed", "thu", "fri", "sat", "sun"};

std::string windowText(const TimeWindow& w) {
  std::string days;
  for (int d : w.days) {
    if (!days.empty()) days += ", ";
    days += d == kHolidayDay ? "holidays" : kFhirDays[d];
  }
  return days + " " + formatClock(w.fromMinute) + "-" + formatClock(w.toMinute);
}

}  // namespace

std::string healthcareServiceId(const ServicePoint& servicePoint) {
  return "service-point-" + core::lowerAscii(servicePoint.code);
}

std::vector<StoredResource> buildHealthcareServices(const MappingSet& mappings, int64_t nowMs) {
  std::vector<StoredResource> out;
  const RoutingTable& routing = mappings.routing();
  const ServiceHours& hours = mappings.hours();
  const core::CivilDate today = core::toStockholm(nowMs).date;
  for (const auto& sp : routing.servicePoints()) {
    rapidjson::Document doc(rapidjson::kObjectType);
    auto& a = doc.GetAllocator();
    const std::string id = healthcareServiceId(sp);
    doc.AddMember("resourceType", "HealthcareService", a);
    doc.AddMember("id", Value(id.c_str(), a), a);
    setProfile(doc, a, mappings.profileFor("HealthcareService", false));
    Value ids(rapidjson::kArrayType);
    Value hsa(rapidjson::kObjectType);
    hsa.AddMember("system", Value(fhir::kHsaOrganizationSystem.data(), a), a);
    hsa.AddMember("value", Value(sp.hsaId.c_str(), a), a);
    ids.PushBack(hsa, a);
    doc.AddMember("identifier", ids, a);
    doc.AddMember("active", true, a);
    Value clinicId(rapidjson::kObjectType);
    clinicId.AddMember("system", Value(fhir::kHsaOrganizationSystem.data(), a), a);
    clinicId.AddMember("value", Value(routing.clinicHsaId().c_str(), a), a);
    Value providedBy(rapidjson::kObjectType);
    providedBy.AddMember("type", "Organization", a);
    providedBy.AddMember("identifier", clinicId, a);
    providedBy.AddMember("display", Value(routing.clinicName().c_str(), a), a);
    doc.AddMember("providedBy", providedBy, a);
    doc.AddMember("name", Value(sp.organizationName.c_str(), a), a);

    std::string facilities;
    for (const auto& f : routing.facilities()) {
      if (f.servicePoint != sp.code) continue;
      if (!facilities.empty()) facilities += ", ";
      facilities += f.name;
    }
    const std::string comment =
        "Physician participation in municipal home health care, service point " + sp.name +
        (facilities.empty() ? std::string() : ". Short-term care facilities: " + facilities) + ".";
    doc.AddMember("comment", Value(comment.c_str(), a), a);

    const OpeningRules& rules = hours.rules(sp.code);
    Value available(rapidjson::kObjectType);
    Value days(rapidjson::kArrayType);
    for (int d : rules.days) days.PushBack(Value(kFhirDays[d], a), a);
    available.AddMember("daysOfWeek", days, a);
    available.AddMember("availableStartTime",
                        Value((formatClock(rules.openMinute) + ":00").c_str(), a), a);
    const std::string end =
        rules.closeMinute >= 24 * 60 ? "23:59:59" : formatClock(rules.closeMinute) + ":00";
    available.AddMember("availableEndTime", Value(end.c_str(), a), a);
    Value availableTimes(rapidjson::kArrayType);
    availableTimes.PushBack(available, a);
    doc.AddMember("availableTime", availableTimes, a);

    Value notAvailable(rapidjson::kArrayType);
    for (const auto& day :
         hours.closedDays(today, mappings.settings().publishClosedDays, sp.code)) {
      Value during(rapidjson::kObjectType);
      during.AddMember(
          "start", Value(core::formatStockholm(core::fromStockholm(day.date, 0)).c_str(), a), a);
      during.AddMember(
          "end",
          Value(core::formatStockholm(core::fromStockholm(core::addDays(day.date, 1), 0)).c_str(),
                a),
          a);
      Value item(rapidjson::kObjectType);
      item.AddMember("description", Value(day.reason.c_str(), a), a);
      item.AddMember("during", during, a);
      notAvailable.PushBack(item, a);
    }
    if (!notAvailable.Empty()) doc.AddMember("notAvailable", notAvailable, a);

    std::string exceptions =
        "Closed on Swedish public holidays (and Midsummer Eve, Christmas Eve, "
        "New Year's Eve). Outside service hours turn to " +
        hours.onCall().name;
    if (!hours.onCall().contact.empty()) exceptions += " (" + hours.onCall().contact + ")";
    std::string windows;
    for (const auto& w : hours.onCall().hours) {
      if (!windows.empty()) windows += "; ";
      windows += windowText(w);
    }
    if (!windows.empty()) exceptions += ": " + windows;
    exceptions += ".";
    doc.AddMember("availabilityExceptions", Value(exceptions.c_str(), a), a);
    out.push_back({"HealthcareService", id, fhir::toJson(doc)});
  }
  return out;
}

}  // namespace brygga::mappings
