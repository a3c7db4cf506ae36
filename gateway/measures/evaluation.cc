#include "gateway/measures/evaluation.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string_view>
#include <unordered_set>

#include <rapidjson/document.h>

#include "gateway/fhir/json.h"

namespace brygga::measures {

namespace {

using store::MeasureFact;

enum : unsigned {
  kInitial = 1,
  kDenominator = 2,
  kNumerator = 4,
  kObservation = 8,
};

unsigned bitOf(std::string_view population) {
  if (population == "initial-population") return kInitial;
  if (population == "denominator") return kDenominator;
  if (population == "numerator") return kNumerator;
  if (population == "measure-observation") return kObservation;
  return 0;
}

constexpr std::string_view kUnknown = "unknown";

// One counted thing: a contact, a request, a discharge, or a patient's episode segment.
struct Item {
  std::string_view patient;
  std::string_view servicePoint;  // follow-up code
  std::string_view municipality;
  unsigned populations = 0;
};

bool within(int64_t ms, const Period& p) {
  return ms >= p.fromMs && ms < p.toMs;
}

int64_t stockholmDay(int64_t ms) {
  return core::daysFromCivil(core::toStockholm(ms).date);
}

class Evaluator {
 public:
  Evaluator(const mappings::MeasureDefinition& measure, const FactIndex& facts,
            const Period& period, const mappings::MappingSet& set)
      : measure_(measure), facts_(facts), period_(period) {
    for (const auto& sp : set.routing().servicePoints()) {
      followUp_[sp.hsaId] = sp.followUpCode;
      if (std::find(servicePoints_.begin(), servicePoints_.end(), sp.followUpCode) ==
          servicePoints_.end()) {
        servicePoints_.push_back(sp.followUpCode);
      }
    }
    for (const auto& m : set.routing().municipalities()) municipalities_.push_back(m.tenant);
  }

  Report run() {
    Report report;
    report.measure = measure_.id;
    report.url = measure_.url;
    report.period = period_;
    for (const auto& group : measure_.groups) report.groups.push_back(evaluateGroup(group));
    return report;
  }

 private:
  std::string_view servicePointOf(const MeasureFact* segment) const {
    if (segment == nullptr) return kUnknown;
    auto it = followUp_.find(segment->servicePoint);
    return it == followUp_.end() ? kUnknown : std::string_view(it->second);
  }

  Item itemAt(const MeasureFact& fact, int64_t ms, unsigned populations) const {
    const MeasureFact* segment = facts_.segmentAt(fact.patient, ms);
    return itemOf(fact.patient, segment, populations);
  }

  Item itemOf(std::string_view patient, const MeasureFact* segment, unsigned populations) const {
    Item item;
    item.patient = patient;
    item.servicePoint = servicePointOf(segment);
    item.municipality =
        segment == nullptr || segment->municipality.empty() ? kUnknown : segment->municipality;
    item.populations = populations;
    return item;
  }

