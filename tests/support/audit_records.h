#pragma once

#include <memory>
#include <utility>

#include "adapters/http_client.h"
#include "gateway/audit/audit_trail.h"
#include "gateway/audit/fhir_audit_sink.h"
#include "gateway/core/digest.h"
#include "gateway/core/status.h"
#include "gateway/store/sqlite_store.h"
#include "gateway/store/store.h"
#include "tests/support/test_support.h"

// Audit logs with many records, and a repository to forward them to, for the forwarding tests
// and benchmarks. Header-only: the test support library does not link the audit module.
namespace brygga::testing {

// A search by Halmstad on one of 97 patients, the commonest record of a busy gateway.
inline audit::AuditContext searchAuditEvent(int i) {
  audit::AuditContext c;
  c.recordedMs = 1795428900000 + i;
  c.subtype = "search-type";
  c.action = 'E';
  c.clientId = "halmstad";
  c.clientAddress = "10.1.2.3";
  c.requestId = core::newUuid();
  c.patient = "Patient/p" + std::to_string(i % 97);
  c.query = "patient=Patient/p" + std::to_string(i % 97);
  return c;
}

// A read by Laholm, without a patient.
inline audit::AuditContext readAuditEvent(int i) {
  audit::AuditContext c;
  c.recordedMs = 1795428900000 + i;
  c.subtype = "read";
  c.action = 'R';
  c.clientId = "laholm";
  c.requestId = core::newUuid();
  return c;
}

// Appends `count` records made by `make` (given 0, 1, ...), `perUnit` to a write unit.
inline core::Status appendAuditRecords(store::Store& store, int count, int perUnit,
                                       audit::AuditContext (*make)(int)) {
  for (int first = 0; first < count; first += perUnit) {
    BRYGGA_RETURN_IF_ERROR(store.write([&](store::StoreTransaction& txn) -> core::Status {
      for (int i = first; i < count && i < first + perUnit; ++i) {
        auto seq = audit::AuditTrail::append(txn, make(i));
        if (!seq.isOk()) return seq.status();
      }
      return core::Status::ok();
    }));
  }
  return core::Status::ok();
}

// A SQLite store in `dir` holding `count` records made by `make`; null when that failed.
inline std::unique_ptr<store::Store> storeWithAuditRecords(const TempDir& dir, int count,
                                                           int perUnit,
                                                           audit::AuditContext (*make)(int)) {
  store::SqliteOptions options;
  options.path = dir.file("brygga.db");
  auto store = store::openSqliteStore(options);
  if (!store.isOk() || !appendAuditRecords(**store, count, perUnit, make).isOk()) return nullptr;
  return std::move(store).value();
}

// A FHIR sink posting to `arr`, which takes every AuditEvent (201).
inline std::unique_ptr<audit::AuditSink> fhirSinkTakingEverything(TestPeer& arr) {
  arr.setHandler([](const TestPeer::Request&) {
    TestPeer::Response r;
    r.status = 201;
    return r;
  });
  adapters::HttpPeer destination;
  destination.baseUrl = arr.baseUrl();
  return std::make_unique<audit::FhirAuditSink>(arr.baseUrl(),
                                                adapters::makeCurlHttpClient(destination));
}

}  // namespace brygga::testing
