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

// One counted thing: a contact, a request, a discharge, or a patient's episode segment.
struct Item {
  int32_t patient = 0;
  int32_t servicePoint = -1;  // into the service-point strata; -1 unknown
  int32_t municipality = -1;  // into names_; -1 unknown
  unsigned populations = 0;
};

bool within(int64_t ms, const Period& p) {
  return ms >= p.fromMs && ms < p.toMs;
}

int64_t stockholmDay(int64_t ms) {
  return core::daysFromCivil(core::toStockholm(ms).date);
}

}  // namespace

class Evaluator {
 public:
  Evaluator(const mappings::MeasureDefinition& measure, const FactIndex& facts,
            const Period& period, const mappings::MappingSet& set)
      : measure_(measure), facts_(facts), period_(period) {
    for (const auto& sp : set.routing().servicePoints()) {
      if (std::find(servicePoints_.begin(), servicePoints_.end(), sp.followUpCode) ==
          servicePoints_.end()) {
        servicePoints_.push_back(sp.followUpCode);
      }
    }
    // Each interned name that is a service point's HSA-id: its stratum.
    spOfName_.assign(facts.names_.size(), -1);
    for (size_t i = 0; i < facts.names_.size(); ++i) {
      const mappings::ServicePoint* sp = set.routing().servicePointByHsaId(facts.names_[i]);
      if (sp == nullptr) continue;
      spOfName_[i] = static_cast<int32_t>(
          std::find(servicePoints_.begin(), servicePoints_.end(), sp->followUpCode) -
          servicePoints_.begin());
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
  using Segment = FactIndex::Segment;

  Item itemAt(int32_t patient, int64_t ms, unsigned populations) const {
    return itemOf(patient, facts_.segmentAt(patient, ms), populations);
  }

  Item itemOf(int32_t patient, const Segment* segment, unsigned populations) const {
    Item item;
    item.patient = patient;
    item.populations = populations;
    if (segment != nullptr) {
      item.servicePoint = spOfName_[static_cast<size_t>(segment->servicePoint)];
      item.municipality = segment->municipality;
    }
    return item;
  }

  GroupResult evaluateGroup(const mappings::MeasureDefinition::Group& group) {
    std::vector<Item> items;
    bool distinctPatients = false;
    GroupResult result;
    result.code = group.code;
    const std::string& id = measure_.id;
    if (id == "contacts") {
      const bool home = group.code == "home-visit";
      for (const auto& c : facts_.contacts_) {
        if (c.homeVisit == home && within(c.start, period_)) {
          items.push_back(itemAt(c.patient, c.start, kInitial));
        }
      }
    } else if (id == "enrolled-patients" || id == "short-term-patients") {
      const bool shortTerm = id == "short-term-patients";
      const bool enrolled = group.code == "enrolled";
      distinctPatients = enrolled;
      for (size_t patient = 0; patient < facts_.segments_.size(); ++patient) {
        const auto& segments = facts_.segments_[patient];
        for (size_t i = 0; i < segments.size(); ++i) {
          const Segment& s = segments[i];
          if (shortTerm && !s.shortTerm) continue;
          if (enrolled) {
            const int64_t end = s.end == 0 ? std::numeric_limits<int64_t>::max() : s.end;
            if (s.start < period_.toMs && end > period_.fromMs) {
              items.push_back(itemOf(static_cast<int32_t>(patient), &s, kInitial));
            }
          } else if (within(s.start, period_)) {
            // A new enrollment: an episode's first segment (short-term: also a move to a facility
            // from ordinary housing within the episode).
            const bool newStay = shortTerm && s.seq > 0 && i > 0 &&
                                 segments[i - 1].episode == s.episode && !segments[i - 1].shortTerm;
            if (s.seq == 0 || newStay) {
              items.push_back(itemOf(static_cast<int32_t>(patient), &s, kInitial));
            }
          }
        }
      }
    } else if (id == "consultation-requests") {
      std::vector<double> minutes;
      for (const auto& r : facts_.requests_) {
        if (!within(r.start, period_)) continue;
        bool counted = false;
        unsigned populations = kInitial;
        if (group.code == "within-hours") counted = !r.outside;
        if (group.code == "outside-hours") counted = r.outside;
        if (group.code == "answered") counted = r.outcome == 'a';
        if (group.code == "declined") counted = r.outcome == 'd' && !r.outside;
        if (group.code == "time-to-encounter" && r.encounterStart >= 0) {
          counted = true;
          populations |= kObservation;
          minutes.push_back(static_cast<double>(r.encounterStart - r.start) / 60000.0);
        }
        if (counted) items.push_back(itemAt(r.patient, r.start, populations));
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
      for (size_t patient = 0; patient < facts_.admissions_.size(); ++patient) {
        const auto& admissions = facts_.admissions_[patient];
        if (admissions.empty() || !inCohort(patient)) continue;
        for (const auto& a : admissions) {
          if (a.end == 0 || !within(a.end - 1, period_)) continue;
          unsigned populations = kInitial | kDenominator;
          const int64_t dischargeDay = stockholmDay(a.end - 1);
          for (const auto& b : admissions) {
            if (b.id == a.id || b.start < a.end) continue;
            if (stockholmDay(b.start) - dischargeDay <= 30) {
              populations |= kNumerator;
              break;
            }
          }
          items.push_back(itemAt(static_cast<int32_t>(patient), a.end - 1, populations));
        }
      }
    }

    for (const std::string& population : group.populations) {
      result.populations.push_back(
          {population, countAll(items, bitOf(population), distinctPatients)});
    }
    if (id == "readmission-30d") {
      const int64_t den = result.count("denominator");
      if (den > 0) {
        result.score = std::round(static_cast<double>(result.count("numerator")) /
                                  static_cast<double>(den) * 10000.0) /
                       10000.0;
      }
    }
    for (const std::string& stratifier : group.stratifiers) {
      result.stratifiers.push_back(stratify(stratifier, group, items, distinctPatients));
    }
    return result;
  }

  static int64_t countAll(const std::vector<Item>& items, unsigned population, bool distinct) {
    if (!distinct) {
      return std::count_if(items.begin(), items.end(),
                           [&](const Item& i) { return (i.populations & population) != 0; });
    }
    std::unordered_set<int32_t> patients;
    for (const Item& i : items) {
      if ((i.populations & population) != 0) patients.insert(i.patient);
    }
    return static_cast<int64_t>(patients.size());
  }

  StratifierResult stratify(const std::string& stratifier,
                            const mappings::MeasureDefinition::Group& group,
                            const std::vector<Item>& items, bool distinct) const {
    const bool bySp = stratifier == "service-point";
    // The strata: every service point (or municipality), then any other value met.
    std::vector<std::string> values(bySp ? servicePoints_ : municipalities_);
    const auto valueOf = [&](const Item& item) -> size_t {
      std::string_view v;
      if (bySp) {
        v = item.servicePoint < 0
                ? std::string_view("unknown")
                : std::string_view(servicePoints_[static_cast<size_t>(item.servicePoint)]);
      } else {
        v = item.municipality < 0
                ? std::string_view("unknown")
                : std::string_view(facts_.names_[static_cast<size_t>(item.municipality)]);
      }
      return static_cast<size_t>(std::find(values.begin(), values.end(), v) - values.begin());
    };
    std::vector<std::vector<int64_t>> counts;  // [value][population]
    const size_t pops = group.populations.size();
    std::vector<unsigned> bits;
    for (const auto& p : group.populations) bits.push_back(bitOf(p));
    std::unordered_set<int64_t> distinctSeen;
    counts.assign(values.size(), std::vector<int64_t>(pops, 0));
    for (const Item& item : items) {
      size_t v = valueOf(item);
      if (v == values.size()) {
        values.push_back(bySp ? "unknown"
                              : (item.municipality < 0
                                     ? "unknown"
                                     : facts_.names_[static_cast<size_t>(item.municipality)]));
        counts.push_back(std::vector<int64_t>(pops, 0));
      }
      for (size_t p = 0; p < pops; ++p) {
        if ((item.populations & bits[p]) == 0) continue;
        if (distinct) {
          const int64_t key = (static_cast<int64_t>(v * 8 + p) << 32) | item.patient;
          if (!distinctSeen.insert(key).second) continue;
        }
        ++counts[v][p];
      }
    }
    StratifierResult sr;
    sr.code = stratifier;
    for (size_t v = 0; v < values.size(); ++v) {
      Stratum stratum;
      stratum.value = values[v];
      for (size_t p = 0; p < pops; ++p) {
        stratum.populations.push_back({group.populations[p], counts[v][p]});
      }
      sr.strata.push_back(std::move(stratum));
    }
    return sr;
  }

  bool inCohort(size_t patient) {
    for (int32_t code : facts_.diagnoses_[patient]) {
      auto cached = cohortCode_.find(code);
      bool in;
      if (cached != cohortCode_.end()) {
        in = cached->second;
      } else {
        const std::string& coded = facts_.names_[static_cast<size_t>(code)];
        const size_t bar = coded.find('|');
        in = bar != std::string::npos && measure_.inCohort(std::string_view(coded).substr(0, bar),
                                                           std::string_view(coded).substr(bar + 1));
        cohortCode_[code] = in;
      }
      if (in) return true;
    }
    return false;
  }

  const mappings::MeasureDefinition& measure_;
  const FactIndex& facts_;
  const Period& period_;
  std::vector<std::string> servicePoints_;  // follow-up codes, the strata's order
  std::vector<int32_t> spOfName_;           // names_ index -> servicePoints_ index, or -1
  std::vector<std::string> municipalities_;
  std::unordered_map<int32_t, bool> cohortCode_;
};

namespace {

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

int32_t FactIndex::intern(std::unordered_map<std::string, int32_t>& ids,
                          std::vector<std::string>& names, const std::string& text) {
  auto it = ids.find(text);
  if (it != ids.end()) return it->second;
  const auto id = static_cast<int32_t>(names.size());
  ids.emplace(text, id);
  names.push_back(text);
  return id;
}

int32_t FactIndex::patientOf(const std::string& id) {
  const int32_t p = intern(patientIds_, patients_, id);
  if (static_cast<size_t>(p) >= segments_.size()) {
    segments_.resize(patients_.size());
    admissions_.resize(patients_.size());
    diagnoses_.resize(patients_.size());
  }
  return p;
}

void FactIndex::add(const MeasureFact& f) {
  if (f.kind == "contact") {
    const int32_t patient = patientOf(f.patient);
    contacts_.push_back({patient, f.code == "home-visit", f.startMs});
    if (!requestsByRef_.empty()) {
      auto named = requestsByRef_.find(f.id);
      if (named != requestsByRef_.end()) {
        for (size_t r : named->second) requests_[r].encounterStart = f.startMs;
      }
    }
  } else if (f.kind == "request") {
    Request r;
    r.patient = patientOf(f.patient);
    r.start = f.startMs;
    r.outcome = f.code == "answered" ? 'a' : (f.code == "declined" ? 'd' : 'o');
    r.outside = f.flag != 0;
    if (!f.ref.empty()) requestsByRef_[f.ref].push_back(requests_.size());
    requests_.push_back(std::move(r));
  } else if (f.kind == "admission") {
    admissions_[static_cast<size_t>(patientOf(f.patient))].push_back(
        {f.startMs, f.endMs, admissionCount_++});
  } else if (f.kind == "episode") {
    Segment s;
    s.episode = intern(episodeIds_, episodes_, f.type + "/" + f.id);
    s.seq = f.seq;
    s.start = f.startMs;
    s.end = f.endMs;
    s.servicePoint = intern(nameIds_, names_, f.servicePoint);
    s.municipality = intern(nameIds_, names_, f.municipality);
    s.shortTerm = f.code == "short-term";
    segments_[static_cast<size_t>(patientOf(f.patient))].push_back(s);
  } else if (f.kind == "diagnosis") {
    const int32_t code = intern(nameIds_, names_, f.code);
    diagnoses_[static_cast<size_t>(patientOf(f.patient))].push_back(code);
  }
}

void FactIndex::finish() {
  for (auto& list : segments_) {
    std::sort(list.begin(), list.end(), [](const Segment& a, const Segment& b) {
      return a.start != b.start ? a.start < b.start
                                : (a.episode != b.episode ? a.episode < b.episode : a.seq < b.seq);
    });
  }
  for (auto& list : admissions_) {
    std::sort(list.begin(), list.end(),
              [](const Admission& a, const Admission& b) { return a.start < b.start; });
  }
  requestsByRef_.clear();
}

core::StatusOr<FactIndex> FactIndex::load(store::MeasureFactStore& store) {
  FactIndex index;
  // The Tasks first (a range of the key), so that a contact is linked to the requests naming it
  // as it is read; then everything else in one scan.
  BRYGGA_RETURN_IF_ERROR(
      store.forEachMeasureFact("Task", [&](const MeasureFact& f) { index.add(f); }));
  BRYGGA_RETURN_IF_ERROR(store.forEachMeasureFact("", [&](const MeasureFact& f) {
    if (f.type != "Task") index.add(f);
  }));
  index.finish();
  return index;
}

FactIndex::FactIndex(const std::vector<MeasureFact>& facts) {
  for (const auto& f : facts) {
    if (f.kind == "request") add(f);
  }
  for (const auto& f : facts) {
    if (f.kind != "request") add(f);
  }
  finish();
}

const FactIndex::Segment* FactIndex::segmentAt(int32_t patient, int64_t ms) const {
  const auto& list = segments_[static_cast<size_t>(patient)];
  if (list.empty()) return nullptr;
  const Segment* before = nullptr;
  for (const Segment& s : list) {
    if (s.start > ms) break;
    before = &s;
    if (s.end == 0 || ms < s.end) return &s;
  }
  return before != nullptr ? before : &list.front();
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