  GroupResult evaluateGroup(const mappings::MeasureDefinition::Group& group) {
    std::vector<Item> items;
    bool distinctPatients = false;
    GroupResult result;
    result.code = group.code;
    const std::string& id = measure_.id;
    if (id == "contacts") {
      for (const MeasureFact* c : facts_.contacts) {
        if (c->code == group.code && within(c->startMs, period_)) {
          items.push_back(itemAt(*c, c->startMs, kInitial));
        }
      }
    } else if (id == "enrolled-patients" || id == "short-term-patients") {
      const bool shortTerm = id == "short-term-patients";
      for (const auto& [patient, segments] : facts_.episodesByPatient) {
        for (size_t i = 0; i < segments.size(); ++i) {
          const MeasureFact* s = segments[i];
          if (shortTerm && s->code != "short-term") continue;
          if (group.code == "enrolled") {
            distinctPatients = true;
            const int64_t end = s->endMs == 0 ? std::numeric_limits<int64_t>::max() : s->endMs;
            if (s->startMs < period_.toMs && end > period_.fromMs) {
              items.push_back(itemOf(patient, s, kInitial));
            }
          } else if (within(s->startMs, period_)) {
            // A new enrollment: an episode's first segment (short-term: a stay at a facility
            // that did not follow another segment at a facility of the same episode).
            const bool first = s->seq == 0;
            const bool newStay = shortTerm && !first && i > 0 && segments[i - 1]->id == s->id &&
                                 segments[i - 1]->code != "short-term";
            if (first || newStay) items.push_back(itemOf(patient, s, kInitial));
          }
        }
      }
    } else if (id == "consultation-requests") {
      std::vector<double> minutes;
      for (const MeasureFact* r : facts_.requests) {
        if (!within(r->startMs, period_)) continue;
        bool counted = false;
        if (group.code == "within-hours") counted = r->flag == 0;
        if (group.code == "outside-hours") counted = r->flag != 0;
        if (group.code == "answered") counted = r->code == "answered";
        if (group.code == "declined") counted = r->code == "declined" && r->flag == 0;
        unsigned populations = kInitial;
        if (group.code == "time-to-encounter" && !r->ref.empty()) {
          auto contact = facts_.contactById.find(r->ref);
          if (contact != facts_.contactById.end()) {
            counted = true;
            populations |= kObservation;
            minutes.push_back(static_cast<double>(contact->second->startMs - r->startMs) / 60000.0);
          }
        }
        if (counted) items.push_back(itemAt(*r, r->startMs, populations));
      }
      if (group.code == "time-to-encounter" && !minutes.empty()) {
        std::sort(minutes.begin(), minutes.end());
        const size_t n = minutes.size();
        const double median =
            n % 2 == 1 ? minutes[n / 2] : (minutes[n / 2 - 1] + minutes[n / 2]) / 2.0;
        result.score = std::round(median * 10.0) / 10.0;
        result.scoreUnit = "min";
      }
    } else if (id == "readmission-30d") {
      for (const MeasureFact* a : facts_.admissions) {
        if (a->endMs == 0 || !within(a->endMs - 1, period_) || !inCohort(a->patient)) continue;
        unsigned populations = kInitial | kDenominator;
        const int64_t dischargeDay = stockholmDay(a->endMs - 1);
        auto others = facts_.admissionsByPatient.find(a->patient);
        for (const MeasureFact* b : others->second) {
          if (b == a || b->startMs < a->endMs) continue;
          const int64_t days = stockholmDay(b->startMs) - dischargeDay;
          if (days <= 30) {
            populations |= kNumerator;
            break;
          }
        }
        items.push_back(itemAt(*a, a->endMs - 1, populations));
      }
    }

    for (const std::string& population : group.populations) {
      result.populations.push_back(
          {population, count(items, bitOf(population), distinctPatients, nullptr, {})});
    }
    if (id == "readmission-30d") {
      const int64_t den = result.count("denominator");
      if (den > 0) {
        result.score =
            std::round(static_cast<double>(result.count("numerator")) / den * 10000.0) / 10000.0;
      }
    }
    for (const std::string& stratifier : group.stratifiers) {
      const bool bySp = stratifier == "service-point";
      std::vector<std::string_view> values(bySp ? servicePoints_.begin() : municipalities_.begin(),
                                           bySp ? servicePoints_.end() : municipalities_.end());
      for (const Item& item : items) {
        const std::string_view v = bySp ? item.servicePoint : item.municipality;
        if (std::find(values.begin(), values.end(), v) == values.end()) values.push_back(v);
      }
      StratifierResult sr;
      sr.code = stratifier;
      for (std::string_view value : values) {
        Stratum stratum;
        stratum.value = std::string(value);
        for (const std::string& population : group.populations) {
          stratum.populations.push_back(
              {population, count(items, bitOf(population), distinctPatients, &bySp, value)});
        }
        sr.strata.push_back(std::move(stratum));
      }
      result.stratifiers.push_back(std::move(sr));
    }
    return result;
  }

  // Items (or distinct patients) in `population`, of one stratum when `bySp` is set.
  static int64_t count(const std::vector<Item>& items, unsigned population, bool distinct,
                       const bool* bySp, std::string_view value) {
    int64_t n = 0;
    std::unordered_set<std::string_view> patients;
    for (const Item& item : items) {
      if ((item.populations & population) == 0) continue;
      if (bySp != nullptr && (*bySp ? item.servicePoint : item.municipality) != value) continue;
      if (distinct) {
        patients.insert(item.patient);
      } else {
        ++n;
      }
    }
    return distinct ? static_cast<int64_t>(patients.size()) : n;
  }

