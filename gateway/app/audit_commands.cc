#include "gateway/app/audit_commands.h"

#include <sysexits.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string_view>

#include "gateway/app/gateway.h"
#include "gateway/app/progress.h"
#include "gateway/app/store_opening.h"
#include "gateway/audit/audit_keys.h"
#include "gateway/audit/audit_trail.h"
#include "gateway/audit/audit_verifier.h"
#include "gateway/audit/log_extract.h"
#include "gateway/audit/provenance.h"
#include "gateway/audit/signed_note.h"
#include "gateway/core/text.h"
#include "gateway/core/time_source.h"
#include "gateway/fhir/swedish_identifiers.h"

namespace brygga::app {

namespace {

// The audit records a patient may have; an extract lists them all.
constexpr int kMaxExtractRecords = 10000000;

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  size_t start = 0;
  while (start < s.size() && s[start] == ' ') ++start;
  return s.substr(start);
}

std::string flag(const std::map<std::string, std::string>& flags, const std::string& name) {
  auto it = flags.find(name);
  return it == flags.end() ? std::string() : it->second;
}

// The existing database of the config (never a new, empty SQLite file).
core::StatusOr<std::unique_ptr<store::Store>> openExisting(const GatewayConfig& config,
                                                           int& exitCode) {
  auto store = openConfiguredStore(config, StoreUse::kExisting);
  if (!store.isOk()) {
    exitCode = store.status().code() == core::StatusCode::kNotFound ? EX_NOINPUT : EX_IOERR;
  }
  return store;
}

// What --patient names: a person number (12 digits, with or without the hyphen) or a Patient id
// (Patient/ID or ID).
struct PatientArgument {
  std::optional<fhir::PersonNumber> number;
  std::string id;
};

// Messages never repeat the text: it may be a personnummer.
core::StatusOr<PatientArgument> patientArgument(const std::string& text) {
  constexpr const char* kForms =
      "a personnummer or samordningsnummer (12 digits, with or without the hyphen) or a Patient "
      "id (Patient/ID)";
  if (text.empty()) return core::invalidArgument(std::string("--patient is required: ") + kForms);
  size_t digits = 0, separators = 0;
  for (char c : text) {
    digits += core::isAsciiDigit(c) ? 1 : 0;
    separators += c == '-' || c == '+' ? 1 : 0;
  }
  PatientArgument argument;
  if (digits == 12 && digits + separators == text.size() && separators <= 1) {
    for (std::string_view system : {fhir::kPersonnummerSystem, fhir::kSamordningsnummerSystem}) {
      if (auto number = fhir::personNumberOf(system, text); number.isOk()) {
        argument.number = *number;
        return argument;
      }
    }
    return core::invalidArgument(
        "--patient is not a valid personnummer or samordningsnummer (date or check digit)");
  }
  argument.id = text.rfind("Patient/", 0) == 0 ? text.substr(8) : text;
  bool valid = !argument.id.empty() && argument.id.size() <= 64;
  for (char c : argument.id) valid = valid && (core::isAsciiAlnum(c) || c == '-' || c == '.');
  if (!valid) return core::invalidArgument(std::string("--patient must be ") + kForms);
  return argument;
}

// The id of the Patient the argument names, through the store's patient identity for a person
// number; kNotFound when the data dir knows no such patient.
core::StatusOr<std::string> resolvePatient(store::Store& store, const PatientArgument& argument) {
  if (argument.number) {
    BRYGGA_ASSIGN_OR_RETURN(const std::optional<std::string> id,
                            store.resources().patientByNumber(fhir::toString(argument.number->kind),
                                                              argument.number->number));
    if (!id) return core::notFound("no Patient with that person number in this data dir");
    return *id;
  }
  BRYGGA_ASSIGN_OR_RETURN(const auto record, store.resources().read("Patient", argument.id));
  if (!record) return core::notFound("no Patient/" + argument.id + " in this data dir");
  return argument.id;
}

}  // namespace

