#include "gateway/audit/merkle.h"

#include <bit>
#include <cstdlib>
#include <map>
#include <utility>

#include <openssl/evp.h>

#include "gateway/core/base64.h"
#include "gateway/core/digest.h"

namespace brygga::audit::merkle {

namespace {

// One SHA-256 context per thread, with the algorithm fetched once: a million leaves and as many
// nodes are hashed by `audit verify`, and EVP's per-call fetch would dominate such small inputs.
class Sha256 {
 public:
  Sha256() : md_(EVP_MD_fetch(nullptr, "SHA256", nullptr)), ctx_(EVP_MD_CTX_new()) {
    if (md_ == nullptr || ctx_ == nullptr) std::abort();  // OpenSSL without SHA-256: unusable
  }
  ~Sha256() {
    EVP_MD_CTX_free(ctx_);
    EVP_MD_free(md_);
  }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  Hash digest(unsigned char prefix, std::string_view a, std::string_view b = {}) {
    Hash out{};
    unsigned int length = 0;
    if (EVP_DigestInit_ex(ctx_, md_, nullptr) != 1 || EVP_DigestUpdate(ctx_, &prefix, 1) != 1 ||
        EVP_DigestUpdate(ctx_, a.data(), a.size()) != 1 ||
        EVP_DigestUpdate(ctx_, b.data(), b.size()) != 1 ||
        EVP_DigestFinal_ex(ctx_, out.data(), &length) != 1 || length != out.size()) {
      std::abort();  // only a broken OpenSSL fails here
    }
    return out;
  }

