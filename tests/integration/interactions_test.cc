// Delete, patch, conditional read and system history over real HTTP (issue 14), through the
// access rules (issue 11): a delete is versioned, audited and answered alike whether there was
// something the caller may see or not; a JSON Patch is an update of the version it was applied
// to; a read answers 304 to a client whose copy is current; the system history holds only what
// the caller may read.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "gateway/core/base64.h"
#include "tests/integration/fixtures.h"
#include "tests/integration/harness.h"
#include "tests/support/test_personnummer.h"

namespace brygga::testing {
namespace {

class InteractionsTest : public GatewayTest {
 protected:
  // A Condition of `patient` with an identifier value (system https://kungsbacka.se/problem).
  std::string condition(const std::string& client, const std::string& patient,
                        const std::string& value) {
    auto r = call(
        client, "POST", "/Condition",
        R"({"resourceType":"Condition","identifier":[{"system":"https://kungsbacka.se/problem","value":")" +
            value + R"("}],"code":{"text":"Fall"},"subject":{"reference":"Patient/)" + patient +
            R"("}})");
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? parse(r.body)["id"].GetString() : std::string();
  }

  // Enrolls a person with this name and address (`label`: a protected identity, R or V) and
  // returns the Patient's id.
  std::string enroll(const std::string& client, int n, const std::string& family,
                     const std::string& given, const std::string& city,
                     const std::string& label = {}) {
    std::string bundle = enrollmentBundle(testPersonnummer(n), "N-" + std::to_string(n));
    const std::string name = R"("name":[{"family":"Tolvansson","given":["Tolvan"]}])";
    std::string replaced = R"("name":[{"family":")" + family + R"(","given":[")" + given +
                           R"("]}],"address":[{"city":")" + city + R"("}])";
    if (!label.empty()) {
      replaced +=
          R"(,"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":")" +
          label + R"("}]})";
    }
    bundle.replace(bundle.find(name), name.size(), replaced);
    auto r = call(client, "POST", "/", bundle);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? std::string(parse(r.body)["entry"][0]["resource"]["id"].GetString())
                           : std::string();
  }

  // The entries of a search answer as "mode Type/id", sorted.
  std::vector<std::string> entriesOf(const std::string& client, const std::string& query) {
    auto answer = call(client, "GET", query);
    EXPECT_EQ(answer.status, 200) << query << ": " << answer.body;
    std::vector<std::string> out;
    auto page = parse(answer.body);
    if (page.HasMember("entry")) {
      for (const auto& e : page["entry"].GetArray()) {
        out.push_back(std::string(e["search"]["mode"].GetString()) + " " +
                      e["resource"]["resourceType"].GetString() + "/" +
                      e["resource"]["id"].GetString());
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }
};

TEST_F(InteractionsTest, ADeleteIsANewVersionThatReadsAs410AndShowsInHistoryAndTheAuditLog) {
  const std::string patient = harness_->enroll("kungsbacka", "19121212-1212");
  const std::string id = condition("kungsbacka", patient, "P-1");
  ASSERT_FALSE(id.empty());

  auto deleted = call("kungsbacka", "DELETE", "/Condition/" + id);
  EXPECT_EQ(deleted.status, 204) << deleted.body;
  EXPECT_EQ(deleted.reason, "No Content");
  EXPECT_TRUE(deleted.body.empty());
  EXPECT_EQ(deleted.headers["etag"], "W/\"2\"");
  EXPECT_EQ(deleted.headers.count("content-length"), 0u);

  EXPECT_EQ(call("kungsbacka", "GET", "/Condition/" + id).status, 410);
  EXPECT_EQ(call("kungsbacka", "GET", "/Condition/" + id + "/_history/1").status, 200);
  auto history = parse(call("kungsbacka", "GET", "/Condition/" + id + "/_history").body);
  ASSERT_EQ(history["total"].GetInt(), 2);
  EXPECT_STREQ(history["entry"][0]["request"]["method"].GetString(), "DELETE");
  EXPECT_FALSE(history["entry"][0].HasMember("resource"));
  EXPECT_EQ(parse(call("kungsbacka", "GET", "/Condition?patient=Patient/" + patient).body)["total"]
                .GetInt(),
            0);
  // Deleting again changes nothing and answers the same.
  auto again = call("kungsbacka", "DELETE", "/Condition/" + id);
  EXPECT_EQ(again.status, 204);
  EXPECT_EQ(again.headers.count("etag"), 0u);
  EXPECT_EQ(
      parse(call("kungsbacka", "GET", "/Condition/" + id + "/_history").body)["total"].GetInt(), 2);

  // The delete is in the patient's audit log, as a delete.
  auto audit = call("integration", "GET", "/AuditEvent?patient=Patient/" + patient);
  ASSERT_EQ(audit.status, 200);
  EXPECT_NE(audit.body.find(R"("action":"D")"), std::string::npos);
}

TEST_F(InteractionsTest, WhatTheCallerMayNotSeeIsNotDeletedAndAnswersAsNothingThere) {
  const std::string patient = harness_->enroll("kungsbacka", "19121212-1212");
  const std::string id = condition("kungsbacka", patient, "P-1");
  auto elsewhere = call("falkenberg", "DELETE", "/Condition/" + id);
  auto nothing = call("falkenberg", "DELETE", "/Condition/no-such-condition");
  EXPECT_EQ(elsewhere.status, 204);
  EXPECT_EQ(elsewhere.status, nothing.status);
  EXPECT_EQ(elsewhere.body, nothing.body);
  EXPECT_EQ(elsewhere.headers.count("etag"), nothing.headers.count("etag"));
  auto conditional =
      call("falkenberg", "DELETE", "/Condition?identifier=https://kungsbacka.se/problem%7CP-1");
  EXPECT_EQ(conditional.status, 204);
  // Still there for whoever has the care relationship.
  EXPECT_EQ(call("kungsbacka", "GET", "/Condition/" + id).status, 200);
}

TEST_F(InteractionsTest, AConditionalDeleteRemovesTheOneMatchAndRefusesSeveral) {
  const std::string patient = harness_->enroll("kungsbacka", "19121212-1212");
  const std::string first = condition("kungsbacka", patient, "P-1");
  const std::string second = condition("kungsbacka", patient, "P-2");
  auto several = call("kungsbacka", "DELETE", "/Condition?patient=Patient/" + patient);
  EXPECT_EQ(several.status, 412) << several.body;
  EXPECT_NE(several.body.find("OperationOutcome"), std::string::npos);
  EXPECT_EQ(call("kungsbacka", "GET", "/Condition/" + first).status, 200);

  auto one =
      call("kungsbacka", "DELETE", "/Condition?identifier=https://kungsbacka.se/problem%7CP-2");
  EXPECT_EQ(one.status, 204) << one.body;
  EXPECT_EQ(call("kungsbacka", "GET", "/Condition/" + second).status, 410);
  EXPECT_EQ(call("kungsbacka", "GET", "/Condition/" + first).status, 200);
  auto none =
      call("kungsbacka", "DELETE", "/Condition?identifier=https://kungsbacka.se/problem%7CP-9");
  EXPECT_EQ(none.status, 204);
}

TEST_F(InteractionsTest, APatientIsNotDeletedAndASharedRecordOnlyByItsOwner) {
  const std::string patient = harness_->enroll("kungsbacka", "19121212-1212");
  auto refused = call("kungsbacka", "DELETE", "/Patient/" + patient);
  EXPECT_EQ(refused.status, 405) << refused.body;
  EXPECT_EQ(call("kungsbacka", "GET", "/Patient/" + patient).status, 200);

  // The region's Organization is global: a municipality reads it but may not delete it.
  auto org = call("region", "PUT", "/Organization/hsk-1",
                  R"({"resourceType":"Organization","id":"hsk-1","name":"Hemsjukvård"})");
  ASSERT_EQ(org.status, 201) << org.body;
  EXPECT_EQ(call("kungsbacka", "DELETE", "/Organization/hsk-1").status, 403);
  // Falkenberg's own Location: invisible to Varberg, so nothing happens there; its owner deletes.
  auto location = call("falkenberg", "PUT", "/Location/bo-x",
                       R"({"resourceType":"Location","id":"bo-x","name":"Bostad X"})");
  ASSERT_EQ(location.status, 201) << location.body;
  EXPECT_EQ(call("varberg", "DELETE", "/Location/bo-x").status, 204);
  EXPECT_EQ(call("falkenberg", "GET", "/Location/bo-x").status, 200);
  EXPECT_EQ(call("falkenberg", "DELETE", "/Location/bo-x").status, 204);
  EXPECT_EQ(call("falkenberg", "GET", "/Location/bo-x").status, 410);
  EXPECT_EQ(call("region", "DELETE", "/Organization/hsk-1").status, 204);
}

TEST_F(InteractionsTest, DeletingItsEnrollmentEndsTheMunicipalitysCareRelationship) {
  const std::string patient = harness_->enroll("kungsbacka", "19121212-1212");
  auto episodes =
      parse(call("kungsbacka", "GET", "/EpisodeOfCare?patient=Patient/" + patient).body);
  ASSERT_EQ(episodes["total"].GetInt(), 1);
  const std::string episode = episodes["entry"][0]["resource"]["id"].GetString();
  EXPECT_EQ(call("kungsbacka", "DELETE", "/EpisodeOfCare/" + episode).status, 204);
  EXPECT_EQ(call("kungsbacka", "GET", "/Patient/" + patient).status, 404);
  EXPECT_EQ(call("integration", "GET", "/Patient/" + patient).status, 200);
}

TEST_F(InteractionsTest, AStaleIfMatchOnADeleteIs412) {
  const std::string patient = harness_->enroll("kungsbacka", "19121212-1212");
  const std::string id = condition("kungsbacka", patient, "P-1");
  EXPECT_EQ(call("kungsbacka", "DELETE", "/Condition/" + id, "", {{"If-Match", "W/\"2\""}}).status,
            412);
  EXPECT_EQ(call("kungsbacka", "DELETE", "/Condition/" + id, "", {{"If-Match", "W/\"1\""}}).status,
            204);
}

TEST_F(InteractionsTest, AReadAnswers304ToACurrentCopyAnd200OtherwiseWithoutABody) {
  const std::string patient = harness_->enroll("kungsbacka", "19121212-1212");
  const std::string id = condition("kungsbacka", patient, "P-1");
  auto first = call("kungsbacka", "GET", "/Condition/" + id);
  ASSERT_EQ(first.status, 200);
  const std::string etag = first.headers["etag"];
  const std::string lastModified = first.headers["last-modified"];
  ASSERT_EQ(etag, "W/\"1\"");

  auto same = call("kungsbacka", "GET", "/Condition/" + id, "", {{"If-None-Match", etag}});
  EXPECT_EQ(same.status, 304);
  EXPECT_EQ(same.reason, "Not Modified");
  EXPECT_TRUE(same.body.empty());
  EXPECT_EQ(same.headers["etag"], etag);
  EXPECT_EQ(same.headers.count("content-length"), 0u);
  EXPECT_EQ(
      call("kungsbacka", "GET", "/Condition/" + id, "", {{"If-None-Match", "W/\"7\", *"}}).status,
      304);
  EXPECT_EQ(
      call("kungsbacka", "GET", "/Condition/" + id, "", {{"If-None-Match", "W/\"7\""}}).status,
      200);
  EXPECT_EQ(call("kungsbacka", "GET", "/Condition/" + id, "", {{"If-Modified-Since", lastModified}})
                .status,
            304);
  EXPECT_EQ(call("kungsbacka", "GET", "/Condition/" + id, "",
                 {{"If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}})
                .status,
            200);
  // The condition is on what the caller may see: another municipality still gets a 404.
  EXPECT_EQ(call("falkenberg", "GET", "/Condition/" + id, "", {{"If-None-Match", etag}}).status,
            404);
  // A vread is never conditional.
  EXPECT_EQ(
      call("kungsbacka", "GET", "/Condition/" + id + "/_history/1", "", {{"If-None-Match", etag}})
          .status,
      200);
}

TEST_F(InteractionsTest, ABatchDeletesEachEntryOnItsOwnAndATransactionTakesNoDelete) {
  const std::string patient = harness_->enroll("kungsbacka", "19121212-1212");
  const std::string first = condition("kungsbacka", patient, "P-1");
  condition("kungsbacka", patient, "P-2");
  auto batch = call("kungsbacka", "POST", "/",
                    R"({"resourceType":"Bundle","type":"batch","entry":[
      {"request":{"method":"DELETE","url":"Condition/)" +
                        first + R"("}},
      {"request":{"method":"DELETE","url":"Condition?patient=Patient/)" +
                        patient + R"("}},
      {"request":{"method":"DELETE","url":"Patient/)" +
                        patient + R"("}}]})");
  ASSERT_EQ(batch.status, 200) << batch.body;
  auto answer = parse(batch.body);
  EXPECT_STREQ(answer["entry"][0]["response"]["status"].GetString(), "204 No Content");
  EXPECT_STREQ(answer["entry"][0]["response"]["etag"].GetString(), "W/\"2\"");
  // The first entry's delete leaves one match for the second.
  EXPECT_STREQ(answer["entry"][1]["response"]["status"].GetString(), "204 No Content");
  EXPECT_STREQ(answer["entry"][2]["response"]["status"].GetString(), "405 Method Not Allowed");
  EXPECT_EQ(parse(call("kungsbacka", "GET", "/Condition?patient=Patient/" + patient).body)["total"]
                .GetInt(),
            0);

  auto transaction = call("kungsbacka", "POST", "/",
                          R"({"resourceType":"Bundle","type":"transaction","entry":[
      {"request":{"method":"DELETE","url":"Condition/)" +
                              first + R"("}}]})");
  EXPECT_EQ(transaction.status, 405) << transaction.body;
  EXPECT_NE(transaction.body.find("DELETE in a batch"), std::string::npos);
}

