// Schema 6's data step: the facts of access for a database written before them. It runs once,
// inside the migration's transaction, so a failure leaves the database at schema 5.
//
// The store parses no FHIR; what it needs of the stored JSON it reads with SQLite's JSON
// functions (json_extract, json_tree), and the search index already holds every person number
// normalised (canonical system, 12 digits).
#include <sqlite3.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gateway/store/sqlite_schema.h"
#include "gateway/store/sqlite_statement.h"

namespace brygga::store::sqlite {

namespace {

constexpr const char* kPnr = "http://electronichealth.se/identifier/personnummer";
constexpr const char* kSnr = "http://electronichealth.se/identifier/samordningsnummer";

// The person-number systems in every accepted form, and the canonical one of each.
constexpr const char* kSystemForms =
    "('http://electronichealth.se/identifier/personnummer',"
    " 'https://terminology.hl7.se/sid/se-personnummer', 'urn:oid:1.2.752.129.2.1.3.1',"
    " 'http://electronichealth.se/identifier/samordningsnummer',"
    " 'https://terminology.hl7.se/sid/se-samordningsnummer', 'urn:oid:1.2.752.129.2.1.3.3')";
constexpr const char* kCanonicalOfSystem =
    "CASE WHEN %1 IN ('https://terminology.hl7.se/sid/se-personnummer',"
    " 'urn:oid:1.2.752.129.2.1.3.1') THEN 'http://electronichealth.se/identifier/personnummer'"
    " WHEN %1 IN ('https://terminology.hl7.se/sid/se-samordningsnummer',"
    " 'urn:oid:1.2.752.129.2.1.3.3') THEN"
    " 'http://electronichealth.se/identifier/samordningsnummer' ELSE %1 END";
// YYYYMMDD-NNNC (or +) -> 12 digits.
constexpr const char* kDigitsOfValue =
    "CASE WHEN length(%1) = 13 AND substr(%1, 9, 1) IN ('-', '+')"
    " THEN substr(%1, 1, 8) || substr(%1, 10) ELSE %1 END";

std::string expand(const char* pattern, const std::string& argument) {
  std::string out = pattern;
  for (size_t at = out.find("%1"); at != std::string::npos; at = out.find("%1", at)) {
    out.replace(at, 2, argument);
    at += argument.size();
  }
  return out;
}

void exec(StatementCache& statements, const std::string& sql) {
  Query(statements.get(sql)).run();
}

class AccessFactsMigration {
 public:
  explicit AccessFactsMigration(sqlite3* db)
      : statements_(db),
        nowMs_(std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count()) {}

  void run() {
    normaliseIdentifierIndex();
    fillPatientIds();
    // Access is by care relationship; a Patient belongs to no municipality.
    exec(statements_, "UPDATE resource_current SET tenant = '' WHERE type = 'Patient'");
    exec(statements_, "UPDATE resource_version SET tenant = '' WHERE type = 'Patient'");
    mergeAndKeyPersons();
    fillRelationships();
  }

 private:
  // Person numbers indexed under Inera's system or with a hyphen (before schema 6 only the OID
  // forms were taken for the HL7 Sweden URIs) get the stored form, so every form finds them.
  void normaliseIdentifierIndex() {
    const std::string canonical = expand(kCanonicalOfSystem, "system");
    const std::string digits = expand(kDigitsOfValue, "value");
    const std::string where = std::string(" WHERE param = 'identifier' AND system IN ") +
                              kSystemForms + " AND (system <> " + canonical + " OR value <> " +
                              digits + ")";
    exec(statements_,
         "UPDATE OR IGNORE search_index SET system = " + canonical + ", value = " + digits + where);
    // What is left already had a row in the stored form.
    exec(statements_, "DELETE FROM search_index" + where);
  }

  void fillPatientIds() {
    exec(statements_, "UPDATE resource_current SET patient_id = id WHERE type = 'Patient'");
    exec(statements_,
         "UPDATE resource_current SET patient_id = COALESCE((SELECT substr(s.value, 9)"
         " FROM search_index s WHERE s.type = resource_current.type"
         " AND s.id = resource_current.id AND s.param = 'patient' AND s.value LIKE 'Patient/%'"
         " ORDER BY s.value LIMIT 1), '') WHERE type <> 'Patient'");
  }

  struct Person {
    std::string kind;
    std::string number;
    bool operator<(const Person& o) const {
      return kind != o.kind ? kind < o.kind : number < o.number;
    }
  };

