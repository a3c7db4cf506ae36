#include "bench/traffic.h"

#include <algorithm>
#include <cstdio>

#include "gateway/core/civil_time.h"
#include "gateway/core/log.h"
#include "mappings/service_hours.h"
#include "tests/support/test_personnummer.h"

namespace brygga::traffic {

namespace {

constexpr const char* kPnr = "http://electronichealth.se/identifier/personnummer";
constexpr const char* kHsaOrg = "urn:oid:1.2.752.29.4.19";
constexpr const char* kHsaPerson = "urn:oid:1.2.752.29.6.2.1";
constexpr const char* kActCode = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
constexpr const char* kSnomed = "http://snomed.info/sct";
constexpr const char* kBase = "https://brygga.se/fhir";

// Inhabitants (thousands, rounded), so that the bigger municipalities send more.
const std::pair<const char*, int> kWeights[] = {{"kungsbacka", 85}, {"varberg", 66},
                                                {"falkenberg", 46}, {"halmstad", 105},
                                                {"laholm", 26},     {"hylte", 11}};

std::string q(std::string_view s) {
  std::string out = "\"";
  core::appendJsonEscaped(out, s);
  out += '"';
  return out;
}

std::string compact(std::string pnr) {
  pnr.erase(std::remove(pnr.begin(), pnr.end(), '-'), pnr.end());
  return pnr;
}

std::string pnrReference(const std::string& pnr) {
  return R"({"identifier":{"system":")" + std::string(kPnr) + R"(","value":)" + q(pnr) + "}}";
}

std::string practitioner(const std::string& hsaId, const char* display) {
  return R"({"type":"Practitioner","identifier":{"system":")" + std::string(kHsaPerson) +
         R"(","value":)" + q(hsaId) + R"(},"display":)" + q(display) + "}";
}

std::string date(int64_t ms) {
  return core::toStockholm(ms).date.iso();
}

std::string dateTime(int64_t ms) {
  return core::formatStockholm(ms);
}

std::string entry(const std::string& fullUrl, const std::string& resource,
                  const std::string& method, const std::string& url,
                  const std::string& ifNoneExist = {}) {
  return R"({"fullUrl":)" + q(fullUrl) + R"(,"resource":)" + resource + R"(,"request":{"method":)" +
         q(method) + R"(,"url":)" + q(url) +
         (ifNoneExist.empty() ? std::string() : R"(,"ifNoneExist":)" + q(ifNoneExist)) + "}}";
}

std::string transaction(const std::vector<std::string>& entries) {
  std::string out = R"({"resourceType":"Bundle","type":"transaction","entry":[)";
  for (size_t i = 0; i < entries.size(); ++i) out += (i ? "," : "") + entries[i];
  return out + "]}";
}

}  // namespace

Generator::Generator(std::shared_ptr<const mappings::MappingSet> mappings, uint64_t seed,
                     int64_t firstPatient)
    : mappings_(std::move(mappings)), rng_(seed), seed_(seed), nextPatient_(firstPatient) {}

std::string Generator::uuid() {
  // Version 4 layout from the seeded generator, so that a run is reproducible.
  const uint64_t a = rng_(), b = rng_();
  char out[40];
  std::snprintf(out, sizeof out, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0x0fff),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return out;
}

std::string Generator::nextId(const char* prefix) {
  return std::string(prefix) + "-" + std::to_string(seed_ % 100000) + "-" +
         std::to_string(++counter_);
}