  bool inCohort(const std::string& patient) {
    auto cached = cohort_.find(patient);
    if (cached != cohort_.end()) return cached->second;
    bool in = false;
    auto it = facts_.diagnosesByPatient.find(patient);
    if (it != facts_.diagnosesByPatient.end()) {
      for (const std::string& coded : it->second) {
        const size_t bar = coded.find('|');
        if (bar != std::string::npos &&
            measure_.inCohort(std::string_view(coded).substr(0, bar),
                              std::string_view(coded).substr(bar + 1))) {
          in = true;
          break;
        }
      }
    }
    cohort_[patient] = in;
    return in;
  }

  const mappings::MeasureDefinition& measure_;
  const FactIndex& facts_;
  const Period& period_;
  std::unordered_map<std::string, std::string> followUp_;  // service point HSA-id -> code
  std::vector<std::string> servicePoints_;
  std::vector<std::string> municipalities_;
  std::unordered_map<std::string, bool> cohort_;
};

rapidjson::Value codeable(const char* system, std::string_view code,
                          rapidjson::Document::AllocatorType& a) {
  rapidjson::Value coding(rapidjson::kObjectType);
  coding.AddMember("system", rapidjson::Value(system, a), a);
  coding.AddMember(
      "code", rapidjson::Value(code.data(), static_cast<rapidjson::SizeType>(code.size()), a), a);
  rapidjson::Value codings(rapidjson::kArrayType);
  codings.PushBack(coding, a);
  rapidjson::Value conceptValue(rapidjson::kObjectType);
  conceptValue.AddMember("coding", codings, a);
  return conceptValue;
}

rapidjson::Value populationsJson(const std::vector<std::pair<std::string, int64_t>>& populations,
                                 rapidjson::Document::AllocatorType& a) {
  rapidjson::Value list(rapidjson::kArrayType);
  for (const auto& [code, n] : populations) {
    rapidjson::Value p(rapidjson::kObjectType);
    p.AddMember("code", codeable(mappings::kMeasurePopulationSystem, code, a), a);
    p.AddMember("count", rapidjson::Value(static_cast<int>(n)), a);
    list.PushBack(p, a);
  }
  return list;
}

}  // namespace

core::StatusOr<Period> makePeriod(std::string_view start, std::string_view end) {
  auto s = core::parseIsoDate(start);
  if (!s.isOk()) return core::invalidArgument("periodStart must be a date YYYY-MM-DD");
  auto e = core::parseIsoDate(end);
  if (!e.isOk()) return core::invalidArgument("periodEnd must be a date YYYY-MM-DD");
  if (*e < *s) return core::invalidArgument("periodEnd is before periodStart");
  Period p;
  p.start = *s;
  p.end = *e;
  p.fromMs = core::fromStockholm(p.start, 0);
  p.toMs = core::fromStockholm(core::addDays(p.end, 1), 0);
  return p;
}

Period monthPeriod(int year, int month) {
  Period p;
  p.start = core::CivilDate{year, month, 1};
  p.end = core::CivilDate{year, month, core::daysInMonth(year, month)};
  p.fromMs = core::fromStockholm(p.start, 0);
  p.toMs = core::fromStockholm(core::addDays(p.end, 1), 0);
  return p;
}

FactIndex::FactIndex(std::vector<MeasureFact> all) : facts_(std::move(all)) {
  for (const MeasureFact& f : facts_) {
    if (f.kind == "contact") {
      contacts.push_back(&f);
    } else if (f.kind == "request") {
      requests.push_back(&f);
    } else if (f.kind == "admission") {
      admissions.push_back(&f);
      admissionsByPatient[f.patient].push_back(&f);
    } else if (f.kind == "episode") {
      episodes.push_back(&f);
      episodesByPatient[f.patient].push_back(&f);
    } else if (f.kind == "diagnosis") {
      diagnosesByPatient[f.patient].push_back(f.code);
    }
  }
  // Only the encounters a request names are looked up by id.
  std::unordered_set<std::string_view> named;
  for (const MeasureFact* r : requests) {
    if (!r->ref.empty()) named.insert(r->ref);
  }
  if (!named.empty()) {
    for (const MeasureFact* c : contacts) {
      if (named.count(c->id)) contactById[c->id] = c;
    }
  }
  const auto byStart = [](const MeasureFact* a, const MeasureFact* b) {
    return a->startMs != b->startMs ? a->startMs < b->startMs
                                    : (a->id != b->id ? a->id < b->id : a->seq < b->seq);
  };
  for (auto& [_, list] : episodesByPatient) std::sort(list.begin(), list.end(), byStart);
  for (auto& [_, list] : admissionsByPatient) std::sort(list.begin(), list.end(), byStart);
}

const MeasureFact* FactIndex::segmentAt(const std::string& patient, int64_t ms) const {
  auto it = episodesByPatient.find(patient);
  if (it == episodesByPatient.end() || it->second.empty()) return nullptr;
  const MeasureFact* before = nullptr;
  for (const MeasureFact* s : it->second) {
    if (s->startMs > ms) break;
    before = s;
    if (s->endMs == 0 || ms < s->endMs) return s;
  }
  return before != nullptr ? before : it->second.front();
}

int64_t GroupResult::count(std::string_view population) const {
  for (const auto& [name, n] : populations) {
    if (name == population) return n;
  }
  return 0;
}

const GroupResult* Report::group(std::string_view groupCode) const {
  for (const auto& g : groups) {
    if (g.code == groupCode) return &g;
  }
  return nullptr;
}

Report evaluate(const mappings::MeasureDefinition& measure, const FactIndex& facts,
                const Period& period, const mappings::MappingSet& set) {
  return Evaluator(measure, facts, period, set).run();
}

std::string toMeasureReport(const Report& report, int64_t nowMs) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  const auto str = [&](std::string_view s) {
    return rapidjson::Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
  };
  doc.AddMember("resourceType", "MeasureReport", a);
  doc.AddMember("status", "complete", a);
  doc.AddMember("type", "summary", a);
  doc.AddMember("measure", str(report.url), a);
  doc.AddMember("date", str(core::formatInstant(nowMs)), a);
  rapidjson::Value period(rapidjson::kObjectType);
  period.AddMember("start", str(report.period.start.iso()), a);
  period.AddMember("end", str(report.period.end.iso()), a);
  doc.AddMember("period", period, a);
  rapidjson::Value groups(rapidjson::kArrayType);
  for (const GroupResult& g : report.groups) {
    rapidjson::Value group(rapidjson::kObjectType);
    group.AddMember("code", codeable(mappings::kMeasureGroupSystem, g.code, a), a);
    group.AddMember("population", populationsJson(g.populations, a), a);
    if (g.score) {
      rapidjson::Value score(rapidjson::kObjectType);
      score.AddMember("value", rapidjson::Value(*g.score), a);
      if (!g.scoreUnit.empty()) {
        score.AddMember("unit", str(g.scoreUnit), a);
        score.AddMember("system", "http://unitsofmeasure.org", a);
        score.AddMember("code", str(g.scoreUnit), a);
      }
      group.AddMember("measureScore", score, a);
    }
    if (!g.stratifiers.empty()) {
      rapidjson::Value stratifiers(rapidjson::kArrayType);
      for (const StratifierResult& s : g.stratifiers) {
        rapidjson::Value stratifier(rapidjson::kObjectType);
        rapidjson::Value codes(rapidjson::kArrayType);
        codes.PushBack(codeable(mappings::kMeasureStratifierSystem, s.code, a), a);
        stratifier.AddMember("code", codes, a);
        rapidjson::Value strata(rapidjson::kArrayType);
        for (const Stratum& st : s.strata) {
          rapidjson::Value stratum(rapidjson::kObjectType);
          rapidjson::Value value(rapidjson::kObjectType);
          value.AddMember("text", str(st.value), a);
          stratum.AddMember("value", value, a);
          stratum.AddMember("population", populationsJson(st.populations, a), a);
          strata.PushBack(stratum, a);
        }
        stratifier.AddMember("stratum", strata, a);
        stratifiers.PushBack(stratifier, a);
      }
      group.AddMember("stratifier", stratifiers, a);
    }
    groups.PushBack(group, a);
  }
  doc.AddMember("group", groups, a);
  return fhir::toJson(doc);
}

}  // namespace brygga::measures
