// Reading a Subscription (R4 Subscriptions Backport) and the notification Bundles: pure.
#include <gtest/gtest.h>

#include "gateway/fhir/json.h"
#include "gateway/subscriptions/notifications.h"
#include "gateway/subscriptions/subscription_spec.h"

namespace brygga::subscriptions {
namespace {

rapidjson::Document doc(const std::string& json) {
  auto parsed = fhir::parseJson(json);
  EXPECT_TRUE(parsed.isOk()) << parsed.status().toString();
  return std::move(parsed).value();
}

std::string subscription(const std::string& criteria, const std::string& channel,
                         const std::string& extra = "") {
  return R"({"resourceType":"Subscription","id":"s1","status":"requested","reason":"r",)"
         R"("criteria":")" +
         criteria + "\"" + extra + R"(,"channel":)" + channel + "}";
}

constexpr const char* kRestHook =
    R"({"type":"rest-hook","endpoint":"https://hook.example.se/x","payload":"application/fhir+json"})";

TEST(SubscriptionSpec, ReadsTopicFiltersContentAndHeartbeat) {
  const std::string json = subscription(
      "https://brygga.se/fhir/SubscriptionTopic/visit",
      R"({"type":"rest-hook","endpoint":"https://hook.example.se/x","payload":"application/fhir+json",
          "_payload":{"extension":[{"url":")" +
          std::string(kPayloadContentUrl) + R"(","valueCode":"full-resource"}]},
          "extension":[{"url":")" +
          std::string(kHeartbeatPeriodUrl) + R"(","valueUnsignedInt":60}],
          "header":["Authorization: Bearer abc"]})",
      R"(,"_criteria":{"extension":[{"url":")" + std::string(kFilterCriteriaUrl) +
          R"(","valueString":"Encounter?municipality=varberg&service-point=kungsbacka"}]})");
  auto spec = readSubscription(doc(json));
  ASSERT_TRUE(spec.isOk()) << spec.status().toString();
  ASSERT_NE(spec->topic, nullptr);
  EXPECT_EQ(spec->topic->code, "visit");
  EXPECT_EQ(spec->content, Content::kFullResource);
  EXPECT_EQ(spec->heartbeatPeriodS, 60);
  ASSERT_EQ(spec->filters.size(), 2u);
  EXPECT_EQ(spec->filters[0].parameter, "municipality");
  EXPECT_EQ(spec->filters[1].value, "kungsbacka");
  ASSERT_EQ(spec->headers.size(), 1u);
  EXPECT_EQ(spec->headers[0].second, "Bearer abc");
}

TEST(SubscriptionSpec, RefusesWhatBryggaDoesNotOffer) {
  auto unknownTopic = readSubscription(doc(subscription("https://example.org/topic", kRestHook)));
  ASSERT_FALSE(unknownTopic.isOk());
  EXPECT_EQ(unknownTopic.status().httpStatus(), 422);
  ASSERT_FALSE(unknownTopic.status().issues().empty());
  EXPECT_EQ(unknownTopic.status().issues()[0].expression, "Subscription.criteria");

  auto email =
      readSubscription(doc(subscription("https://brygga.se/fhir/SubscriptionTopic/visit",
                                        R"({"type":"email","endpoint":"mailto:a@b.se"})")));
  EXPECT_FALSE(email.isOk());

  for (const char* header :
       {"Content-Type: text/plain", "Host: evil", "bad header", "X: a\\u0001"}) {
    auto h = readSubscription(doc(
        subscription("https://brygga.se/fhir/SubscriptionTopic/visit",
                     std::string(R"({"type":"rest-hook","endpoint":"https://h.se/x","header":[")") +
                         header + "\"]}")));
    EXPECT_FALSE(h.isOk()) << header;
  }
}

TEST(SubscriptionSpec, AnEndpointCannotStepOutOfItsPrefix) {
  for (const char* endpoint : {"https://h.se/hooks/../admin", "https://h.se/hooks/%2E%2e/admin",
                               "https://h.se/hooks/./x", "https://h.se/hooks/a b",
                               "https://h.se/hooks/x#y", "ftp://h.se/x", "https://h.se/a\\\\b"}) {
    auto spec = readSubscription(
        doc(subscription("https://brygga.se/fhir/SubscriptionTopic/visit",
                         std::string(R"({"type":"rest-hook","endpoint":")") + endpoint + "\"}")));
    EXPECT_FALSE(spec.isOk()) << endpoint;
  }
  auto fine = readSubscription(
      doc(subscription("https://brygga.se/fhir/SubscriptionTopic/visit",
                       R"({"type":"rest-hook","endpoint":"https://h.se/hooks/a..b?x=../y"})")));
  EXPECT_TRUE(fine.isOk()) << fine.status().toString();
}

TEST(SubscriptionSpec, FilterCriteria) {
  EXPECT_TRUE(parseFilterCriteria("patient=Patient/abc").isOk());
  EXPECT_FALSE(parseFilterCriteria("patient=abc").isOk());
  EXPECT_FALSE(parseFilterCriteria("name=Tolvan").isOk());
  EXPECT_FALSE(parseFilterCriteria("municipality:exact=varberg").isOk());
  EXPECT_FALSE(parseFilterCriteria("Nonsense?municipality=varberg").isOk());
  EXPECT_FALSE(parseFilterCriteria("municipality=").isOk());
  auto decoded = parseFilterCriteria("service-point=kungs%62acka");
  ASSERT_TRUE(decoded.isOk());
  EXPECT_EQ((*decoded)[0].value, "kungsbacka");
}

TEST(Notifications, EmptyContentNamesNothing) {
  Notification n;
  n.subscriptionId = "s1";
  n.topic = topicByUrl("https://brygga.se/fhir/SubscriptionTopic/enrollment");
  n.status = "active";
  n.eventsSinceStart = 7;
  n.eventNumber = 7;
  n.content = Content::kEmpty;
  n.focus = {
      {"EpisodeOfCare", "episode-x", R"({"resourceType":"EpisodeOfCare","id":"episode-x"})", true}};
  n.patientId = "patient-y";
  const std::string empty = notificationBundle(n);
  EXPECT_EQ(notificationTypeOf(empty), "event-notification");
  EXPECT_EQ(empty.find("episode-x"), std::string::npos);
  EXPECT_EQ(empty.find("patient-y"), std::string::npos);

  n.content = Content::kFullResource;
  n.baseUrl = "https://brygga.example.se/fhir";
  auto full = doc(notificationBundle(n));
  ASSERT_EQ(full["entry"].Size(), 2u);
  EXPECT_STREQ(full["entry"][1]["fullUrl"].GetString(),
               "https://brygga.example.se/fhir/EpisodeOfCare/episode-x");
  EXPECT_STREQ(full["entry"][1]["request"]["method"].GetString(), "POST");
  EXPECT_STREQ(full["entry"][1]["resource"]["id"].GetString(), "episode-x");
}

}  // namespace
}  // namespace brygga::subscriptions
