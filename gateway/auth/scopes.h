#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/status.h"

// SMART on FHIR system scopes (App Launch 2.0 "system/<Type|*>.<cruds>", and the 1.0 forms
// ".read", ".write", ".*"), as a set that narrows what a client's role allows.
namespace brygga::auth {

enum class Interaction : unsigned {
  kCreate = 1,
  kRead = 2,
  kUpdate = 4,
  kDelete = 8,
  kSearch = 16,
};

// "c", "r", "u", "d" or "s".
char letterOf(Interaction interaction);

class ScopeSet {
 public:
  // Space-separated scopes. Each must be system/<Type or *>.<permissions>, the permissions the
  // v2 letters in the order c r u d s (at least one), or v1 read (= rs), write (= cud) or * (=
  // cruds). kInvalidArgument naming the first scope that is not one: patient/ and user/ scopes,
  // launch, openid and anything else a backend service has no use for are refused.
  static core::StatusOr<ScopeSet> parse(std::string_view text);
  // Every interaction on every type: what a client without scope restrictions may do.
  static ScopeSet all();

  bool permits(std::string_view type, Interaction interaction) const;
  // Whether every interaction `other` grants is granted here too.
  bool covers(const ScopeSet& other) const;
  // The first scope of `other` this set does not cover (as written); empty when it covers all.
  std::string firstNotCovered(const ScopeSet& other) const;
  // The scopes in v2 form ("system/Patient.rs system/*.c"), for the token answer.
  std::string toString() const;
  // The scope a request would need: "system/EpisodeOfCare.c".
  static std::string needed(std::string_view type, Interaction interaction);

 private:
  struct Grant {
    std::string type;  // "*" for every type
    unsigned interactions = 0;
    std::string text;  // as written
  };
  std::vector<Grant> grants_;
};

}  // namespace brygga::auth
