#pragma once

#include <string>

namespace brygga::testing {

// An enrollment transaction Bundle: a Patient with a personnummer and an EpisodeOfCare referring
// to it by urn:uuid, both conditional creates keyed on their identifiers.
inline std::string enrollmentBundle(const std::string& personnummer = "19121212-1212",
                                    const std::string& episodeId = "E-1001",
                                    const std::string& status = "active") {
  return R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"fullUrl":"urn:uuid:7f1c2d3e-0000-4000-8000-000000000001",
     "resource":{"resourceType":"Patient",
       "identifier":[{"system":"http://electronichealth.se/identifier/personnummer","value":")" +
         personnummer + R"("}],
       "name":[{"family":"Tolvansson","given":["Tolvan"]}],"gender":"male","birthDate":"1912-12-12"},
     "request":{"method":"POST","url":"Patient",
       "ifNoneExist":"identifier=http://electronichealth.se/identifier/personnummer|)" +
         personnummer + R"("}},
    {"fullUrl":"urn:uuid:7f1c2d3e-0000-4000-8000-000000000002",
     "resource":{"resourceType":"EpisodeOfCare",
       "identifier":[{"system":"https://kungsbacka.se/hemsjukvard/inskrivning","value":")" +
         episodeId + R"("}],
       "status":")" +
         status + R"(",
       "type":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/episodeofcare-type","code":"hacc"}]}],
       "patient":{"reference":"urn:uuid:7f1c2d3e-0000-4000-8000-000000000001"},
       "managingOrganization":{"identifier":{"system":"urn:oid:1.2.752.29.4.19","value":"SE2120001231-HSK1"}},
       "period":{"start":"2026-11-01"}},
     "request":{"method":"POST","url":"EpisodeOfCare",
       "ifNoneExist":"identifier=https://kungsbacka.se/hemsjukvard/inskrivning|)" +
         episodeId + R"("}}]})";
}

inline std::string patientJson(const std::string& personnummer, const std::string& id = {}) {
  return R"({"resourceType":"Patient",)" + (id.empty() ? std::string() : "\"id\":\"" + id + "\",") +
         R"("identifier":[{"system":"http://electronichealth.se/identifier/personnummer","value":")" +
         personnummer + R"("}],"gender":"female"})";
}

inline std::string personnummerQuery(const std::string& pnr) {
  return "identifier=http://electronichealth.se/identifier/personnummer%7C" + pnr;
}

}  // namespace brygga::testing