Patient Generator::newPatient() {
  Patient p;
  p.number = nextPatient_++;
  p.personnummer = testing::testPersonnummer(p.number % 474800);
  int total = 0;
  for (const auto& [_, w] : kWeights) total += w;
  int pick = std::uniform_int_distribution<int>(0, total - 1)(rng_);
  for (const auto& [tenant, w] : kWeights) {
    if (pick < w) {
      p.tenant = tenant;
      break;
    }
    pick -= w;
  }
  // About one in four enrolled patients is on a short-term stay at a facility.
  std::vector<const mappings::Facility*> facilities;
  for (const auto& f : mappings_->routing().facilities()) {
    if (f.municipality == p.tenant) facilities.push_back(&f);
  }
  std::uniform_real_distribution<double> u(0, 1);
  if (!facilities.empty() && u(rng_) < 0.25) {
    const auto* f =
        facilities[std::uniform_int_distribution<size_t>(0, facilities.size() - 1)(rng_)];
    p.facilityCode = f->code;
    p.facilityName = f->name;
  } else if (u(rng_) < 0.2) {
    // A named area where the routing table has one for the municipality.
    static const std::pair<const char*, const char*> kAreas[] = {{"kungsbacka", "Onsala"},
                                                                 {"kungsbacka", "Fjärås"},
                                                                 {"varberg", "Tvååker"},
                                                                 {"falkenberg", "Ullared"}};
    for (const auto& [tenant, area] : kAreas) {
      if (p.tenant == tenant && mappings_->routing().forArea(tenant, area) != nullptr)
        p.area = area;
    }
  }
  return p;
}

Message Generator::enrollment(Patient& p, int64_t nowMs) {
  if (p.enrolledOn.empty() || !p.enrolled) p.enrolledOn = date(nowMs);
  const mappings::Municipality* m = mappings_->routing().municipality(p.tenant);
  const std::string system = "https://" + p.tenant + ".se/hemsjukvard/inskrivning";
  const std::string episodeId = "E-" + std::to_string(p.number);
  const std::string patientUrn = "urn:uuid:" + uuid();
  const std::string locationUrn = "urn:uuid:" + uuid();
  const std::string pnr = p.personnummer;
  const bool male = (pnr[pnr.size() - 2] - '0') % 2 == 1;
  std::vector<std::string> entries;
  entries.push_back(
      entry(patientUrn,
            R"({"resourceType":"Patient","identifier":[{"system":")" + std::string(kPnr) +
                R"(","value":)" + q(pnr) + R"(}],"name":[{"family":"Testsson","given":[)" +
                q(male ? "Test" : "Testa") + R"(]}],"gender":)" + q(male ? "male" : "female") +
                R"(,"birthDate":)" +
                q(pnr.substr(0, 4) + "-" + pnr.substr(4, 2) + "-" + pnr.substr(6, 2)) + "}",
            "POST", "Patient", std::string("identifier=") + kPnr + "|" + compact(pnr)));
  std::string extension;
  if (!p.facilityCode.empty()) {
    entries.push_back(entry(
        locationUrn,
        R"({"resourceType":"Location","identifier":[{"system":")" + std::string(kBase) +
            R"(/NamingSystem/facility","value":)" + q(p.facilityCode) +
            R"(}],"status":"active","name":)" + q(p.facilityName) +
            R"(,"type":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-RoleCode","code":"SNF"}],"text":"Korttidsboende"}]})",
        "PUT",
        std::string("Location?identifier=") + kBase + "/NamingSystem/facility|" + p.facilityCode));
    extension = R"("extension":[{"url":")" + std::string(kBase) +
                R"(/StructureDefinition/residence","valueReference":{"reference":)" +
                q(locationUrn) + "}}],";
  } else if (!p.area.empty()) {
    extension = R"("extension":[{"url":")" + std::string(kBase) +
                R"(/StructureDefinition/home-care-area","valueString":)" + q(p.area) + "}],";
  }
  const std::string nurse = m->hsaId.substr(0, 12) + "-N" + std::to_string(1000 + p.number % 50);
  entries.push_back(entry(
      "urn:uuid:" + uuid(),
      R"({"resourceType":"EpisodeOfCare",)" + extension + R"("identifier":[{"system":)" +
          q(system) + R"(,"value":)" + q(episodeId) +
          R"(}],"status":"active","type":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/episodeofcare-type","code":"hacc"}],"text":"Inskriven i hemsjukvård"}],"patient":{"reference":)" +
          q(patientUrn) + R"(},"managingOrganization":{"identifier":{"system":")" + kHsaOrg +
          R"(","value":)" + q(m->hsaId) + R"(},"display":)" + q(m->name) +
          R"(},"period":{"start":)" + q(p.enrolledOn) + R"(},"careManager":)" +
          practitioner(nurse, "Sjuksköterska") + "}",
      "PUT", "EpisodeOfCare?identifier=" + system + "|" + episodeId));
  p.enrolled = true;
  return {"enrollment", p.tenant, "POST", "/", transaction(entries)};
}

