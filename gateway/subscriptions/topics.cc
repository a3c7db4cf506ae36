#include "gateway/subscriptions/topics.h"

#include <algorithm>

namespace brygga::subscriptions {

const std::vector<Topic>& topics() {
  static const std::vector<Topic> kTopics = {
      {"https://brygga.se/fhir/SubscriptionTopic/enrollment",
       "enrollment",
       "Home-care enrollments and discharges",
       {"enrollment", "discharge"},
       {"EpisodeOfCare"}},
      {"https://brygga.se/fhir/SubscriptionTopic/visit",
       "visit",
       "Physician visits, visit notes and admissions",
       {"visit", "visit note", "admission"},
       {"Encounter", "Composition", "DocumentReference"}},
      {"https://brygga.se/fhir/SubscriptionTopic/careplan",
       "careplan",
       "Care plans and their changes",
       {"care plan"},
       {"CarePlan"}},
      {"https://brygga.se/fhir/SubscriptionTopic/consultation",
       "consultation",
       "Consultation requests and their answers",
       {"consultation"},
       {"Task", "ServiceRequest"}},
  };
  return kTopics;
}

const Topic* topicByUrl(std::string_view url) {
  for (const Topic& t : topics()) {
    if (t.url == url) return &t;
  }
  return nullptr;
}

const Topic* topicForKind(std::string_view kind) {
  for (const Topic& t : topics()) {
    if (std::find(t.kinds.begin(), t.kinds.end(), kind) != t.kinds.end()) return &t;
  }
  return nullptr;
}

const std::vector<std::string>& filterParameters() {
  static const std::vector<std::string> kParams = {"patient", "service-point", "municipality"};
  return kParams;
}

}  // namespace brygga::subscriptions