  // Every current Patient's person numbers; Patients sharing one (directly or through another
  // number) form a group whose oldest Patient survives.
  void mergeAndKeyPersons() {
    std::map<Person, std::vector<std::string>> holders;
    {
      Query q(statements_.get(
          std::string("SELECT CASE s.system WHEN '") + kPnr +
          "' THEN 'pnr' ELSE 'snr' END,"
          " s.value, s.id FROM search_index s JOIN resource_current c"
          " ON c.type = s.type AND c.id = s.id AND c.deleted = 0"
          " WHERE s.type = 'Patient' AND s.param = 'identifier' AND s.system IN ('" +
          kPnr + "', '" + kSnr +
          "') AND length(s.value) = 12 AND s.value NOT GLOB '*[^0-9]*'"
          " ORDER BY s.id"));
      while (q.next()) holders[{q.text(0), q.text(1)}].push_back(q.text(2));
    }
    // Union-find over the Patients, joined by the numbers they share.
    std::map<std::string, std::string> parent;
    const auto find = [&](std::string id) {
      while (parent[id] != id) id = parent[id] = parent[parent[id]];
      return id;
    };
    for (const auto& [person, ids] : holders) {
      for (const auto& id : ids) parent.emplace(id, id);
      for (size_t i = 1; i < ids.size(); ++i) parent[find(ids[i])] = find(ids[0]);
    }
    std::map<std::string, std::vector<std::string>> groups;
    for (const auto& [id, unused] : parent) groups[find(id)].push_back(id);

    std::map<std::string, std::string> survivorOf;
    for (auto& [root, members] : groups) {
      const std::string survivor = oldest(members);
      for (const auto& id : members) {
        survivorOf[id] = survivor;
        if (id == survivor) continue;
        if (sameContent(id, survivor)) {
          merge(id, survivor);
        } else {
          report("duplicate", id,
                 "Patient/" + survivor +
                     ": shares a person number with it but its content differs; not merged. "
                     "The number now resolves to Patient/" +
                     survivor + "; the integration team decides");
        }
      }
    }
    for (const auto& [person, ids] : holders) {
      Query(statements_.get(
                "INSERT INTO patient_identity (kind, number, patient_id) VALUES (?, ?, ?)"))
          .bind(person.kind)
          .bind(person.number)
          .bind(survivorOf[ids.front()])
          .run();
    }
  }

  // The Patient created first (then the smaller id).
  std::string oldest(const std::vector<std::string>& ids) {
    std::string best;
    int64_t bestMs = 0;
    for (const auto& id : ids) {
      Query q(
          statements_.get("SELECT last_updated_ms FROM resource_version"
                          " WHERE type = 'Patient' AND id = ? AND version = 1"));
      q.bind(id);
      const int64_t ms = q.next() ? q.integer(0) : 0;
      if (best.empty() || ms < bestMs || (ms == bestMs && id < best)) {
        best = id;
        bestMs = ms;
      }
    }
    return best;
  }

  // The same content: every leaf of the two current versions at the same path, apart from id,
  // meta and narrative, person numbers compared in their stored form. Member order does not
  // matter (paths are by name); array order does.
  bool sameContent(const std::string& a, const std::string& b) {
    const std::string leaves =
        "SELECT t.fullkey, CASE WHEN t.fullkey LIKE '$.identifier[%].system' THEN " +
        expand(kCanonicalOfSystem, "t.atom") +
        " WHEN t.fullkey LIKE '$.identifier[%].value' THEN " + expand(kDigitsOfValue, "t.atom") +
        " ELSE t.atom END FROM resource_current c JOIN resource_version v"
        " ON v.type = c.type AND v.id = c.id AND v.version = c.version, json_tree(v.json) t"
        " WHERE c.type = 'Patient' AND c.id = ? AND t.type NOT IN ('object', 'array')"
        " AND t.fullkey <> '$.id' AND t.fullkey NOT GLOB '$.meta*'"
        " AND t.fullkey NOT GLOB '$.text*'";
    for (const auto& [x, y] : {std::pair{a, b}, std::pair{b, a}}) {
      Query q(statements_.get("SELECT COUNT(*) FROM (" + leaves + " EXCEPT " + leaves + ")"));
      q.bind(x).bind(y);
      if (!q.next() || q.integer(0) != 0) return false;
    }
    return true;
  }