TEST_F(InteractionsTest, AJsonPatchIsAnUpdateOfTheVersionItWasAppliedTo) {
  const std::string patient = harness_->enroll("kungsbacka", "19121212-1212");
  const std::string id = condition("kungsbacka", patient, "P-1");
  const std::map<std::string, std::string> jsonPatch{
      {"Content-Type", "application/json-patch+json"}};
  auto patched = call(
      "kungsbacka", "PATCH", "/Condition/" + id,
      R"([{"op":"test","path":"/code/text","value":"Fall"},{"op":"replace","path":"/code/text","value":"Fall i hemmet"},{"op":"add","path":"/note","value":[{"text":"x"}]}])",
      jsonPatch);
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.headers["etag"], "W/\"2\"");
  auto read = parse(call("kungsbacka", "GET", "/Condition/" + id).body);
  EXPECT_STREQ(read["code"]["text"].GetString(), "Fall i hemmet");
  EXPECT_STREQ(read["meta"]["versionId"].GetString(), "2");
  EXPECT_TRUE(read.HasMember("note"));

  // A failed test, a stale If-Match, an invalid result, a changed id: 422/412, nothing written.
  EXPECT_EQ(call("kungsbacka", "PATCH", "/Condition/" + id,
                 R"([{"op":"test","path":"/code/text","value":"Fall"}])", jsonPatch)
                .status,
            422);
  auto stale = jsonPatch;
  stale["If-Match"] = "W/\"1\"";
  EXPECT_EQ(
      call("kungsbacka", "PATCH", "/Condition/" + id, R"([{"op":"remove","path":"/note"}])", stale)
          .status,
      412);
  EXPECT_EQ(call("kungsbacka", "PATCH", "/Condition/" + id,
                 R"([{"op":"add","path":"/clinicalStatus","value":"active"}])", jsonPatch)
                .status,
            422);
  EXPECT_EQ(call("kungsbacka", "PATCH", "/Condition/" + id,
                 R"([{"op":"replace","path":"/id","value":"other"}])", jsonPatch)
                .status,
            422);
  EXPECT_EQ(call("kungsbacka", "PATCH", "/Condition/" + id, R"({"op":"remove"})", jsonPatch).status,
            400);
  EXPECT_EQ(call("kungsbacka", "PATCH", "/Condition/" + id, R"([])",
                 {{"Content-Type", "application/fhir+json"}})
                .status,
            415);
  EXPECT_EQ(
      parse(call("kungsbacka", "GET", "/Condition/" + id + "/_history").body)["total"].GetInt(), 2);

  // What another municipality may not read is not there for a patch either.
  auto elsewhere = call("falkenberg", "PATCH", "/Condition/" + id,
                        R"([{"op":"remove","path":"/note"}])", jsonPatch);
  auto nothing = call("falkenberg", "PATCH", "/Condition/no-such-condition",
                      R"([{"op":"remove","path":"/note"}])", jsonPatch);
  EXPECT_EQ(elsewhere.status, 404);
  EXPECT_EQ(nothing.status, 404);
  // A patch is audited as one.
  auto audit = call("integration", "GET", "/AuditEvent?patient=Patient/" + patient);
  EXPECT_NE(audit.body.find(R"("code":"patch")"), std::string::npos);
}