Message Generator::consultation(const Patient& p, bool acute, int64_t nowMs) {
  const mappings::Municipality* m = mappings_->routing().municipality(p.tenant);
  const std::string id = nextId(acute ? "AK" : "K");
  const std::string srSystem = "https://" + p.tenant + ".se/hemsjukvard/konsultation";
  const std::string taskSystem = "https://" + p.tenant + ".se/hemsjukvard/uppdrag";
  const std::string srUrn = "urn:uuid:" + uuid();
  const std::string nurse = practitioner(m->hsaId.substr(0, 12) + "-N1000", "Sjuksköterska");
  const std::string authored = dateTime(nowMs - 5 * 60 * 1000);
  std::string sr = R"({"resourceType":"ServiceRequest","identifier":[{"system":)" + q(srSystem) +
                   R"(,"value":)" + q(id) + R"(}],"status":"active","intent":"order","priority":)" +
                   q(acute ? "stat" : "urgent") + R"(,"code":{"coding":[{"system":")" + kSnomed +
                   R"(","code":)" + q(acute ? "439708006" : "11429006") + R"(}],"text":)" +
                   q(acute ? "Akut hembesök" : "Konsultation med läkare") + R"(},"subject":)" +
                   pnrReference(p.personnummer) + R"(,"authoredOn":)" + q(authored) +
                   R"(,"requester":)" + nurse + "}";
  std::string task =
      R"({"resourceType":"Task","identifier":[{"system":)" + q(taskSystem) + R"(,"value":)" +
      q(id) + R"(}],"status":"requested","intent":"order","priority":)" +
      q(acute ? "stat" : "urgent") +
      R"(,"code":{"coding":[{"system":"http://hl7.org/fhir/CodeSystem/task-code","code":"fulfill"}]},"focus":{"reference":)" +
      q(srUrn) + R"(},"for":)" + pnrReference(p.personnummer) + R"(,"authoredOn":)" + q(authored) +
      R"(,"requester":)" + nurse + "}";
  return {acute ? "acute-visit" : "consultation", p.tenant, "POST", "/",
          transaction({entry(srUrn, sr, "PUT", "ServiceRequest?identifier=" + srSystem + "|" + id),
                       entry("urn:uuid:" + uuid(), task, "PUT",
                             "Task?identifier=" + taskSystem + "|" + id)})};
}