  // References to `from` move to `to` in a new version of every resource of `from`; `from` gets a
  // last, deleted version that says it was replaced by `to` (its history stays as it was).
  void merge(const std::string& from, const std::string& to) {
    const std::string oldRef = "\"Patient/" + from + "\"";
    const std::string newRef = "\"Patient/" + to + "\"";
    std::vector<std::pair<std::string, std::string>> resources;
    {
      Query q(
          statements_.get("SELECT type, id FROM resource_current"
                          " WHERE patient_id = ? AND type <> 'Patient'"));
      q.bind(from);
      while (q.next()) resources.emplace_back(q.text(0), q.text(1));
    }
    for (const auto& [type, id] : resources) {
      newVersion(type, id, "replace(v.json, ?, ?)", {oldRef, newRef}, false);
      Query(statements_.get("UPDATE resource_current SET patient_id = ? WHERE type = ? AND id = ?"))
          .bind(to)
          .bind(type)
          .bind(id)
          .run();
      Query(statements_.get("UPDATE OR REPLACE search_index SET value = ?"
                            " WHERE type = ? AND id = ? AND value = ?"
                            " AND param IN ('patient', 'subject')"))
          .bind("Patient/" + to)
          .bind(type)
          .bind(id)
          .bind("Patient/" + from)
          .run();
    }
    newVersion("Patient", from,
               "json_set(v.json, '$.link', json_array(json_object('other',"
               " json_object('reference', ?), 'type', 'replaced-by')))",
               {"Patient/" + to}, true);
    report("merged", from,
           "Patient/" + to + ": same person number and content; its " +
               std::to_string(resources.size()) + " resources now refer to Patient/" + to);
  }

  // Writes version current+1 of Type/id with the JSON `expression` (over the current version
  // `v`, taking `parameters`), meta.versionId and meta.lastUpdated stamped.
  void newVersion(const std::string& type, const std::string& id, const std::string& expression,
                  const std::vector<std::string>& parameters, bool deleted) {
    Query q(statements_.get(
        "INSERT INTO resource_version (type, id, version, last_updated_ms, deleted, tenant, json)"
        " SELECT v.type, v.id, v.version + 1, ?, ?, v.tenant, json_set(" +
        expression +
        ", '$.meta.versionId', CAST(v.version + 1 AS TEXT), '$.meta.lastUpdated',"
        " strftime('%Y-%m-%dT%H:%M:%fZ', ? / 1000.0, 'unixepoch'))"
        " FROM resource_current c JOIN resource_version v"
        " ON v.type = c.type AND v.id = c.id AND v.version = c.version"
        " WHERE c.type = ? AND c.id = ?"));
    q.bind(nowMs_).bind(deleted ? 1 : 0);
    for (const auto& p : parameters) q.bind(p);
    q.bind(nowMs_).bind(type).bind(id).run();
    Query(statements_.get("UPDATE resource_current SET version = version + 1,"
                          " last_updated_ms = ?, deleted = ? WHERE type = ? AND id = ?"))
        .bind(nowMs_)
        .bind(deleted ? 1 : 0)
        .bind(type)
        .bind(id)
        .run();
  }

  void report(const std::string& kind, const std::string& patient, const std::string& detail) {
    Query(
        statements_.get(
            "INSERT INTO migration_report (created_ms, kind, subject, detail) VALUES (?, ?, ?, ?)"))
        .bind(nowMs_)
        .bind(kind)
        .bind("Patient/" + patient)
        .bind(detail)
        .run();
  }

  // A municipal EpisodeOfCare (one with an owner) is a care relationship: active while its
  // status is active, planned, onhold or waitlist, ended at its period.end, or when it was last
  // changed if it is finished or cancelled without one (the rule of gateway/access, for the data
  // as it was).
  void fillRelationships() {
    exec(statements_,
         "INSERT INTO care_relationship (episode_id, patient_id, tenant, active, ended_ms)"
         " SELECT c.id, c.patient_id, c.tenant,"
         " json_extract(v.json, '$.status') IN ('active', 'planned', 'onhold', 'waitlist'),"
         " CASE WHEN json_extract(v.json, '$.period.end') IS NOT NULL THEN"
         " COALESCE(CAST((julianday(json_extract(v.json, '$.period.end')) - 2440587.5)"
         " * 86400000 AS INTEGER), c.last_updated_ms)"
         " WHEN json_extract(v.json, '$.status') IN ('finished', 'cancelled')"
         " THEN c.last_updated_ms ELSE 0 END"
         " FROM resource_current c JOIN resource_version v"
         " ON v.type = c.type AND v.id = c.id AND v.version = c.version"
         " WHERE c.type = 'EpisodeOfCare' AND c.deleted = 0 AND c.tenant <> ''"
         " AND c.patient_id <> ''");
  }

  StatementCache statements_;
  const int64_t nowMs_;
};

}  // namespace

void migrateAccessFacts(sqlite3* db) {
  AccessFactsMigration(db).run();
}

}  // namespace brygga::store::sqlite