int auditVerifyCommand(const GatewayConfig& config, const std::map<std::string, std::string>& flags,
                       std::ostream& out, std::ostream& err) {
  audit::AuditVerifyOptions options;
  options.origin = auditOrigin(config);
  if (const std::string keyFile = flag(flags, "key"); !keyFile.empty()) {
    auto text = audit::readFile(keyFile);
    if (!text.isOk()) {
      err << "brygga: cannot read the key file " << keyFile << "\n";
      return EX_NOINPUT;
    }
    auto key = text->find("-----BEGIN") != std::string::npos
                   ? audit::NoteVerifier::fromPublicKeyPem(options.origin, *text)
                   : audit::NoteVerifier::fromVkey(trim(*text));
    if (!key.isOk()) {
      err << "brygga: " << keyFile << ": " << key.status().message() << "\n";
      return EX_CONFIG;
    }
    options.key = *key;
    // A vkey names its log (the key name is the origin): on another machine the host-name
    // default would not.
    if (config.audit.origin.empty()) options.origin = key->name();
  } else {
    // The gateway's own key, when this runs where the gateway does.
    const std::string signingKey = auditSigningKeyFile(config);
    if (auto pem = audit::readFile(signingKey); pem.isOk()) {
      auto signer = audit::NoteSigner::fromPrivateKeyPem(options.origin, *pem);
      if (!signer.isOk()) {
        err << "brygga: " << signingKey << ": " << signer.status().message() << "\n";
        return EX_CONFIG;
      }
      options.key = signer->verifier();
    }
  }
  if (const std::string file = flag(flags, "checkpoint"); !file.empty()) {
    auto note = audit::readFile(file);
    if (!note.isOk()) {
      err << "brygga: cannot read the checkpoint file " << file << "\n";
      return EX_NOINPUT;
    }
    options.checkpoints.push_back(*note);
  }

  int exitCode = EX_OK;
  auto store = openExisting(config, exitCode);
  if (!store.isOk()) {
    err << "brygga: " << store.status().message() << "\n";
    return exitCode;
  }
  ProgressLines progress(err, "audit verify", "records");
  options.progress = [&](int64_t checked, int64_t total) { progress(checked, total); };
  auto result = audit::verifyAuditLog(**store, options);
  if (!result.isOk()) {
    err << "brygga: " << result.status().message() << "\n";
    return result.status().code() == core::StatusCode::kInvalidArgument ? EX_NOINPUT : EX_IOERR;
  }
  if (!result->intact()) {
    out << "audit log BROKEN";
    if (result->firstBadSeq > 0) out << " at record " << result->firstBadSeq;
    out << ": " << result->problem << "\n";
    return EX_DATAERR;
  }
  out << "audit log intact: " << result->recordsChecked
      << " records, hash chain and Merkle tree recomputed; " << result->checkpointsChecked
      << " signed checkpoints verified";
  if (result->checkpointsChecked > 0) {
    out << " (the latest covers " << result->latestCheckpointSize << " records";
    const int64_t unsigned_ = result->recordsChecked - result->latestCheckpointSize;
    if (unsigned_ > 0) out << "; " << unsigned_ << " newer ones are not yet signed";
    out << ")";
  }
  if (result->recordsWithoutLeaf > 0) {
    out << "; " << result->recordsWithoutLeaf
        << " old records get their Merkle leaf when the gateway next starts";
  }
  out << "\n";
  return EX_OK;
}

int auditExtractCommand(const GatewayConfig& config,
                        const std::map<std::string, std::string>& flags, std::ostream& out,
                        std::ostream& err) {
  const std::string format = flags.count("json") > 0     ? std::string("json")
                             : flags.count("format") > 0 ? flag(flags, "format")
                                                         : std::string("text");
  if (format != "text" && format != "json") {
    err << "brygga audit extract: --format must be text or json\n";
    return EX_USAGE;
  }
  auto asked = patientArgument(flag(flags, "patient"));
  if (!asked.isOk()) {
    err << "brygga audit extract: " << asked.status().message() << "\n";
    return EX_USAGE;
  }
  int exitCode = EX_OK;
  auto store = openExisting(config, exitCode);
  if (!store.isOk()) {
    err << "brygga: " << store.status().message() << "\n";
    return exitCode;
  }
  auto id = resolvePatient(**store, *asked);
  if (!id.isOk()) {
    err << "brygga audit extract: " << id.status().message() << "\n";
    return id.status().code() == core::StatusCode::kNotFound ? EX_NOINPUT : EX_IOERR;
  }
  const std::string patient = "Patient/" + *id;
  core::RealTimeSystem clock;
  // The extract is an access to the patient's log like GET AuditEvent?patient=: recorded first,
  // so that it cannot be made without leaving its own trace.
  const char* user = std::getenv("USER");
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  audit::AuditContext context;
  context.recordedMs = clock.nowMs();
  context.subtype = "search-type";
  context.action = 'E';
  context.httpStatus = 200;
  context.outcomeText = "log extract (" + format + ")";
  context.clientId = std::string("cli:") + (user != nullptr && *user != '\0' ? user : "unknown");
  context.clientRole = "operator";
  context.clientAddress = host;
  context.patient = patient;
  context.query = "patient=" + patient;
  core::Status recorded = (*store)->write([&](store::StoreTransaction& txn) {
    return audit::AuditTrail::append(txn, context).status();
  });
  if (!recorded.isOk()) {
    err << "brygga: the extract could not be recorded in the audit log, so it is not made: "
        << recorded.message() << "\n";
    return EX_IOERR;
  }
  auto records = (*store)->auditLog().auditRecordsForPatient(patient, kMaxExtractRecords);
  if (!records.isOk()) {
    err << "brygga: " << records.status().message() << "\n";
    return EX_IOERR;
  }
  if (format == "json") {
    out << audit::extractBundle(*records, clock.nowMs()) << "\n";
  } else {
    out << audit::extractTable(*records, patient, clock.nowMs());
  }
  return EX_OK;
}