Message Generator::visit(const Patient& p, char modality, bool withNote, int64_t nowMs) {
  const mappings::Municipality* m = mappings_->routing().municipality(p.tenant);
  const std::string id = nextId("B");
  const std::string system = "https://" + p.tenant + ".se/hemsjukvard/besok";
  const std::string encounterUrn = "urn:uuid:" + uuid();
  const std::string physician =
      practitioner("SE2321000115-P0000000000" + std::to_string(p.number % 9 + 1), "Läkare");
  const std::string nurse = practitioner(m->hsaId.substr(0, 12) + "-N1000", "Sjuksköterska");
  std::string cls = modality == 'H' ? "HH" : "VR";
  std::string type = modality == 'H'   ? R"({"system":"http://snomed.info/sct","code":"439708006"})"
                     : modality == 'P' ? R"({"system":"http://snomed.info/sct","code":"185317003"})"
                                       : R"({"system":")" + std::string(kBase) +
                                             R"(/CodeSystem/contact-modality","code":"video"})";
  const int64_t minutes = modality == 'H' ? 40 : 15;
  std::string encounter =
      R"({"resourceType":"Encounter","identifier":[{"system":)" + q(system) + R"(,"value":)" +
      q(id) + R"(}],"status":"finished","class":{"system":")" + kActCode + R"(","code":)" + q(cls) +
      R"(},"type":[{"coding":[)" + type + R"(]}],"subject":)" + pnrReference(p.personnummer) +
      R"(,"episodeOfCare":[{"identifier":{"system":)" +
      q("https://" + p.tenant + ".se/hemsjukvard/inskrivning") + R"(,"value":)" +
      q("E-" + std::to_string(p.number)) +
      R"(}}],"participant":[{"type":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"PPRF"}]}],"individual":)" +
      physician +
      R"(},{"type":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"PART"}]}],"individual":)" +
      nurse + R"(}],"period":{"start":)" + q(dateTime(nowMs - (minutes + 5) * 60000)) +
      R"(,"end":)" + q(dateTime(nowMs - 5 * 60000)) + R"(},"location":[{"location":{"display":)" +
      q(p.facilityName.empty() ? "Patientens hem" : p.facilityName) + "}}]}";
  std::vector<std::string> entries = {
      entry(encounterUrn, encounter, "PUT", "Encounter?identifier=" + system + "|" + id)};
  if (withNote) {
    static const char* const kNoteTypes[] = {"konsultation", "lakarbesok", "uppfoljning"};
    const std::string noteSystem = "https://" + p.tenant + ".se/hemsjukvard/anteckning";
    const std::string noteId = nextId("A");
    std::string note =
        R"({"resourceType":"Composition","identifier":{"system":)" + q(noteSystem) +
        R"(,"value":)" + q(noteId) + R"(},"status":"final","type":{"coding":[{"system":")" + kBase +
        R"(/CodeSystem/anteckningstyp","code":)" + q(kNoteTypes[counter_ % 3]) +
        R"(}]},"subject":)" + pnrReference(p.personnummer) + R"(,"encounter":{"reference":)" +
        q(encounterUrn) + R"(},"date":)" + q(dateTime(nowMs)) + R"(,"author":[)" + physician +
        R"(],"title":"Läkaranteckning","section":[{"title":"Bedömning","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Synthetic note.</div>"}}]})";
    entries.push_back(entry("urn:uuid:" + uuid(), note, "PUT",
                            "Composition?identifier=" + noteSystem + "|" + noteId));
  }
  return {withNote ? "visit-note" : "visit", p.tenant, "POST", "/", transaction(entries)};
}

Message Generator::carePlan(const Patient& p, int64_t nowMs) {
  static const char* const kActivities[] = {"lakemedelsadministration",
                                            "sarvard",
                                            "blodtryckskontroll",
                                            "viktkontroll",
                                            "provtagning",
                                            "palliativ-vard"};
  const mappings::Municipality* m = mappings_->routing().municipality(p.tenant);
  const std::string system = "https://" + p.tenant + ".se/hemsjukvard/sip";
  const std::string id = "SIP-" + std::to_string(p.number);
  std::string activities;
  const int count = 1 + static_cast<int>(counter_++ % 3);
  for (int i = 0; i < count; ++i) {
    if (i) activities += ",";
    activities += R"({"detail":{"code":{"coding":[{"system":")" + std::string(kBase) +
                  R"(/CodeSystem/hemsjukvard-insats","code":)" +
                  q(kActivities[(p.number + i * 2 + counter_) % 6]) +
                  R"(}]},"status":"scheduled","performer":[{"identifier":{"system":")" + kHsaOrg +
                  R"(","value":)" + q(m->hsaId) + "}}]}}";
  }
  std::string plan =
      R"({"resourceType":"CarePlan","identifier":[{"system":)" + q(system) + R"(,"value":)" +
      q(id) +
      R"(}],"status":"active","intent":"plan","category":[{"coding":[{"system":"https://fhir.inera.se/CodeSystem/typeofcareplan-cs","code":"SIP"}]}],"title":"Samordnad individuell plan","created":)" +
      q(date(nowMs)) + R"(,"subject":)" + pnrReference(p.personnummer) +
      R"(,"author":{"identifier":{"system":")" + kHsaOrg + R"(","value":)" + q(m->hsaId) +
      R"(}},"activity":[)" + activities + "]}";
  return {"care-plan", p.tenant, "PUT", "/CarePlan?identifier=" + system + "|" + id, plan};
}

