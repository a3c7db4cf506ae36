#pragma once

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "gateway/app/gateway_config.h"

// `brygga audit verify` and `brygga audit extract` (on the data dir `serve` uses) and
// `brygga verify-provenance`. They return a
// sysexits code: 0 OK, 64 usage, 65 the log is broken, 66 no database or key file, 74 database
// errors, 78 configuration (a key that does not parse).
namespace brygga::app {

// Flags: key (a PEM public key or a signed-note vkey; default: derived from the signing key file),
// checkpoint (a signed checkpoint note saved earlier, checked too).
int auditVerifyCommand(const GatewayConfig& config, const std::map<std::string, std::string>& flags,
                       std::ostream& out, std::ostream& err);

// Flags: patient (required: a personnummer or samordningsnummer, 12 digits with or without the
// hyphen, resolved through the store's patient identity; or a Patient id, Patient/ID or ID),
// format (text or json; default text) or json. 64 for a malformed patient, 66 for one the data dir
// does not know; no message repeats a person number. The extract is itself recorded in the audit
// log (and so appears in its own listing) before it is printed.
int auditExtractCommand(const GatewayConfig& config,
                        const std::map<std::string, std::string>& flags, std::ostream& out,
                        std::ostream& err);

// `brygga audit rotate-key`: a new Ed25519 signing key (gateway/audit/audit_keys.h). Prints the
// old and the new vkey and the tree size the new key signs from. 74 on database or file errors,
// 75 (EX_TEMPFAIL) when a running gateway kept signing checkpoints and the rotation gave up.
int auditRotateKeyCommand(const GatewayConfig& config,
                          const std::map<std::string, std::string>& flags, std::ostream& out,
                          std::ostream& err);

// `brygga verify-provenance FILE... [--ca FILE]`: checks the signed Provenance of each Bundle
// file (gateway/audit/provenance.h) against the CA of --ca, else audit.provenanceTrustFile, and
// prints one line per file; 65 when any fails, 78 when neither names a CA.
int verifyProvenanceCommand(const GatewayConfig& config, const std::vector<std::string>& files,
                            const std::map<std::string, std::string>& flags, std::ostream& out,
                            std::ostream& err);

}  // namespace brygga::app