 private:
  EVP_MD* md_;
  EVP_MD_CTX* ctx_;
};

Sha256& sha256() {
  thread_local Sha256 instance;
  return instance;
}

std::string_view view(const Hash& h) {
  return {reinterpret_cast<const char*>(h.data()), h.size()};
}

// The k of RFC 9162: the largest power of two smaller than n (n >= 2).
uint64_t splitPoint(uint64_t n) {
  return uint64_t{1} << (63 - std::countl_zero(n - 1));
}

bool isPerfect(uint64_t begin, uint64_t end) {
  const uint64_t n = end - begin;
  return std::has_single_bit(n) && begin % n == 0;
}

// MTH(D[begin:end]). Every left part of the recursion is a perfect subtree; right parts are split
// further until they are.
Hash rangeHash(uint64_t begin, uint64_t end, const PerfectSubtree& perfect) {
  if (begin == end) return emptyRoot();
  if (isPerfect(begin, end)) return perfect(begin, end);
  const uint64_t k = splitPoint(end - begin);
  return nodeHash(rangeHash(begin, begin + k, perfect), rangeHash(begin + k, end, perfect));
}

// PATH(m, D[begin:end]) with m relative to begin, appended leaf side first.
void path(uint64_t m, uint64_t begin, uint64_t end, const PerfectSubtree& perfect,
          std::vector<Hash>& out) {
  const uint64_t n = end - begin;
  if (n <= 1) return;
  const uint64_t k = splitPoint(n);
  if (m < k) {
    path(m, begin, begin + k, perfect, out);
    out.push_back(rangeHash(begin + k, end, perfect));
  } else {
    path(m - k, begin + k, end, perfect, out);
    out.push_back(rangeHash(begin, begin + k, perfect));
  }
}

// SUBPROOF(m, D[begin:end], b) with m relative to begin.
void subproof(uint64_t m, uint64_t begin, uint64_t end, bool fromOldRoot,
              const PerfectSubtree& perfect, std::vector<Hash>& out) {
  const uint64_t n = end - begin;
  if (m == n) {
    if (!fromOldRoot) out.push_back(rangeHash(begin, end, perfect));
    return;
  }
  const uint64_t k = splitPoint(n);
  if (m <= k) {
    subproof(m, begin, begin + k, fromOldRoot, perfect, out);
    out.push_back(rangeHash(begin + k, end, perfect));
  } else {
    subproof(m - k, begin + k, end, false, perfect, out);
    out.push_back(rangeHash(begin, begin + k, perfect));
  }
}

// The root of a perfect run of leaves, level by level.
Hash perfectRoot(std::span<const Hash> leaves) {
  std::vector<Hash> level(leaves.begin(), leaves.end());
  while (level.size() > 1) {
    for (size_t i = 0; i < level.size() / 2; ++i) {
      level[i] = nodeHash(level[2 * i], level[2 * i + 1]);
    }
    level.resize(level.size() / 2);
  }
  return level.front();
}

PerfectSubtree overLeaves(std::span<const Hash> leaves) {
  return [leaves](uint64_t begin, uint64_t end) {
    return perfectRoot(leaves.subspan(begin, end - begin));
  };
}

void shiftUntil(uint64_t& fn, uint64_t& sn) {
  // Right-shift both until LSB(fn) is set or fn is 0 (RFC 9162 2.1.3.2 step 4.b.ii).
  while ((fn & 1) == 0 && fn != 0) {
    fn >>= 1;
    sn >>= 1;
  }
}

}  // namespace

Hash leafHash(std::string_view data) {
  return sha256().digest(0x00, data);
}

Hash nodeHash(const Hash& left, const Hash& right) {
  return sha256().digest(0x01, view(left), view(right));
}

Hash emptyRoot() {
  // SHA-256 of the empty string.
  Hash out{};
  unsigned int length = 0;
  EVP_Digest("", 0, out.data(), &length, EVP_sha256(), nullptr);
  return out;
}

std::string toHex(const Hash& hash) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (unsigned char c : hash) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

core::StatusOr<Hash> fromHex(std::string_view hex) {
  if (hex.size() != 64) return core::invalidArgument("a hash is 64 hex digits");
  BRYGGA_ASSIGN_OR_RETURN(const std::string bytes, core::fromHex(hex));
  Hash out{};
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

std::string toBase64(const Hash& hash) {
  return core::base64Encode(view(hash));
}

core::StatusOr<Hash> fromBase64(std::string_view text) {
  BRYGGA_ASSIGN_OR_RETURN(const std::string bytes, core::base64Decode(text));
  if (bytes.size() != 32) return core::invalidArgument("a hash is 32 bytes");
  Hash out{};
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

Hash rootHash(uint64_t size, const PerfectSubtree& perfect) {
  return rangeHash(0, size, perfect);
}

std::vector<Hash> inclusionProof(uint64_t index, uint64_t size, const PerfectSubtree& perfect) {
  std::vector<Hash> out;
  if (index < size) path(index, 0, size, perfect, out);
  return out;
}

std::vector<Hash> consistencyProof(uint64_t size1, uint64_t size2, const PerfectSubtree& perfect) {
  std::vector<Hash> out;
  if (size1 > 0 && size1 < size2) subproof(size1, 0, size2, true, perfect, out);
  return out;
}

Hash rootHash(std::span<const Hash> leaves) {
  return rootHash(leaves.size(), overLeaves(leaves));
}

std::vector<Hash> inclusionProof(uint64_t index, std::span<const Hash> leaves) {
  return inclusionProof(index, leaves.size(), overLeaves(leaves));
}

std::vector<Hash> consistencyProof(uint64_t size1, std::span<const Hash> leaves) {
  return consistencyProof(size1, leaves.size(), overLeaves(leaves));
}

bool verifyInclusion(uint64_t index, uint64_t size, const Hash& leaf, std::span<const Hash> proof,
                     const Hash& root) {
  if (index >= size) return false;
  uint64_t fn = index;
  uint64_t sn = size - 1;
  Hash r = leaf;
  for (const Hash& p : proof) {
    if (sn == 0) return false;
    if ((fn & 1) == 1 || fn == sn) {
      r = nodeHash(p, r);
      shiftUntil(fn, sn);
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

bool verifyConsistency(uint64_t size1, uint64_t size2, const Hash& root1, const Hash& root2,
                       std::span<const Hash> proof) {
  if (size1 > size2) return false;
  if (size1 == size2) return proof.empty() && root1 == root2;
  if (size1 == 0) return proof.empty();
  if (proof.empty()) return false;
  // Step 2: when size1 is a power of two the old root is itself a node of the new tree and the
  // proof starts above it.
  std::vector<Hash> path;
  path.reserve(proof.size() + 1);
  if (std::has_single_bit(size1)) path.push_back(root1);
  path.insert(path.end(), proof.begin(), proof.end());
  uint64_t fn = size1 - 1;
  uint64_t sn = size2 - 1;
  while ((fn & 1) == 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path.front();
  Hash sr = path.front();
  for (size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) return false;
    if ((fn & 1) == 1 || fn == sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      shiftUntil(fn, sn);
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return fr == root1 && sr == root2 && sn == 0;
}

// --- StreamingRoot -------------------------------------------------------------------------------

void StreamingRoot::append(const Hash& leaf) {
  stack_.push_back({0, leaf});
  ++size_;
  while (stack_.size() >= 2 && stack_[stack_.size() - 2].height == stack_.back().height) {
    Subtree right = stack_.back();
    stack_.pop_back();
    Subtree& left = stack_.back();
    left.hash = nodeHash(left.hash, right.hash);
    ++left.height;
  }
}

Hash StreamingRoot::root() const {
  if (stack_.empty()) return emptyRoot();
  // MTH folds the decreasing perfect subtrees from the right.
  Hash h = stack_.back().hash;
  for (size_t i = stack_.size() - 1; i-- > 0;) h = nodeHash(stack_[i].hash, h);
  return h;
}

// --- MerkleTree ----------------------------------------------------------------------------------

// Perfect-subtree hashes for one root or proof computation: cached levels from memory, smaller
// subtrees from the block's leaves (the tail in memory, complete blocks read once per call).
class MerkleTree::Lookup {
 public:
  explicit Lookup(const MerkleTree& tree) : tree_(tree) {}

  Hash operator()(uint64_t begin, uint64_t end) {
    const uint64_t n = end - begin;
    const int height = std::countr_zero(n);
    if (height >= kBlockHeight) {
      const size_t level = static_cast<size_t>(height - kBlockHeight);
      const uint64_t index = begin >> height;
      if (level < tree_.levels_.size() && index < tree_.levels_[level].size()) {
        return tree_.levels_[level][index];
      }
      fail(core::internalError("merkle: subtree [" + std::to_string(begin) + ", " +
                               std::to_string(end) + ") is not cached"));
      return {};
    }
    const uint64_t blockStart = begin & ~(kBlockLeaves - 1);
    const std::vector<Hash>* leaves = blockLeaves(blockStart);
    if (leaves == nullptr || end - blockStart > leaves->size()) {
      if (error_.isOk()) fail(core::internalError("merkle: leaves missing"));
      return {};
    }
    return perfectRoot(std::span<const Hash>(*leaves).subspan(begin - blockStart, n));
  }

  const core::Status& error() const { return error_; }

 private:
  const std::vector<Hash>* blockLeaves(uint64_t blockStart) {
    if (blockStart + tree_.tail_.size() == tree_.size_ && !tree_.tail_.empty()) {
      return &tree_.tail_;
    }
    auto it = blocks_.find(blockStart);
    if (it != blocks_.end()) return &it->second;
    auto read = tree_.reader_(blockStart, blockStart + kBlockLeaves);
    if (!read.isOk()) {
      fail(read.status());
      return nullptr;
    }
    if (read->size() != kBlockLeaves) {
      fail(core::internalError("merkle: block at " + std::to_string(blockStart) + " has " +
                               std::to_string(read->size()) + " leaves"));
      return nullptr;
    }
    return &blocks_.emplace(blockStart, std::move(read).value()).first->second;
  }

  void fail(core::Status status) {
    if (error_.isOk()) error_ = std::move(status);
  }

  const MerkleTree& tree_;
  std::map<uint64_t, std::vector<Hash>> blocks_;
  core::Status error_;
};

void MerkleTree::append(const Hash& leaf) {
  tail_.push_back(leaf);
  ++size_;
  if (tail_.size() < kBlockLeaves) return;
  Hash carry = perfectRoot(tail_);
  tail_.clear();
  for (size_t level = 0;; ++level) {
    if (levels_.size() <= level) levels_.emplace_back();
    levels_[level].push_back(carry);
    if (levels_[level].size() % 2 != 0) break;
    const size_t n = levels_[level].size();
    carry = nodeHash(levels_[level][n - 2], levels_[level][n - 1]);
  }
}

core::StatusOr<Hash> MerkleTree::root(uint64_t size) const {
  if (size > size_) {
    return core::invalidArgument("tree size " + std::to_string(size) + " is beyond the log's " +
                                 std::to_string(size_));
  }
  Lookup lookup(*this);
  Hash h = rootHash(size, std::ref(lookup));
  if (!lookup.error().isOk()) return lookup.error();
  return h;
}

core::StatusOr<std::vector<Hash>> MerkleTree::inclusionProof(uint64_t index, uint64_t size) const {
  if (size > size_ || index >= size) {
    return core::invalidArgument("no leaf " + std::to_string(index) + " in a tree of size " +
                                 std::to_string(size) + " (the log has " + std::to_string(size_) +
                                 ")");
  }
  Lookup lookup(*this);
  std::vector<Hash> proof = merkle::inclusionProof(index, size, std::ref(lookup));
  if (!lookup.error().isOk()) return lookup.error();
  return proof;
}

core::StatusOr<std::vector<Hash>> MerkleTree::consistencyProof(uint64_t size1,
                                                               uint64_t size2) const {
  if (size1 > size2 || size2 > size_) {
    return core::invalidArgument("no consistency proof from size " + std::to_string(size1) +
                                 " to " + std::to_string(size2) + " (the log has " +
                                 std::to_string(size_) + ")");
  }
  Lookup lookup(*this);
  std::vector<Hash> proof = merkle::consistencyProof(size1, size2, std::ref(lookup));
  if (!lookup.error().isOk()) return lookup.error();
  return proof;
}

core::StatusOr<Hash> MerkleTree::leaf(uint64_t index) const {
  if (index >= size_) return core::invalidArgument("no leaf " + std::to_string(index));
  Lookup lookup(*this);
  Hash h = lookup(index, index + 1);
  if (!lookup.error().isOk()) return lookup.error();
  return h;
}

}  // namespace brygga::audit::merkle
