#include "gateway/fhir/json_patch.h"

#include <string>
#include <string_view>
#include <vector>

namespace brygga::fhir {

namespace {

using core::Status;
using core::StatusOr;
using rapidjson::Value;
using Allocator = rapidjson::Document::AllocatorType;

// "/a/b~1c/0" -> {"a", "b/c", "0"}; "" is the whole document.
StatusOr<std::vector<std::string>> tokensOf(std::string_view pointer) {
  std::vector<std::string> tokens;
  if (pointer.empty()) return tokens;
  if (pointer.front() != '/') return core::invalidArgument("a JSON Pointer starts with '/'");
  size_t start = 1;
  for (;;) {
    const size_t end = pointer.find('/', start);
    const std::string_view raw =
        pointer.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    std::string token;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '~') {
        token += raw[i];
      } else if (i + 1 < raw.size() && (raw[i + 1] == '0' || raw[i + 1] == '1')) {
        token += raw[++i] == '0' ? '~' : '/';
      } else {
        return core::invalidArgument("'~' in a JSON Pointer must be ~0 or ~1");
      }
    }
    tokens.push_back(std::move(token));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return tokens;
}

// An array index token: digits without a leading zero ("-" is handled by the caller).
bool arrayIndex(const std::string& token, rapidjson::SizeType& index) {
  if (token.empty() || token.size() > 9 || (token.size() > 1 && token[0] == '0')) return false;
  index = 0;
  for (char c : token) {
    if (c < '0' || c > '9') return false;
    index = index * 10 + static_cast<rapidjson::SizeType>(c - '0');
  }
  return true;
}

Status notThere(const std::string& path) {
  return core::unprocessable("path " + path + " is not in the resource");
}

// The value at `tokens`, or null.
Value* find(Value& root, const std::vector<std::string>& tokens) {
  Value* at = &root;
  for (const auto& token : tokens) {
    if (at->IsObject()) {
      auto it = at->FindMember(rapidjson::StringRef(token.data(), token.size()));
      if (it == at->MemberEnd()) return nullptr;
      at = &it->value;
    } else if (at->IsArray()) {
      rapidjson::SizeType index = 0;
      if (!arrayIndex(token, index) || index >= at->Size()) return nullptr;
      at = &(*at)[index];
    } else {
      return nullptr;
    }
  }
  return at;
}

// Removes the value at `tokens` (not the root) and returns it.
StatusOr<Value> take(Value& root, const std::vector<std::string>& tokens, const std::string& path) {
  if (tokens.empty()) return core::unprocessable("the whole resource cannot be removed");
  Value* parent = find(root, {tokens.begin(), tokens.end() - 1});
  if (parent == nullptr) return notThere(path);
  const std::string& last = tokens.back();
  if (parent->IsObject()) {
    auto it = parent->FindMember(rapidjson::StringRef(last.data(), last.size()));
    if (it == parent->MemberEnd()) return notThere(path);
    Value out(std::move(it->value));
    parent->EraseMember(it);
    return out;
  }
  rapidjson::SizeType index = 0;
  if (!parent->IsArray() || !arrayIndex(last, index) || index >= parent->Size()) {
    return notThere(path);
  }
  Value out(std::move((*parent)[index]));
  parent->Erase(parent->Begin() + index);
  return out;
}

// Puts `value` at `tokens`: replaces the root, adds or replaces an object member, inserts into an
// array (at an index up to its size, or "-" for the end).
Status put(Value& root, const std::vector<std::string>& tokens, Value value,
           const std::string& path, Allocator& alloc) {
  if (tokens.empty()) {
    root = std::move(value);
    return Status::ok();
  }
  Value* parent = find(root, {tokens.begin(), tokens.end() - 1});
  if (parent == nullptr) return notThere(path);
  const std::string& last = tokens.back();
  if (parent->IsObject()) {
    auto it = parent->FindMember(rapidjson::StringRef(last.data(), last.size()));
    if (it != parent->MemberEnd()) {
      it->value = std::move(value);
    } else {
      parent->AddMember(Value(last.c_str(), alloc), std::move(value), alloc);
    }
    return Status::ok();
  }
  if (!parent->IsArray()) return notThere(path);
  rapidjson::SizeType index = parent->Size();
  if (last != "-" && (!arrayIndex(last, index) || index > parent->Size())) return notThere(path);
  parent->PushBack(Value(), alloc);
  for (rapidjson::SizeType i = parent->Size() - 1; i > index; --i) {
    (*parent)[i] = std::move((*parent)[i - 1]);
  }
  (*parent)[index] = std::move(value);
  return Status::ok();
}

StatusOr<std::string> stringOf(const Value& op, const char* name) {
  auto it = op.FindMember(name);
  if (it == op.MemberEnd() || !it->value.IsString()) {
    return core::invalidArgument(std::string("needs a string \"") + name + "\"");
  }
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

Status applyOne(Value& root, const Value& op, Allocator& alloc) {
  if (!op.IsObject()) return core::invalidArgument("is not an object");
  BRYGGA_ASSIGN_OR_RETURN(std::string name, stringOf(op, "op"));
  BRYGGA_ASSIGN_OR_RETURN(std::string path, stringOf(op, "path"));
  BRYGGA_ASSIGN_OR_RETURN(std::vector<std::string> tokens, tokensOf(path));
  const auto valueOf = [&]() -> StatusOr<Value> {
    auto it = op.FindMember("value");
    if (it == op.MemberEnd()) return core::invalidArgument("\"" + name + "\" needs a \"value\"");
    return Value(it->value, alloc);
  };
  if (name == "add") {
    BRYGGA_ASSIGN_OR_RETURN(Value value, valueOf());
    return put(root, tokens, std::move(value), path, alloc);
  }
  if (name == "remove") return take(root, tokens, path).status();
  if (name == "replace") {
    BRYGGA_ASSIGN_OR_RETURN(Value value, valueOf());
    if (find(root, tokens) == nullptr) return notThere(path);
    if (tokens.empty()) {
      root = std::move(value);
      return Status::ok();
    }
    *find(root, tokens) = std::move(value);
    return Status::ok();
  }
  if (name == "test") {
    BRYGGA_ASSIGN_OR_RETURN(Value value, valueOf());
    const Value* at = find(root, tokens);
    if (at == nullptr) return notThere(path);
    if (*at != value) return core::unprocessable("test failed: " + path + " has another value");
    return Status::ok();
  }
  if (name == "move" || name == "copy") {
    BRYGGA_ASSIGN_OR_RETURN(std::string from, stringOf(op, "from"));
    BRYGGA_ASSIGN_OR_RETURN(std::vector<std::string> source, tokensOf(from));
    if (name == "move") {
      if (tokens.size() > source.size() &&
          std::equal(source.begin(), source.end(), tokens.begin())) {
        return core::invalidArgument("\"move\" cannot move a value into itself");
      }
      BRYGGA_ASSIGN_OR_RETURN(Value value, take(root, source, from));
      return put(root, tokens, std::move(value), path, alloc);
    }
    const Value* at = find(root, source);
    if (at == nullptr) return notThere(from);
    return put(root, tokens, Value(*at, alloc), path, alloc);
  }
  return core::invalidArgument("unknown op \"" + name + "\"");
}

}  // namespace

Status applyJsonPatch(rapidjson::Document& target, const Value& patch) {
  if (!patch.IsArray()) return core::invalidArgument("a JSON Patch is an array of operations");
  // All or nothing: the operations apply to a copy that replaces the target only at the end.
  rapidjson::Document work;
  work.CopyFrom(target, work.GetAllocator());
  rapidjson::SizeType index = 0;
  for (const auto& op : patch.GetArray()) {
    Status s = applyOne(work, op, work.GetAllocator());
    if (!s.isOk()) return s.withPrefix("JSON Patch operation " + std::to_string(index) + ": ");
    ++index;
  }
  target.Swap(work);
  return Status::ok();
}

}  // namespace brygga::fhir