TEST_F(InteractionsTest, AProtectedIdentityIsNotPatchedByWhoReadsItWithoutAddress) {
  std::string bundle = enrollmentBundle("19121212-1212");
  const std::string plain = R"("gender":"male")";
  bundle.replace(
      bundle.find(plain), plain.size(),
      R"("meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},)"
      R"("address":[{"line":["Hemliga gatan 1"]}],"gender":"male")");
  auto enrolled = call("kungsbacka", "POST", "/", bundle);
  ASSERT_EQ(enrolled.status, 200) << enrolled.body;
  const std::string id = parse(enrolled.body)["entry"][0]["resource"]["id"].GetString();
  // A "test" of the address would tell whether it is right: refused whatever it says.
  for (const std::string guess : {"Hemliga gatan 1", "Annan gata 2"}) {
    auto probe = call("kungsbacka", "PATCH", "/Patient/" + id,
                      R"([{"op":"test","path":"/address/0/line/0","value":")" + guess + R"("}])",
                      {{"Content-Type", "application/json-patch+json"}});
    EXPECT_EQ(probe.status, 422) << guess;
    EXPECT_NE(probe.body.find("protected identity"), std::string::npos) << probe.body;
  }
}

TEST_F(InteractionsTest, TheSystemHistoryHoldsEveryVersionTheCallerMayReadNewestFirst) {
  const std::string kungsbackas = harness_->enroll("kungsbacka", "19121212-1212");
  const std::string falkenbergs = harness_->enroll("falkenberg", testPersonnummer(3), "F-1");
  const std::string id = condition("kungsbacka", kungsbackas, "P-1");
  ASSERT_EQ(call("kungsbacka", "DELETE", "/Condition/" + id).status, 204);

  auto history = call("kungsbacka", "GET", "/_history");
  ASSERT_EQ(history.status, 200) << history.body;
  auto bundle = parse(history.body);
  EXPECT_STREQ(bundle["type"].GetString(), "history");
  std::vector<std::string> seen;
  for (const auto& e : bundle["entry"].GetArray()) seen.push_back(e["fullUrl"].GetString());
  const auto holds = [&](const std::string& reference) {
    for (const auto& url : seen) {
      if (url.size() >= reference.size() &&
          url.compare(url.size() - reference.size(), reference.size(), reference) == 0) {
        return true;
      }
    }
    return false;
  };
  EXPECT_TRUE(holds("/Patient/" + kungsbackas));
  EXPECT_FALSE(holds("/Patient/" + falkenbergs));
  // Newest first: the delete, then the Condition's create.
  EXPECT_STREQ(bundle["entry"][0]["request"]["method"].GetString(), "DELETE");
  // Everything but Falkenberg's Patient and EpisodeOfCare (the shared HealthcareServices too).
  const int all = parse(call("integration", "GET", "/_history").body)["total"].GetInt();
  EXPECT_EQ(bundle["total"].GetInt(), all - 2);

  auto page = parse(call("kungsbacka", "GET", "/_history?_count=1").body);
  EXPECT_EQ(page["entry"].Size(), 1u);
  bool hasNext = false;
  for (const auto& l : page["link"].GetArray())
    hasNext |= std::string(l["relation"].GetString()) == "next";
  EXPECT_TRUE(hasNext);
  EXPECT_EQ(call("kungsbacka", "GET", "/_history?_sort=x").status, 400);
}

