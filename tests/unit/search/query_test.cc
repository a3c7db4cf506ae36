#include <gtest/gtest.h>

#include "gateway/core/civil_time.h"
#include "gateway/search/query.h"

namespace brygga::search {
namespace {

TEST(Query, DecodesPercentEscapesAndPlus) {
  auto q = parseQuery("identifier=http%3A%2F%2Fx%7C1&name=a+b&flag");
  ASSERT_TRUE(q.isOk());
  ASSERT_EQ(q->size(), 3u);
  EXPECT_EQ((*q)[0].second, "http://x|1");
  EXPECT_EQ((*q)[1].second, "a b");
  EXPECT_EQ((*q)[2].first, "flag");
  EXPECT_FALSE(parseQuery("a=%zz").isOk());
  EXPECT_FALSE(parseQuery("a=%4").isOk());
}

TEST(Query, IdSummaryCountAndTotalAreRead) {
  const auto build = [](const std::string& text) {
    auto params = parseQuery(text);
    EXPECT_TRUE(params.isOk());
    return buildSearchQuery("Condition", *params, 50, 500);
  };
  auto ids = build("_id=a1,b-2");
  ASSERT_TRUE(ids.isOk()) << ids.status().toString();
  ASSERT_EQ(ids->criteria.size(), 1u);
  EXPECT_EQ(ids->criteria[0].param, "_id");
  EXPECT_EQ(ids->criteria[0].values, (std::vector<std::string>{"a1", "b-2"}));
  EXPECT_EQ(build("_id=bad%20id").status().code(), core::StatusCode::kInvalidArgument);
  // _summary=count asks for the total alone, whatever _count says and in either order.
  EXPECT_EQ(build("_summary=count&_count=10")->count, 0);
  EXPECT_EQ(build("_count=10&_summary=count")->count, 0);
  EXPECT_EQ(build("_summary=false&_count=10")->count, 10);
  EXPECT_EQ(build("_summary=text").status().code(), core::StatusCode::kInvalidArgument);
  for (const char* total : {"none", "estimate", "accurate"}) {
    EXPECT_TRUE(build(std::string("_total=") + total).isOk()) << total;
  }
  EXPECT_FALSE(build("_total=some").isOk());
}

TEST(Query, BirthdateNamesTheDaysOfItsPeriod) {
  const auto range = [](const std::string& text) -> std::string {
    auto params = parseQuery(text);
    auto query = buildSearchQuery("Patient", *params, 50, 500);
    if (!query.isOk()) return "error";
    const auto& c = query->criteria.at(0);
    // start from..to / end from..to
    return c.startFrom.value_or("") + ".." + c.startTo.value_or("") + "/" + c.endFrom.value_or("") +
           ".." + c.endTo.value_or("");
  };
  EXPECT_EQ(range("birthdate=1912-12-12"), "1912-12-12../..1912-12-12");
  EXPECT_EQ(range("birthdate=1912"), "1912-01-01../..1912-12-31");
  EXPECT_EQ(range("birthdate=eq1912-02"), "1912-02-01../..1912-02-29");  // a leap year
  EXPECT_EQ(range("birthdate=ge1912-12"), "../1912-12-01..");
  EXPECT_EQ(range("birthdate=gt1912-12"), "../1913-01-01..");
  EXPECT_EQ(range("birthdate=sa1912-12"), "1913-01-01../..");
  EXPECT_EQ(range("birthdate=le1912"), "..1912-12-31/..");
  EXPECT_EQ(range("birthdate=lt1912-03-01"), "..1912-02-29/..");
  EXPECT_EQ(range("birthdate=eb1912-03-01"), "../..1912-02-29");
  for (const char* bad : {"birthdate=ne1912", "birthdate=1912-13", "birthdate=12-12-1912",
                          "birthdate=1912-12-12T10:00"}) {
    EXPECT_EQ(range(bad), "error") << bad;
  }
}

TEST(Query, IdentifierSearchNormalisesSwedishIdentifiers) {
  auto params = parseQuery("identifier=urn:oid:1.2.752.129.2.1.3.1%7C19121212-1212");
  ASSERT_TRUE(params.isOk());
  auto query = buildSearchQuery("Patient", *params, 50, 500);
  ASSERT_TRUE(query.isOk()) << query.status().toString();
  ASSERT_EQ(query->criteria.size(), 1u);
  EXPECT_EQ(query->criteria[0].system.value_or(""),
            "http://electronichealth.se/identifier/personnummer");
  EXPECT_EQ(query->criteria[0].values, std::vector<std::string>{"191212121212"});
}

TEST(Query, PatientAndSubjectNameTheSamePatient) {
  for (const char* text :
       {"patient=Patient/abc", "subject=abc", "patient=https://brygga.example/fhir/Patient/abc"}) {
    auto query = buildSearchQuery("Encounter", *parseQuery(text), 50, 500);
    ASSERT_TRUE(query.isOk()) << text;
    EXPECT_EQ(query->criteria[0].param, "patient");
    EXPECT_EQ(query->criteria[0].values[0], "Patient/abc") << text;
  }
  EXPECT_FALSE(
      buildSearchQuery("Encounter", *parseQuery("patient=Organization/1"), 50, 500).isOk());
}

TEST(Query, LastUpdatedPrefixesBoundThePeriod) {
  auto query = buildSearchQuery(
      "Patient", *parseQuery("_lastUpdated=ge2026-01-01&_lastUpdated=le2026-01-31"), 50, 500);
  ASSERT_TRUE(query.isOk());
  const int64_t start = core::parseFhirDateTime("2026-01-01T00:00:00Z").value();
  const int64_t end = core::parseFhirDateTime("2026-02-01T00:00:00Z").value();
  EXPECT_EQ(*query->lastUpdatedGeMs, start);
  EXPECT_EQ(*query->lastUpdatedLeMs, end - 1);
  auto month = buildSearchQuery("Patient", *parseQuery("_lastUpdated=2026-01"), 50, 500);
  ASSERT_TRUE(month.isOk());
  EXPECT_EQ(*month->lastUpdatedGeMs, start);
  EXPECT_EQ(*month->lastUpdatedLeMs, end - 1);
  EXPECT_FALSE(
      buildSearchQuery("Patient", *parseQuery("_lastUpdated=ge-yesterday"), 50, 500).isOk());
  EXPECT_FALSE(
      buildSearchQuery("Patient", *parseQuery("_lastUpdated=sa2026-01-01"), 50, 500).isOk());
  // A prefix with no date, or a lone letter (found by fuzz_search_query: it threw).
  for (const char* text : {"_lastUpdated=B", "_lastUpdated=ge", "_lastUpdated=g"}) {
    auto refused = buildSearchQuery("Patient", *parseQuery(text), 50, 500);
    ASSERT_FALSE(refused.isOk()) << text;
    EXPECT_EQ(refused.status().code(), core::StatusCode::kInvalidArgument) << text;
  }
}

TEST(Query, CountIsCappedAndUnknownParametersAreRefused) {
  auto query = buildSearchQuery("Patient", *parseQuery("_count=100000&_offset=20"), 50, 500);
  ASSERT_TRUE(query.isOk());
  EXPECT_EQ(query->count, 500);
  EXPECT_EQ(query->offset, 20);
  auto unknown = buildSearchQuery("Patient", *parseQuery("gender=female"), 50, 500);
  ASSERT_FALSE(unknown.isOk());
  EXPECT_NE(unknown.status().message().find("'gender'"), std::string::npos);
  EXPECT_FALSE(buildSearchQuery("Patient", *parseQuery("identifier:text=x"), 50, 500).isOk());
  EXPECT_FALSE(buildSearchQuery("Patient", *parseQuery("_count=-1"), 50, 500).isOk());
}

TEST(Query, AnUnsupportedParameterIsNotSupportedAndNamesTheSupportedOnes) {
  auto unknown = buildSearchQuery("Patient", *parseQuery("gender=female"), 50, 500);
  ASSERT_FALSE(unknown.isOk());
  ASSERT_EQ(unknown.status().issues().size(), 1u);
  EXPECT_EQ(unknown.status().issues()[0].code, "not-supported");
  EXPECT_NE(unknown.status().message().find(
                "_id, identifier, birthdate, name, family, given, address-city, _lastUpdated"),
            std::string::npos)
      << unknown.status().message();
}

TEST(Query, LenientKeepsWhatTheTypeSearchesByAndThePaging) {
  const QueryParams kept = withoutUnknownParams(
      "Patient",
      *parseQuery(
          "gender=male&name:exact=Tolvan&identifier:text=x&_count=5&_lastUpdated=2026&shoe=42"));
  EXPECT_EQ(kept, (QueryParams{{"name:exact", "Tolvan"},
                               {"identifier:text", "x"},
                               {"_count", "5"},
                               {"_lastUpdated", "2026"}}));
}

TEST(Query, StringParametersFoldTheirValuesSplitAtUnescapedCommasAndTakeTwoModifiers) {
  using Match = store::SearchCriterion::Match;
  auto folded =
      buildSearchQuery("Patient", *parseQuery("family=%C3%96berg,Lind%5C,qvist"), 50, 500);
  ASSERT_TRUE(folded.isOk()) << folded.status().message();
  ASSERT_EQ(folded->criteria.size(), 1u);
  EXPECT_EQ(folded->criteria[0].match, Match::kStartsWith);
  EXPECT_EQ(folded->criteria[0].values, (std::vector<std::string>{"oberg", "lind,qvist"}));
  auto exact = buildSearchQuery("Practitioner", *parseQuery("given:exact=%C3%85sa"), 50, 500);
  ASSERT_TRUE(exact.isOk());
  EXPECT_EQ(exact->criteria[0].match, Match::kExact);
  EXPECT_EQ(exact->criteria[0].values, std::vector<std::string>{"Åsa"});
  auto contains = buildSearchQuery("Patient", *parseQuery("address-city:contains=BERG"), 50, 500);
  ASSERT_TRUE(contains.isOk());
  EXPECT_EQ(contains->criteria[0].match, Match::kContains);
  EXPECT_EQ(contains->criteria[0].values, std::vector<std::string>{"berg"});
  EXPECT_FALSE(buildSearchQuery("Patient", *parseQuery("name:missing=true"), 50, 500).isOk());
  EXPECT_FALSE(buildSearchQuery("Patient", *parseQuery("family="), 50, 500).isOk());
  EXPECT_FALSE(buildSearchQuery("Condition", *parseQuery("name=x"), 50, 500).isOk());
}

TEST(Query, NameMatchesFamilyAndGivenTooTheOthersOnlyThemselves) {
  auto name = buildSearchQuery("Patient", *parseQuery("name:contains=berg"), 50, 500);
  ASSERT_TRUE(name.isOk()) << name.status().message();
  EXPECT_EQ(name->criteria[0].param, "name");
  EXPECT_EQ(name->criteria[0].alsoParams, (std::vector<std::string>{"family", "given"}));
  auto practitioner = buildSearchQuery("Practitioner", *parseQuery("name=asa"), 50, 500);
  ASSERT_TRUE(practitioner.isOk());
  EXPECT_EQ(practitioner->criteria[0].alsoParams, (std::vector<std::string>{"family", "given"}));
  for (const char* other : {"family=x", "given=x", "address-city=x", "identifier=x"}) {
    auto q = buildSearchQuery("Patient", *parseQuery(other), 50, 500);
    ASSERT_TRUE(q.isOk()) << other;
    EXPECT_TRUE(q->criteria[0].alsoParams.empty()) << other;
  }
}

TEST(Query, SortTakesEveryParameterOfTheTypeInOrderWithMinusForDescending) {
  using Key = store::SearchQuery::SortKey;
  const auto sortOf = [](const std::string& type, const std::string& text) {
    auto query = buildSearchQuery(type, *parseQuery(text), 50, 500);
    EXPECT_TRUE(query.isOk()) << text << ": " << query.status().message();
    std::vector<std::string> keys;
    if (!query.isOk()) return keys;
    for (const Key& k : query->sort) {
      std::string key = (k.descending ? "-" : "") + k.field;
      for (const auto& also : k.alsoParams) key += "+" + also;
      keys.push_back(key);
    }
    return keys;
  };
  EXPECT_EQ(sortOf("Patient", "_sort=family,-birthdate,_id"),
            (std::vector<std::string>{"family", "-birthdate", "_id"}));
  EXPECT_EQ(sortOf("Patient", "_sort=-name"), std::vector<std::string>{"-name+family+given"});
  EXPECT_EQ(sortOf("Patient", "_sort=address-city,identifier,-_lastUpdated"),
            (std::vector<std::string>{"address-city", "identifier", "-_lastUpdated"}));
  // subject is indexed as the patient it names
  EXPECT_EQ(sortOf("Encounter", "_sort=status,-subject,patient"),
            (std::vector<std::string>{"status", "-patient", "patient"}));
  // Every key the type lists sorts, both ways.
  for (const std::string type : {"Patient", "Encounter", "Practitioner", "Location"}) {
    for (const auto& key : sortKeysFor(type)) {
      EXPECT_EQ(sortOf(type, "_sort=" + key).size(), 1u) << type << " " << key;
      EXPECT_EQ(sortOf(type, "_sort=-" + key).size(), 1u) << type << " " << key;
    }
  }
  EXPECT_EQ(sortKeysFor("Condition"),
            (std::vector<std::string>{"_id", "identifier", "patient", "subject", "_lastUpdated"}));
  EXPECT_TRUE(sortKeysFor("AuditEvent").empty());
}

TEST(Query, AnUnsupportedSortKeyIsNotSupportedAndNamesTheSupportedOnes) {
  for (const char* text : {"_sort=birthdate", "_sort=-birthdate", "_sort=_id,birthdate",
                           "_sort=", "_sort=_id,", "_sort=--_id"}) {
    auto refused = buildSearchQuery("Condition", *parseQuery(text), 50, 500);
    ASSERT_FALSE(refused.isOk()) << text;
    ASSERT_EQ(refused.status().issues().size(), 1u) << text;
    EXPECT_EQ(refused.status().issues()[0].code, "not-supported") << text;
    EXPECT_NE(refused.status().message().find(
                  "Condition sorts by _id, identifier, patient, subject, _lastUpdated"),
              std::string::npos)
        << refused.status().message();
  }
  auto named = buildSearchQuery("Condition", *parseQuery("_sort=-birthdate"), 50, 500);
  EXPECT_NE(named.status().message().find("_sort by 'birthdate'"), std::string::npos)
      << named.status().message();
  EXPECT_FALSE(buildSearchQuery("AuditEvent", *parseQuery("_sort=_id"), 50, 500).isOk());
}

TEST(Query, LenientKeepsTheSortKeysTheTypeSortsBy) {
  EXPECT_EQ(withoutUnknownParams("Condition", *parseQuery("_sort=-code,patient,x,-_id&_count=2")),
            (QueryParams{{"_sort", "patient,-_id"}, {"_count", "2"}}));
  EXPECT_EQ(withoutUnknownParams("Condition", *parseQuery("_sort=code,-birthdate&_count=2")),
            (QueryParams{{"_count", "2"}}));
  auto kept = buildSearchQuery(
      "Condition", withoutUnknownParams("Condition", *parseQuery("_sort=code,-_id")), 50, 500);
  ASSERT_TRUE(kept.isOk());
  ASSERT_EQ(kept->sort.size(), 1u);
  EXPECT_EQ(kept->sort[0].field, "_id");
  EXPECT_TRUE(kept->sort[0].descending);
}

TEST(Query, IncludesFollowPatientReferencesFromWhereTheyCanStart) {
  auto forward = includesOf("Condition", *parseQuery("_include=Condition:subject:Patient"));
  ASSERT_TRUE(forward.isOk());
  ASSERT_EQ(forward->size(), 1u);
  EXPECT_FALSE((*forward)[0].reverse);
  EXPECT_FALSE((*forward)[0].iterate);
  EXPECT_EQ((*forward)[0].type, "Condition");
  auto reverse = includesOf("Patient", *parseQuery("_revinclude:iterate=Encounter:patient"));
  ASSERT_TRUE(reverse.isOk());
  EXPECT_TRUE((*reverse)[0].reverse && (*reverse)[0].iterate);
  for (const char* refused : {"_include=Condition:code", "_include=Condition:subject:Group",
                              "_include=Encounter:patient", "_revinclude=Encounter:patient",
                              "_include=Condition", "_revinclude:iterate=AuditEvent:patient"}) {
    auto r = includesOf("Condition", *parseQuery(refused));
    ASSERT_FALSE(r.isOk()) << refused;
    EXPECT_EQ(r.status().issues()[0].code, "not-supported") << refused;
  }
  // The query itself leaves them to includesOf, :iterate included.
  EXPECT_TRUE(buildSearchQuery("Condition",
                               *parseQuery("_include=Condition:subject&_revinclude:iterate=x"), 50,
                               500)
                  .isOk());
}

TEST(Query, ABadLastUpdatedIsQuotedAsSent) {
  for (const char* value : {"yesterday", "ge2026-13-01", "2026-1"}) {
    auto query = buildSearchQuery("Patient", {{"_lastUpdated", value}}, 50, 500);
    ASSERT_FALSE(query.isOk()) << value;
    EXPECT_NE(query.status().message().find(std::string("'") + value + "'"), std::string::npos)
        << query.status().message();
  }
}

TEST(Query, HistoryTakesPagingAndSinceOnly) {
  auto query =
      buildHistoryQuery("Patient", *parseQuery("_count=1&_offset=2&_since=2026-01-01"), 50, 500);
  ASSERT_TRUE(query.isOk()) << query.status().toString();
  EXPECT_EQ(query->count, 1);
  EXPECT_EQ(query->offset, 2);
  EXPECT_EQ(*query->lastUpdatedGeMs, core::parseFhirDateTime("2026-01-01").value());
  auto other = buildHistoryQuery("Patient", *parseQuery("identifier=x"), 50, 500);
  ASSERT_FALSE(other.isOk());
  EXPECT_EQ(other.status().issues()[0].code, "not-supported");
  EXPECT_FALSE(buildHistoryQuery("Patient", *parseQuery("_since=soon"), 50, 500).isOk());
}

}  // namespace
}  // namespace brygga::search
