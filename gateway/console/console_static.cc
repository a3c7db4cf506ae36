#include "gateway/console/console_static.h"

#include <string>
#include <string_view>

#include "gateway/api/responses.h"
#include "gateway/console/console_files.h"

namespace brygga::console {

namespace {

constexpr const char* kSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';"
    " connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

std::string contentTypeOf(std::string_view name) {
  const auto endsWith = [&](std::string_view suffix) {
    return name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
  };
  if (endsWith(".html")) return "text/html; charset=utf-8";
  if (endsWith(".js")) return "text/javascript; charset=utf-8";
  if (endsWith(".css")) return "text/css; charset=utf-8";
  if (endsWith(".svg")) return "image/svg+xml";
  if (endsWith(".png")) return "image/png";
  return "application/octet-stream";
}

void secure(api::ApiResponse& r) {
  r.headers.emplace_back("Content-Security-Policy", kSecurityPolicy);
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  // Small files; always checked again so an upgraded gateway serves its own console.
  r.headers.emplace_back("Cache-Control", "no-cache");
}

}  // namespace

api::ApiResponse ConsoleStatic::handle(const api::ApiRequest& request) {
  api::ApiResponse r;
  if (request.method != "GET" && request.method != "HEAD") {
    r = api::errorResponse(
        {core::StatusCode::kMethodNotAllowed, "the console's files are read-only"});
    secure(r);
    return r;
  }
  if (request.path.empty()) {
    // Relative links in the page need the trailing slash.
    r.status = 301;
    r.headers.emplace_back("Location", "/console/");
    secure(r);
    return r;
  }
  std::string name = request.path == "/" ? "index.html" : request.path.substr(1);
  for (size_t i = 0; i < kFileCount; ++i) {
    if (name != kFiles[i].name) continue;
    r.status = 200;
    if (request.method == "GET") {
      r.body.assign(reinterpret_cast<const char*>(kFiles[i].data), kFiles[i].size);
    }
    r.headers.emplace_back("Content-Type", contentTypeOf(name));
    secure(r);
    return r;
  }
  r = api::errorResponse(core::notFound("no such console file: open /console/"));
  secure(r);
  return r;
}

}  // namespace brygga::console
