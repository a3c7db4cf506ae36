#include "gateway/measures/measure_facts.h"

#include <algorithm>
#include <optional>

#include "gateway/core/civil_time.h"
#include "gateway/fhir/json.h"
#include "mappings/outbound.h"
#include "mappings/residence.h"
#include "mappings/visit.h"

namespace brygga::measures {

namespace {

using rapidjson::Value;
using store::MeasureFact;

constexpr const char* kActCode = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
constexpr const char* kHomeVisitSnomed = "439708006";

// A FHIR date is the whole Stockholm day; a dateTime or instant the moment it names. `endOfDay`:
// a date stands for the end of that day (the next day's 00:00), as a period's end does.
std::optional<int64_t> instantOf(std::string_view text, bool endOfDay) {
  if (text.size() == 10) {
    auto date = core::parseIsoDate(text);
    if (!date.isOk()) return std::nullopt;
    return core::fromStockholm(endOfDay ? core::addDays(*date, 1) : *date, 0);
  }
  auto ms = core::parseFhirDateTime(text);
  if (!ms.isOk()) return std::nullopt;
  return *ms;
}

std::optional<int64_t> periodMember(const Value& resource, const char* which, bool endOfDay) {
  const Value* period = fhir::member(resource, "period");
  if (period == nullptr || !period->IsObject()) return std::nullopt;
  return instantOf(fhir::stringMember(*period, which), endOfDay);
}

template <typename F>
void forEachCoding(const Value* conceptValue, F&& f) {
  if (conceptValue == nullptr || !conceptValue->IsObject()) return;
  const Value* codings = fhir::member(*conceptValue, "coding");
  if (codings == nullptr || !codings->IsArray()) return;
  for (const auto& c : codings->GetArray()) {
    if (c.IsObject()) f(fhir::stringMember(c, "system"), fhir::stringMember(c, "code"));
  }
}

template <typename F>
void forEachConcept(const Value& resource, const char* key, F&& f) {
  const Value* list = fhir::member(resource, key);
  if (list == nullptr) return;
  if (list->IsObject()) {
    forEachCoding(list, f);
  } else if (list->IsArray()) {
    for (const auto& conceptValue : list->GetArray()) forEachCoding(&conceptValue, f);
  }
}

MeasureFact base(const FactInput& in, const char* kind, int seq) {
  MeasureFact f;
  f.type = in.type;
  f.id = in.id;
  f.seq = seq;
  f.kind = kind;
  f.patient = in.patient;
  return f;
}

std::vector<MeasureFact> encounterFacts(const FactInput& in) {
  const Value& r = *in.resource;
  const std::string_view status = fhir::stringMember(r, "status");
  if (status == "entered-in-error" || status == "cancelled" || status == "planned") return {};
  std::vector<MeasureFact> out;
  if (mappings::isInpatient(r)) {
    MeasureFact a = base(in, "admission", 0);
    a.startMs = periodMember(r, "start", false).value_or(in.nowMs);
    a.endMs = periodMember(r, "end", true).value_or(0);
    out.push_back(std::move(a));
    forEachConcept(r, "reasonCode", [&](std::string_view system, std::string_view code) {
      MeasureFact d = base(in, "diagnosis", static_cast<int>(out.size()));
      d.startMs = out.front().startMs;
      d.code = std::string(system) + "|" + std::string(code);
      out.push_back(std::move(d));
    });
    return out;
  }
  const Value* cls = fhir::member(r, "class");
  if (cls == nullptr || !cls->IsObject() || fhir::stringMember(*cls, "system") != kActCode) {
    return {};
  }
  const std::string_view code = fhir::stringMember(*cls, "code");
  std::string kind;
  if (code == "HH") {
    kind = "home-visit";
  } else if (code == "VR") {
    kind = "consultation";
  } else if (code == "AMB") {
    kind = "consultation";
    forEachConcept(r, "type", [&](std::string_view, std::string_view c) {
      if (c == kHomeVisitSnomed) kind = "home-visit";
    });
  } else {
    return {};
  }
  MeasureFact c = base(in, "contact", 0);
  c.code = kind;
  c.startMs = periodMember(r, "start", false).value_or(in.nowMs);
  out.push_back(std::move(c));
  return out;
}

std::vector<MeasureFact> episodeFacts(const FactInput& in) {
  const Value& r = *in.resource;
  const std::string_view status = fhir::stringMember(r, "status");
  if (status != "active" && status != "finished" && status != "onhold") return {};
  const int64_t start = periodMember(r, "start", false).value_or(in.nowMs);
  int64_t end = periodMember(r, "end", true).value_or(0);
  if (end == 0 && status == "finished") end = std::max(in.nowMs, start);
  const std::string servicePoint = mappings::stampedServicePoint(r).value_or("");
  const std::string code = in.shortTermResidence ? "short-term" : "home";

  struct Segment {
    int64_t start;
    std::string servicePoint;
    std::string code;
  };
  std::vector<Segment> segments;
  for (const MeasureFact& p : in.previous) {
    if (p.kind == "episode") segments.push_back({p.startMs, p.servicePoint, p.code});
  }
  if (segments.empty() || segments.back().servicePoint != servicePoint ||
      segments.back().code != code) {
    // A change of service point or residence takes effect when it is written.
    segments.push_back({segments.empty() ? start : in.nowMs, servicePoint, code});
  }
  segments.front().start = start;
  std::vector<Segment> kept;
  for (auto& s : segments) {
    if (!kept.empty()) {
      s.start = std::max(s.start, start);
      if (s.start <= kept.back().start) {
        kept.back() = s;  // a later segment from the same moment replaces the one before
        kept.back().start = std::max(kept.back().start, start);
        continue;
      }
      if (end != 0 && s.start >= end) continue;
    }
    kept.push_back(s);
  }
  std::vector<MeasureFact> out;
  for (size_t i = 0; i < kept.size(); ++i) {
    MeasureFact f = base(in, "episode", static_cast<int>(i));
    f.startMs = kept[i].start;
    f.endMs = i + 1 < kept.size() ? kept[i + 1].start : end;
    f.servicePoint = kept[i].servicePoint;
    f.municipality = in.tenant;
    f.code = kept[i].code;
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<MeasureFact> taskFacts(const FactInput& in) {
  const Value& r = *in.resource;
  const std::string_view status = fhir::stringMember(r, "status");
  if (status == "entered-in-error" || status == "draft") return {};
  MeasureFact f = base(in, "request", 0);
  // Received when Brygga first stored it; that is also when it judged the service hours.
  f.startMs = in.nowMs;
  for (const MeasureFact& p : in.previous) {
    if (p.kind != "request") continue;
    f.startMs = p.startMs;
    f.flag = p.flag;
  }
  forEachCoding(fhir::member(r, "statusReason"), [&](std::string_view system, std::string_view) {
    if (system == mappings::kTaskRejectionSystem) f.flag = 1;
  });
  if (status == "accepted" || status == "in-progress" || status == "completed" ||
      status == "on-hold") {
    f.code = "answered";
  } else if (status == "rejected" || status == "cancelled" || status == "failed") {
    f.code = "declined";
  } else {
    f.code = "open";
  }
  if (const Value* outputs = fhir::member(r, "output"); outputs != nullptr && outputs->IsArray()) {
    for (const auto& o : outputs->GetArray()) {
      const Value* ref = o.IsObject() ? fhir::member(o, "valueReference") : nullptr;
      if (ref == nullptr || !ref->IsObject()) continue;
      const std::string_view text = fhir::stringMember(*ref, "reference");
      if (text.rfind("Encounter/", 0) == 0) {
        f.ref = std::string(text.substr(10));
        break;
      }
    }
  }
  return {f};
}

std::vector<MeasureFact> conditionFacts(const FactInput& in) {
  const Value& r = *in.resource;
  bool excluded = false;
  forEachCoding(fhir::member(r, "verificationStatus"), [&](std::string_view, std::string_view c) {
    if (c == "entered-in-error" || c == "refuted") excluded = true;
  });
  if (excluded) return {};
  int64_t at = in.nowMs;
  for (const char* key : {"onsetDateTime", "recordedDate"}) {
    if (auto ms = instantOf(fhir::stringMember(r, key), false)) {
      at = *ms;
      break;
    }
  }
  std::vector<MeasureFact> out;
  forEachCoding(fhir::member(r, "code"), [&](std::string_view system, std::string_view code) {
    MeasureFact d = base(in, "diagnosis", static_cast<int>(out.size()));
    d.startMs = at;
    d.code = std::string(system) + "|" + std::string(code);
    out.push_back(std::move(d));
  });
  return out;
}

}  // namespace

bool hasFacts(const std::string& type) {
  return type == "Encounter" || type == "EpisodeOfCare" || type == "Task" || type == "Condition";
}

std::vector<MeasureFact> factsOf(const FactInput& in) {
  if (in.resource == nullptr || !in.resource->IsObject() || in.patient.empty()) return {};
  if (in.type == "Encounter") return encounterFacts(in);
  if (in.type == "EpisodeOfCare") return episodeFacts(in);
  if (in.type == "Task") return taskFacts(in);
  if (in.type == "Condition") return conditionFacts(in);
  return {};
}

}  // namespace brygga::measures