TEST_F(InteractionsTest, SearchByIdAndForTheTotalAloneSeeOnlyWhatTheCallerMayRead) {
  const std::string own = harness_->enroll("kungsbacka", "19121212-1212");
  const std::string other = harness_->enroll("falkenberg", testPersonnummer(4), "F-1");
  const std::string first = condition("kungsbacka", own, "P-1");
  condition("kungsbacka", own, "P-2");
  auto byId = parse(call("kungsbacka", "GET", "/Patient?_id=" + own + "," + other).body);
  ASSERT_EQ(byId["total"].GetInt(), 1);  // Falkenberg's patient is not there for Kungsbacka
  EXPECT_EQ(byId["entry"][0]["resource"]["id"].GetString(), own);
  EXPECT_EQ(
      parse(call("integration", "GET", "/Patient?_id=" + own + "," + other).body)["total"].GetInt(),
      2);
  EXPECT_EQ(parse(call("kungsbacka", "GET", "/Condition?_id=" + first).body)["total"].GetInt(), 1);

  auto count = parse(
      call("kungsbacka", "GET", "/Condition?patient=Patient/" + own + "&_summary=count").body);
  EXPECT_EQ(count["total"].GetInt(), 2);
  EXPECT_TRUE(!count.HasMember("entry") || count["entry"].Empty());
  EXPECT_EQ(call("kungsbacka", "GET", "/Condition?_total=accurate").status, 200);
  EXPECT_EQ(call("kungsbacka", "GET", "/Condition?_summary=text").status, 400);
  EXPECT_EQ(
      call("kungsbacka", "GET", "/Condition?_summary=text", "", {{"Prefer", "handling=lenient"}})
          .status,
      400);  // a value we do not support is not an unknown parameter
}