Message Generator::discharge(Patient& p, int64_t nowMs) {
  const mappings::Municipality* m = mappings_->routing().municipality(p.tenant);
  const std::string system = "https://" + p.tenant + ".se/hemsjukvard/inskrivning";
  const std::string id = "E-" + std::to_string(p.number);
  // The residence as at enrollment, so that the discharge keeps the responsible service point.
  std::string residence;
  if (!p.facilityCode.empty()) {
    residence = R"("extension":[{"url":")" + std::string(kBase) +
                R"(/StructureDefinition/residence","valueReference":{"identifier":{"system":")" +
                kBase + R"(/NamingSystem/facility","value":)" + q(p.facilityCode) + "}}}],";
  } else if (!p.area.empty()) {
    residence = R"("extension":[{"url":")" + std::string(kBase) +
                R"(/StructureDefinition/home-care-area","valueString":)" + q(p.area) + "}],";
  }
  const std::string start = p.enrolledOn.empty() ? date(nowMs - 30LL * 86400000) : p.enrolledOn;
  std::string episode =
      R"({"resourceType":"EpisodeOfCare",)" + residence + R"("identifier":[{"system":)" +
      q(system) + R"(,"value":)" + q(id) +
      R"(}],"status":"finished","type":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/episodeofcare-type","code":"hacc"}]}],"patient":)" +
      pnrReference(p.personnummer) + R"(,"managingOrganization":{"identifier":{"system":")" +
      kHsaOrg + R"(","value":)" + q(m->hsaId) + R"(}},"period":{"start":)" + q(start) +
      R"(,"end":)" + q(date(nowMs)) + "}}";
  p.enrolled = false;
  return {"discharge", p.tenant, "PUT", "/EpisodeOfCare?identifier=" + system + "|" + id, episode};
}

Patient* Generator::randomEnrolled() {
  std::vector<Patient*> enrolled;
  for (auto& p : patients_) {
    if (p.enrolled) enrolled.push_back(&p);
  }
  if (enrolled.empty()) return nullptr;
  return enrolled[std::uniform_int_distribution<size_t>(0, enrolled.size() - 1)(rng_)];
}

Message Generator::next(int64_t nowMs) {
  std::uniform_real_distribution<double> u(0, 1);
  const size_t enrolled = static_cast<size_t>(std::count_if(
      patients_.begin(), patients_.end(), [](const Patient& p) { return p.enrolled; }));
  if (enrolled < 12 || u(rng_) < 0.08) {
    patients_.push_back(newPatient());
    return enrollment(patients_.back(), nowMs);
  }
  Patient* p = randomEnrolled();
  const double r = u(rng_);
  if (r < 0.35) return consultation(*p, u(rng_) < 0.1, nowMs);
  if (r < 0.85) {
    const double m = u(rng_);
    return visit(*p, m < 0.4 ? 'H' : (m < 0.9 ? 'P' : 'V'), u(rng_) < 0.5, nowMs);
  }
  if (r < 0.96) return carePlan(*p, nowMs);
  return discharge(*p, nowMs);
}

}  // namespace brygga::traffic
