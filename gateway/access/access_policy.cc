#include "gateway/access/access_policy.h"

#include <algorithm>

#include "gateway/fhir/resource_types.h"

namespace brygga::access {

namespace {

constexpr int64_t kDayMs = 24LL * 60 * 60 * 1000;

bool blockStands(const store::PatientBlock& b, std::string_view party, int64_t nowMs) {
  return b.active && b.party == party && b.startMs <= nowMs && (b.endMs == 0 || b.endMs > nowMs);
}

}  // namespace

std::string tenantParty(std::string_view tenant) {
  return "tenant:" + std::string(tenant);
}

const char* toString(RelationshipState state) {
  switch (state) {
    case RelationshipState::kNone:
      return "none";
    case RelationshipState::kActive:
      return "active";
    case RelationshipState::kGrace:
      return "grace";
    case RelationshipState::kEnded:
      return "ended";
  }
  return "none";
}

AccessPolicy::AccessPolicy(AccessConfig config)
    : graceMs_(static_cast<int64_t>(std::max(config.relationshipGraceDays, 0)) * kDayMs) {}

CallerAccess AccessPolicy::forCaller(core::ClientRole role, std::string tenant,
                                     int64_t nowMs) const {
  return CallerAccess(*this, role, std::move(tenant), nowMs);
}

std::optional<store::PatientBlock> AccessPolicy::blockAgainst(
    const store::PatientAccessFacts& facts, std::string_view party, int64_t nowMs) {
  if (party.empty()) return std::nullopt;
  for (const store::PatientBlock& b : facts.blocks) {
    if (blockStands(b, party, nowMs)) return b;
  }
  return std::nullopt;
}

CallerAccess::CallerAccess(const AccessPolicy& policy, core::ClientRole role, std::string tenant,
                           int64_t nowMs)
    : policy_(policy), role_(role), tenant_(std::move(tenant)), nowMs_(nowMs) {
  if (role_ == core::ClientRole::kMunicipal) party_ = tenantParty(tenant_);
  if (role_ == core::ClientRole::kRegional) party_ = std::string(kRegionParty);
}

// Active: status active, planned, onhold or waitlist and no end yet. The store's SQL says the
// same (see store::Visibility): active with no end, or an end after now minus the grace period.
bool CallerAccess::active(const store::CareRelationship& r) const {
  return r.active && (r.endedMs == 0 || r.endedMs > nowMs_);
}

bool CallerAccess::counts(const store::CareRelationship& r) const {
  if (role_ == core::ClientRole::kMunicipal && r.tenant != tenant_) return false;
  return role_ != core::ClientRole::kIntegration;
}

RelationshipState CallerAccess::relationship(const store::PatientAccessFacts& facts) const {
  RelationshipState best = RelationshipState::kNone;
  for (const store::CareRelationship& r : facts.relationships) {
    if (!counts(r)) continue;
    if (active(r)) return RelationshipState::kActive;
    if (r.endedMs == 0) continue;  // never active, never ended (entered in error)
    if (r.endedMs + policy_.graceMs() > nowMs_) {
      best = RelationshipState::kGrace;
    } else if (best == RelationshipState::kNone) {
      best = RelationshipState::kEnded;
    }
  }
  return best;
}

Decision CallerAccess::readPatient(const store::PatientAccessFacts& facts) const {
  if (readsEverything()) return {};
  const RelationshipState state = relationship(facts);
  if (state != RelationshipState::kActive && state != RelationshipState::kGrace) {
    return {Verdict::kNoRelationship, {}};
  }
  if (AccessPolicy::blockAgainst(facts, party_, nowMs_)) return {Verdict::kBlocked, party_};
  return {};
}

Decision CallerAccess::writePatient(const store::PatientAccessFacts& facts,
                                    bool unitEstablishes) const {
  if (readsEverything()) return {};  // what it may write at all is mayWriteType's
  // An enrollment gives the relationship; a block still stands against the party.
  if (unitEstablishes && role_ == core::ClientRole::kMunicipal) {
    if (AccessPolicy::blockAgainst(facts, party_, nowMs_)) return {Verdict::kBlocked, party_};
    return {};
  }
  return readPatient(facts);
}

core::StatusOr<Decision> CallerAccess::read(const store::ResourceRecord& record,
                                            const FactsReader& facts) const {
  if (readsEverything()) return Decision{};
  if (record.patientId.empty()) {
    if (readsOwner(record.tenant)) return Decision{};
    return Decision{Verdict::kNoRelationship, {}};
  }
  BRYGGA_ASSIGN_OR_RETURN(store::PatientAccessFacts f, facts(record.patientId));
  return readPatient(f);
}

bool CallerAccess::ownerWrites(std::string_view type, const std::string& patientId) {
  return patientId.empty() || type == "EpisodeOfCare" || type == "Consent";
}

std::string CallerAccess::owner(std::string_view type) const {
  if (role_ == core::ClientRole::kMunicipal) return tenant_;
  return type == "Subscription" ? std::string(kRegionParty) : std::string();
}

bool CallerAccess::readsOwner(const std::string& tenant) const {
  return role_ != core::ClientRole::kMunicipal || tenant.empty() || tenant == tenant_;
}

Decision CallerAccess::writeOwned(const store::ResourceRecord& existing) const {
  // The integration team lifts any block; the rest write only what they own.
  if (readsEverything() && existing.type == "Consent") return {};
  if (existing.tenant == owner(existing.type)) return {};
  return {Verdict::kNotOwner, {}};
}

core::Status CallerAccess::mayWriteType(std::string_view type) const {
  if (fhir::isReadOnlyResourceType(type)) {
    return {core::StatusCode::kMethodNotAllowed,
            std::string(type) + " is written by Brygga itself; read only"};
  }
  if (role_ == core::ClientRole::kIntegration && type != "Consent") {
    return core::permissionDenied(
        "the integration role reads and operates; it writes only blocks (Consent)");
  }
  if (role_ == core::ClientRole::kRegional && type == "Consent") {
    return core::permissionDenied(
        "a block (Consent) is registered by the patient's municipality or the integration team");
  }
  return core::Status::ok();
}

std::optional<store::Visibility> CallerAccess::visibility(
    std::vector<std::string> alsoPatients) const {
  if (readsEverything()) return std::nullopt;
  store::Visibility v;
  if (role_ == core::ClientRole::kMunicipal) {
    v.relationshipTenant = tenant_;
    v.owners = std::vector<std::string>{"", tenant_};
  }
  v.endedAfterMs = nowMs_ - policy_.graceMs();
  v.alsoPatients = std::move(alsoPatients);
  v.blockedParty = party_;
  v.nowMs = nowMs_;
  return v;
}

}  // namespace brygga::access