int auditRotateKeyCommand(const GatewayConfig& config, const std::map<std::string, std::string>&,
                          std::ostream& out, std::ostream& err) {
  int exitCode = EX_OK;
  auto store = openExisting(config, exitCode);
  if (!store.isOk()) {
    err << "brygga: " << store.status().message() << "\n";
    return exitCode;
  }
  core::RealTimeSystem clock;
  auto rotated =
      audit::rotateSigningKey(**store, auditOrigin(config), auditSigningKeyFile(config), clock);
  if (!rotated.isOk()) {
    err << "brygga: the audit signing key was not rotated: " << rotated.status().message() << "\n";
    if (rotated.status().code() == core::StatusCode::kConflict) return EX_TEMPFAIL;
    if (rotated.status().code() == core::StatusCode::kInvalidArgument) return EX_CONFIG;
    return EX_IOERR;
  }
  out << "audit signing key rotated\n"
      << "old key: " << rotated->oldVkey << " (signed checkpoints up to size "
      << rotated->lastOldCheckpointSize << ")\n"
      << "new key: " << rotated->newVkey << " (signs from size " << rotated->validFromSize << ")\n"
      << "a running gateway signs with the new key from its next checkpoint; publish the new "
         "key to auditors (GET /audit/key lists both, with the rotation note)\n";
  return EX_OK;
}

int verifyProvenanceCommand(const GatewayConfig& config, const std::vector<std::string>& files,
                            const std::map<std::string, std::string>& flags, std::ostream& out,
                            std::ostream& err) {
  if (files.empty()) {
    err << "brygga verify-provenance: name at least one Bundle file\n";
    return EX_USAGE;
  }
  // The signer's certificate comes with the Bundle; only a CA named here makes it mean anything.
  std::string caFile = flag(flags, "ca");
  if (caFile.empty()) caFile = config.audit.provenanceTrustFile;
  if (caFile.empty()) {
    err << "brygga verify-provenance: no trusted CA: give --ca FILE, or set "
           "audit.provenanceTrustFile in the --config file\n";
    return EX_CONFIG;
  }
  auto ca = audit::readFile(caFile);
  if (!ca.isOk()) {
    err << "brygga: cannot read the CA file " << caFile << "\n";
    return EX_NOINPUT;
  }
  bool allValid = true;
  for (const std::string& file : files) {
    auto bundle = audit::readFile(file);
    if (!bundle.isOk()) {
      out << file << ": INVALID: cannot read it\n";
      allValid = false;
      continue;
    }
    auto checked = audit::verifyBundleProvenance(*bundle, *ca);
    if (!checked.isOk()) {
      out << file << ": INVALID: " << checked.status().message() << "\n";
      allValid = false;
      continue;
    }
    out << file << ": valid: " << checked->signatures << " signature"
        << (checked->signatures == 1 ? "" : "s") << " over " << checked->targets
        << " resources, signed by";
    for (const std::string& signer : checked->signers) out << " " << signer;
    out << "\n";
  }
  return allValid ? EX_OK : EX_DATAERR;
}

}  // namespace brygga::app
