#include "gateway/auth/scopes.h"

#include "gateway/core/text.h"

namespace brygga::auth {

namespace {

constexpr unsigned kEvery = 31;
constexpr const char kLetters[] = "cruds";

unsigned bitOf(Interaction interaction) {
  return static_cast<unsigned>(interaction);
}

// The interactions of a permission part; 0 when it is not a valid one.
unsigned permissionsOf(std::string_view text) {
  if (text == "read") return bitOf(Interaction::kRead) | bitOf(Interaction::kSearch);
  if (text == "write") {
    return bitOf(Interaction::kCreate) | bitOf(Interaction::kUpdate) | bitOf(Interaction::kDelete);
  }
  if (text == "*") return kEvery;
  // v2: letters from "cruds", each at most once, in that order.
  unsigned bits = 0;
  size_t next = 0;
  for (const char c : text) {
    size_t at = next;
    while (at < 5 && kLetters[at] != c) ++at;
    if (at == 5) return 0;
    bits |= 1u << at;
    next = at + 1;
  }
  return bits;
}

bool isTypeName(std::string_view text) {
  if (text == "*") return true;
  if (text.empty() || text.size() > 64 || !(text[0] >= 'A' && text[0] <= 'Z')) {
    return false;
  }
  for (const char c : text) {
    if (!core::isAsciiAlpha(c)) return false;
  }
  return true;
}

}  // namespace

char letterOf(Interaction interaction) {
  switch (interaction) {
    case Interaction::kCreate:
      return 'c';
    case Interaction::kRead:
      return 'r';
    case Interaction::kUpdate:
      return 'u';
    case Interaction::kDelete:
      return 'd';
    case Interaction::kSearch:
      return 's';
  }
  return '?';
}

core::StatusOr<ScopeSet> ScopeSet::parse(std::string_view text) {
  ScopeSet set;
  while (!text.empty()) {
    const size_t space = text.find(' ');
    const std::string_view scope = text.substr(0, space);
    text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
    if (scope.empty()) continue;
    const size_t dot = scope.rfind('.');
    const std::string_view prefix = "system/";
    const bool shaped = scope.substr(0, prefix.size()) == prefix && dot != std::string_view::npos &&
                        dot > prefix.size();
    const std::string_view type =
        shaped ? scope.substr(prefix.size(), dot - prefix.size()) : std::string_view();
    const unsigned bits = shaped ? permissionsOf(scope.substr(dot + 1)) : 0;
    if (!shaped || !isTypeName(type) || bits == 0) {
      std::string shown(scope.substr(0, 80));
      for (char& c : shown) {
        if (c < ' ' || c > '~') c = '?';
      }
      return core::invalidArgument("the scope '" + shown +
                                   "' is not a system scope (system/<Type or *>.<cruds | read | "
                                   "write | *>)");
    }
    set.grants_.push_back({std::string(type), bits, std::string(scope)});
  }
  return set;
}

ScopeSet ScopeSet::all() {
  ScopeSet set;
  set.grants_.push_back({"*", kEvery, "system/*.cruds"});
  return set;
}

bool ScopeSet::permits(std::string_view type, Interaction interaction) const {
  for (const Grant& g : grants_) {
    if ((g.type == "*" || g.type == type) && (g.interactions & bitOf(interaction)) != 0) {
      return true;
    }
  }
  return false;
}

std::string ScopeSet::firstNotCovered(const ScopeSet& other) const {
  for (const Grant& wanted : other.grants_) {
    for (unsigned bit = 1; bit <= 16; bit <<= 1) {
      if ((wanted.interactions & bit) == 0) continue;
      // A wildcard asked for must be granted as a wildcard: Patient and EpisodeOfCare do not
      // add up to every type.
      bool granted = false;
      for (const Grant& g : grants_) {
        granted = granted || ((g.type == "*" || g.type == wanted.type) && (g.interactions & bit));
      }
      if (!granted) return wanted.text;
    }
  }
  return {};
}

bool ScopeSet::covers(const ScopeSet& other) const {
  return firstNotCovered(other).empty();
}

std::string ScopeSet::toString() const {
  std::string out;
  for (const Grant& g : grants_) {
    if (!out.empty()) out += ' ';
    out += "system/" + g.type + ".";
    for (int i = 0; i < 5; ++i) {
      if (g.interactions & (1u << i)) out += kLetters[i];
    }
  }
  return out;
}

std::string ScopeSet::needed(std::string_view type, Interaction interaction) {
  return "system/" + std::string(type) + "." + std::string(1, letterOf(interaction));
}

}  // namespace brygga::auth