TEST_F(InteractionsTest, SortElementsAndSummaryShapeASearchAnswer) {
  const std::string own = harness_->enroll("kungsbacka", "19121212-1212");
  std::vector<std::string> ids;
  for (const char* value : {"P-1", "P-2", "P-3"})
    ids.push_back(condition("kungsbacka", own, value));
  std::vector<std::string> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  const auto idsOf = [&](const std::string& query) {
    std::vector<std::string> out;
    auto page = parse(call("kungsbacka", "GET", "/Condition?patient=Patient/" + own + query).body);
    if (!page.HasMember("entry")) return out;
    for (const auto& e : page["entry"].GetArray()) out.push_back(e["resource"]["id"].GetString());
    return out;
  };
  EXPECT_EQ(idsOf("&_sort=_id"), sorted);
  EXPECT_EQ(idsOf("&_sort=-_id"), std::vector<std::string>(sorted.rbegin(), sorted.rend()));
  EXPECT_EQ(idsOf("&_sort=-_lastUpdated"), std::vector<std::string>(ids.rbegin(), ids.rend()));
  // Stable across pages: the second page holds what the first did not.
  std::vector<std::string> paged = idsOf("&_sort=-_id&_count=2");
  for (const auto& id : idsOf("&_sort=-_id&_count=2&_offset=2")) paged.push_back(id);
  EXPECT_EQ(paged, std::vector<std::string>(sorted.rbegin(), sorted.rend()));
  EXPECT_EQ(call("kungsbacka", "GET", "/Condition?_sort=code").status, 400);

  auto elements = parse(
      call("kungsbacka", "GET", "/Condition?patient=Patient/" + own + "&_elements=code").body);
  ASSERT_EQ(elements["entry"].Size(), 3u);
  const auto& first = elements["entry"][0]["resource"];
  EXPECT_TRUE(first.HasMember("code"));
  EXPECT_TRUE(first.HasMember("id"));
  EXPECT_FALSE(first.HasMember("subject"));
  EXPECT_FALSE(first.HasMember("identifier"));
  EXPECT_STREQ(first["meta"]["tag"][0]["code"].GetString(), "SUBSETTED");
  EXPECT_EQ(call("kungsbacka", "GET", "/Condition?_elements=code.text").status, 400);

  auto data =
      parse(call("kungsbacka", "GET", "/Condition?patient=Patient/" + own + "&_summary=data").body);
  EXPECT_TRUE(data["entry"][0]["resource"].HasMember("subject"));
  EXPECT_STREQ(data["entry"][0]["resource"]["meta"]["tag"][0]["code"].GetString(), "SUBSETTED");

  // _summary=true: the elements R4 marks isSummary (and the mandatory ones); a note is not one.
  auto noted = call("kungsbacka", "POST", "/Condition",
                    R"({"resourceType":"Condition","code":{"text":"Fall"},)"
                    R"("subject":{"reference":"Patient/)" +
                        own + R"("},"note":[{"text":"Fell in the kitchen"}]})");
  ASSERT_EQ(noted.status, 201) << noted.body;
  auto summary = parse(
      call("kungsbacka", "GET",
           "/Condition?_id=" + std::string(parse(noted.body)["id"].GetString()) + "&_summary=true")
          .body);
  ASSERT_EQ(summary["entry"].Size(), 1u);
  const auto& brief = summary["entry"][0]["resource"];
  EXPECT_TRUE(brief.HasMember("code"));
  EXPECT_TRUE(brief.HasMember("subject"));
  EXPECT_FALSE(brief.HasMember("note"));
  EXPECT_STREQ(brief["meta"]["tag"][0]["code"].GetString(), "SUBSETTED");
  EXPECT_EQ(call("kungsbacka", "GET", "/Condition?_summary=true&_elements=code").status, 400);
}

