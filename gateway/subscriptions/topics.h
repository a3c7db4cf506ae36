#pragma once

#include <string>
#include <string_view>
#include <vector>

// The subscription topics Brygga offers (the R4 Subscriptions Backport IG): one per home-care
// message a subscriber may want to hear of. A topic is raised by the write units the flows name
// with one of its message kinds (store::kMessageKinds), and its focus is the unit's resource of
// the first of its focus types that the unit wrote.
namespace brygga::subscriptions {

struct Topic {
  std::string url;                      // the canonical Subscription.criteria names
  std::string code;                     // "enrollment"
  std::string title;                    // for the CapabilityStatement
  std::vector<std::string> kinds;       // the message kinds that raise it
  std::vector<std::string> focusTypes;  // in order of preference
};

// The four topics, in a fixed order.
const std::vector<Topic>& topics();
// nullptr when `url` names none of them.
const Topic* topicByUrl(std::string_view url);
// The topic a message of `kind` raises; nullptr for none.
const Topic* topicForKind(std::string_view kind);

// The filters a Subscription may narrow a topic with (backport-filter-criteria), for every topic:
// patient (Patient/<id>), service-point (its code, e.g. kungsbacka) and municipality (a tenant,
// e.g. varberg: the municipality whose home care the patient is in).
const std::vector<std::string>& filterParameters();

}  // namespace brygga::subscriptions
