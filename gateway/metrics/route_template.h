#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace brygga::metrics {

// The route template of a request path, for metric labels and request logs: low cardinality and
// free of identifiers, whatever the path holds.
//   /fhir/Patient/123/_history/2   -> /fhir/Patient/{id}/_history/{vid}
//   /fhir/Bogus/1                  -> /fhir/{type}/{id}
//   /admin/dead-letters/17/replay  -> /admin/dead-letters/{id}/replay
//   /console/app.js                -> /console/{file}
//   /wp-login.php                  -> /{other}
// Under /fhir the first segment is kept when isResourceType says it is a served type (otherwise
// {type}), the second and fourth are {id} and {vid} unless they are operations ($validate,
// _history, _search). Elsewhere a segment is kept only when it is one of the gateway's fixed
// path words; anything else is {id} (or {file} when it has a dot). Paths deeper than six
// segments end in /{rest}. The query string must not be passed.
std::string routeTemplate(std::string_view path,
                          const std::function<bool(std::string_view)>& isResourceType = {});

}  // namespace brygga::metrics