TEST_F(InteractionsTest, PatientsAreFoundByBirthdateWithinTheCallersAccess) {
  const auto enrollBornOn = [&](const std::string& client, int n, const std::string& born) {
    std::string bundle = enrollmentBundle(testPersonnummer(n), "B-" + std::to_string(n));
    bundle.replace(bundle.find("1912-12-12"), 10, born);
    auto r = call(client, "POST", "/", bundle);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? std::string(parse(r.body)["entry"][0]["resource"]["id"].GetString())
                           : std::string();
  };
  const std::string december = enrollBornOn("kungsbacka", 10, "1912-12-12");
  const std::string march = enrollBornOn("kungsbacka", 11, "1913-03-01");
  enrollBornOn("falkenberg", 12, "1912-12-12");  // not Kungsbacka's to see
  const auto found = [&](const std::string& query) {
    std::vector<std::string> ids;
    auto page = parse(call("kungsbacka", "GET", "/Patient?" + query).body);
    if (page.HasMember("entry")) {
      for (const auto& e : page["entry"].GetArray()) ids.push_back(e["resource"]["id"].GetString());
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  std::vector<std::string> both = {december, march};
  std::sort(both.begin(), both.end());
  EXPECT_EQ(found("birthdate=1912-12-12"), std::vector<std::string>{december});
  EXPECT_EQ(found("birthdate=1912"), std::vector<std::string>{december});
  EXPECT_EQ(found("birthdate=ge1912-12-12"), both);
  EXPECT_EQ(found("birthdate=gt1912-12-12"), std::vector<std::string>{march});
  EXPECT_EQ(found("birthdate=lt1913-03-01"), std::vector<std::string>{december});
  EXPECT_EQ(found("birthdate=ge1912&birthdate=le1913-02"), std::vector<std::string>{december});
  EXPECT_EQ(call("kungsbacka", "GET", "/Patient?birthdate=ne1912").status, 400);

  // A birth date known to the year or month is the period it names (R4 on ranges).
  const std::string year = enrollBornOn("kungsbacka", 13, "1920");
  const std::string june = enrollBornOn("kungsbacka", 14, "1920-06");
  std::vector<std::string> both1920 = {year, june};
  std::sort(both1920.begin(), both1920.end());
  EXPECT_EQ(found("birthdate=1920"), both1920);
  EXPECT_EQ(found("birthdate=1920-06"), std::vector<std::string>{june});
  EXPECT_EQ(found("birthdate=1920-06-15"), std::vector<std::string>{});
  EXPECT_EQ(found("birthdate=ge1920-07"), std::vector<std::string>{year});
  EXPECT_EQ(found("birthdate=lt1920-06-01&birthdate=gt1913"), std::vector<std::string>{year});
  EXPECT_EQ(found("birthdate=sa1919"), both1920);
  EXPECT_EQ(found("birthdate=eb1920-07&birthdate=gt1913"), std::vector<std::string>{june});
}

TEST_F(InteractionsTest, PatientsAreFoundByNameAndCityFoldedExactOrContainedWithinAccess) {
  const std::string asa = enroll("kungsbacka", 20, "Öberg", "Åsa", "Kungsbacka");
  const std::string tolvan = enroll("kungsbacka", 21, "Tolvansson", "Tolvan", "Kungsbacka");
  const std::string hidden = enroll("kungsbacka", 22, "Öberg", "Elsa", "Kungsbacka", "R");
  enroll("falkenberg", 23, "Öberg", "Åsa", "Falkenberg");  // not Kungsbacka's to see
  const auto found = [&](const std::string& client, const std::string& query) {
    std::vector<std::string> ids;
    auto answer = call(client, "GET", "/Patient?" + query);
    EXPECT_EQ(answer.status, 200) << query << ": " << answer.body;
    auto page = parse(answer.body);
    if (page.HasMember("entry")) {
      for (const auto& e : page["entry"].GetArray()) ids.push_back(e["resource"]["id"].GetString());
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  const auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  const std::vector<std::string> obergs = sorted({asa, hidden});
  // Starts with, regardless of case and accent; the name parameter covers every part.
  EXPECT_EQ(found("kungsbacka", "family=oberg"), obergs);
  EXPECT_EQ(found("kungsbacka", "family=%C3%96B"), obergs);  // "ÖB"
  EXPECT_EQ(found("kungsbacka", "family=berg"), std::vector<std::string>{});
  EXPECT_EQ(found("kungsbacka", "given=asa"), std::vector<std::string>{asa});
  EXPECT_EQ(found("kungsbacka", "name=tolv"), std::vector<std::string>{tolvan});
  EXPECT_EQ(found("kungsbacka", "name=asa,tolvan"), sorted({asa, tolvan}));
  // :contains anywhere; a % or _ in the value is the character itself, not a wildcard.
  EXPECT_EQ(found("kungsbacka", "family:contains=BER"), obergs);
  EXPECT_EQ(found("kungsbacka", "name:contains=%25"), std::vector<std::string>{});
  EXPECT_EQ(found("kungsbacka", "name:contains=_"), std::vector<std::string>{});
  // :exact: the whole text as written, case and accents included.
  EXPECT_EQ(found("kungsbacka", "family:exact=%C3%96berg"), obergs);  // "Öberg"
  EXPECT_EQ(found("kungsbacka", "family:exact=Oberg"), std::vector<std::string>{});
  EXPECT_EQ(found("kungsbacka", "family:exact=%C3%96"), std::vector<std::string>{});
  // A protected identity's city finds nothing, for anyone: a hit would tell where it lives.
  EXPECT_EQ(found("kungsbacka", "address-city=kungsb"), sorted({asa, tolvan}));
  EXPECT_EQ(found("integration", "address-city=kungsbacka&family=oberg"),
            std::vector<std::string>{asa});
  // Another municipality's patients are not found, by name or by city.
  EXPECT_EQ(found("falkenberg", "family=oberg").size(), 1u);
  EXPECT_EQ(found("falkenberg", "given=tolvan"), std::vector<std::string>{});
  EXPECT_EQ(found("falkenberg", "address-city=kungsbacka"), std::vector<std::string>{});
  // The modifiers are the string parameters' only; others are refused by name.
  auto refused = call("kungsbacka", "GET", "/Patient?birthdate:exact=1912");
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("not-supported"), std::string::npos) << refused.body;
  EXPECT_EQ(call("kungsbacka", "GET", "/Patient?family:above=x").status, 400);
}

TEST_F(InteractionsTest, IncludesFollowPatientReferencesBothWaysIterateAndAreReadAsTheCallerMay) {
  const std::string tolvan = enroll("kungsbacka", 30, "Tolvansson", "Tolvan", "Kungsbacka");
  const std::string hidden = enroll("kungsbacka", 31, "Öberg", "Elsa", "Kungsbacka", "R");
  const std::string fall = condition("kungsbacka", tolvan, "F-30");
  const std::string hiddenFall = condition("kungsbacka", hidden, "F-31");
  const auto episodeOf = [&](const std::string& patient) {
    auto page = parse(call("integration", "GET", "/EpisodeOfCare?patient=" + patient).body);
    return std::string(page["entry"][0]["resource"]["id"].GetString());
  };
  const std::string episode = episodeOf(tolvan);

  // _include: the Patients the matches concern, once each, as mode include.
  std::vector<std::string> expected = {"include Patient/" + hidden, "include Patient/" + tolvan,
                                       "match Condition/" + fall, "match Condition/" + hiddenFall};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(entriesOf("kungsbacka",
                      "/Condition?_id=" + fall + "," + hiddenFall + "&_include=Condition:subject"),
            expected);
  // Paging counts the matches alone: with one match a page, the included Patient does not hide
  // the next page.
  auto first = parse(
      call("kungsbacka", "GET",
           "/Condition?_id=" + fall + "," + hiddenFall + "&_include=Condition:subject&_count=1")
          .body);
  bool next = false;
  for (const auto& link : first["link"].GetArray()) {
    next |= std::string(link["relation"].GetString()) == "next";
  }
  EXPECT_TRUE(next);
  EXPECT_EQ(first["entry"].Size(), 2u);
  // _revinclude: what concerns the matched Patients.
  EXPECT_EQ(entriesOf("kungsbacka", "/Patient?_id=" + tolvan + "&_revinclude=Condition:subject"),
            (std::vector<std::string>{"include Condition/" + fall, "match Patient/" + tolvan}));
  // :iterate goes on from what was included: Conditions -> their Patient -> its EpisodeOfCare.
  EXPECT_EQ(entriesOf("kungsbacka", "/Condition?_id=" + fall +
                                        "&_include=Condition:subject"
                                        "&_revinclude:iterate=EpisodeOfCare:patient"),
            (std::vector<std::string>{"include EpisodeOfCare/" + episode,
                                      "include Patient/" + tolvan, "match Condition/" + fall}));
  // Without :iterate that revinclude cannot start from a Condition: refused, not ignored.
  auto refused =
      call("kungsbacka", "GET", "/Condition?_id=" + fall + "&_revinclude=EpisodeOfCare:patient");
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("not-supported"), std::string::npos);
  EXPECT_EQ(call("kungsbacka", "GET", "/Condition?_include=Condition:code").status, 400);
  EXPECT_EQ(call("kungsbacka", "GET", "/Patient?_revinclude=AuditEvent:patient").status, 400);

  // Nothing is included that the caller could not read itself: Falkenberg has no relationship
  // with these patients, and the protected identity comes without its address, as on a read.
  EXPECT_EQ(entriesOf("falkenberg", "/Condition?_id=" + fall + "&_include=Condition:subject"),
            std::vector<std::string>{});
  auto page = parse(
      call("kungsbacka", "GET", "/Condition?_id=" + hiddenFall + "&_include=Condition:subject")
          .body);
  ASSERT_EQ(page["entry"].Size(), 2u);
  for (const auto& e : page["entry"].GetArray()) {
    EXPECT_FALSE(e["resource"].HasMember("address")) << e["resource"]["resourceType"].GetString();
  }
  // The integration team reads it whole, include or not.
  auto whole = parse(
      call("integration", "GET", "/Condition?_id=" + hiddenFall + "&_include=Condition:subject")
          .body);
  bool address = false;
  for (const auto& e : whole["entry"].GetArray()) address |= e["resource"].HasMember("address");
  EXPECT_TRUE(address);

  // Claimed in the CapabilityStatement.
  auto capability = call("kungsbacka", "GET", "/metadata").body;
  EXPECT_NE(capability.find(R"("searchInclude":["Condition:patient","Condition:subject"])"),
            std::string::npos);
  EXPECT_NE(capability.find(R"("EpisodeOfCare:patient")"), std::string::npos);
}

TEST_F(InteractionsTest, APatchInABundleIsABinaryJsonPatchAppliedAsInEachBundleKind) {
  const std::string patient = harness_->enroll("kungsbacka", "19121212-1212");
  const std::string first = condition("kungsbacka", patient, "B-1");
  const std::string second = condition("kungsbacka", patient, "B-2");
  const auto patchEntry = [](const std::string& id, const std::string& patch,
                             const std::string& ifMatch = {}) {
    return R"({"resource":{"resourceType":"Binary","contentType":"application/json-patch+json","data":")" +
           core::base64Encode(patch) + R"("},"request":{"method":"PATCH","url":"Condition/)" + id +
           "\"" + (ifMatch.empty() ? "" : R"(,"ifMatch":")" + ifMatch + "\"") + "}}";
  };
  const std::string rename =
      R"([{"op":"test","path":"/code/text","value":"Fall"},{"op":"replace","path":"/code/text","value":"Fall i hemmet"}])";
  // A transaction: the patch joins the unit; the answer holds the patched resource.
  auto transaction = call("kungsbacka", "POST", "/",
                          R"({"resourceType":"Bundle","type":"transaction","entry":[)" +
                              patchEntry(first, rename) + "]}");
  ASSERT_EQ(transaction.status, 200) << transaction.body;
  auto answer = parse(transaction.body);
  EXPECT_STREQ(answer["entry"][0]["response"]["status"].GetString(), "200 OK");
  EXPECT_STREQ(answer["entry"][0]["resource"]["code"]["text"].GetString(), "Fall i hemmet");
  EXPECT_STREQ(
      parse(call("kungsbacka", "GET", "/Condition/" + first).body)["meta"]["versionId"].GetString(),
      "2");
  // A transaction whose patch fails writes nothing of it (the same test again fails now).
  auto failed = call("kungsbacka", "POST", "/",
                     R"({"resourceType":"Bundle","type":"transaction","entry":[)" +
                         patchEntry(second, rename) + "," + patchEntry(first, rename) + "]}");
  EXPECT_EQ(failed.status, 422) << failed.body;
  EXPECT_STREQ(
      parse(call("kungsbacka", "GET", "/Condition/" + second).body)["code"]["text"].GetString(),
      "Fall");
  // A batch: each entry on its own; a stale ifMatch is that entry's 412, a patch of what the
  // caller may not read its 404, and the good entry is written.
  auto batch =
      call("kungsbacka", "POST", "/",
           R"({"resourceType":"Bundle","type":"batch","entry":[)" + patchEntry(second, rename) +
               "," + patchEntry(first, R"([{"op":"remove","path":"/code"}])", R"(W/\"1\")") + "," +
               patchEntry("no-such-condition", rename) + "]}");
  ASSERT_EQ(batch.status, 200) << batch.body;
  auto entries = parse(batch.body)["entry"].GetArray();
  EXPECT_STREQ(entries[0]["response"]["status"].GetString(), "200 OK");
  EXPECT_EQ(std::string(entries[1]["response"]["status"].GetString()).substr(0, 3), "412");
  EXPECT_EQ(std::string(entries[2]["response"]["status"].GetString()).substr(0, 3), "404");
  EXPECT_STREQ(
      parse(call("kungsbacka", "GET", "/Condition/" + second).body)["code"]["text"].GetString(),
      "Fall i hemmet");
  // The patch must be a JSON Patch in a Binary.
  auto notBinary = call(
      "kungsbacka", "POST", "/",
      R"({"resourceType":"Bundle","type":"batch","entry":[{"resource":{"resourceType":"Basic","code":{"text":"x"}},"request":{"method":"PATCH","url":"Condition/)" +
          first + R"("}}]})");
  ASSERT_EQ(notBinary.status, 200) << notBinary.body;
  EXPECT_EQ(
      std::string(parse(notBinary.body)["entry"][0]["response"]["status"].GetString()).substr(0, 3),
      "415");
}

}  // namespace
}  // namespace brygga::testing
