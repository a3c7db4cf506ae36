#include "gateway/core/client_role.h"

namespace brygga::core {

const char* toString(ClientRole role) {
  switch (role) {
    case ClientRole::kMunicipal:
      return "municipal";
    case ClientRole::kRegional:
      return "regional";
    case ClientRole::kIntegration:
      return "integration";
    case ClientRole::kFollowUp:
      return "followup";
  }
  return "municipal";
}

}  // namespace brygga::core
