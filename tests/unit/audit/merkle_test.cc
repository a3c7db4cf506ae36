#include "gateway/audit/merkle.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gateway/core/digest.h"

namespace brygga::audit::merkle {
namespace {

// --- A reference written from RFC 9162 section 2.1 alone, over byte strings -------------------
// It shares nothing with the module: its own hashing (core::sha256 of the concatenation), its
// own recursion over copies of the list, exactly as the RFC's definitions read.

using Bytes = std::string;

Bytes refLeaf(const Bytes& data) {
  return core::sha256(std::string(1, '\0') + data);
}
Bytes refNode(const Bytes& l, const Bytes& r) {
  return core::sha256(std::string(1, '\1') + l + r);
}
size_t refK(size_t n) {  // largest power of two smaller than n
  size_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
std::vector<Bytes> slice(const std::vector<Bytes>& d, size_t from, size_t to) {
  return std::vector<Bytes>(d.begin() + from, d.begin() + to);
}
// MTH over the entries (data, not hashes).
Bytes refMth(const std::vector<Bytes>& d) {
  if (d.empty()) return core::sha256("");
  if (d.size() == 1) return refLeaf(d[0]);
  const size_t k = refK(d.size());
  return refNode(refMth(slice(d, 0, k)), refMth(slice(d, k, d.size())));
}
std::vector<Bytes> refPath(size_t m, const std::vector<Bytes>& d) {
  if (d.size() <= 1) return {};
  const size_t k = refK(d.size());
  std::vector<Bytes> out;
  if (m < k) {
    out = refPath(m, slice(d, 0, k));
    out.push_back(refMth(slice(d, k, d.size())));
  } else {
    out = refPath(m - k, slice(d, k, d.size()));
    out.push_back(refMth(slice(d, 0, k)));
  }
  return out;
}
std::vector<Bytes> refSubproof(size_t m, const std::vector<Bytes>& d, bool b) {
  if (m == d.size()) return b ? std::vector<Bytes>{} : std::vector<Bytes>{refMth(d)};
  const size_t k = refK(d.size());
  std::vector<Bytes> out;
  if (m <= k) {
    out = refSubproof(m, slice(d, 0, k), b);
    out.push_back(refMth(slice(d, k, d.size())));
  } else {
    out = refSubproof(m - k, slice(d, k, d.size()), false);
    out.push_back(refMth(slice(d, 0, k)));
  }
  return out;
}

Bytes bytesOf(const Hash& h) {
  return std::string(reinterpret_cast<const char*>(h.data()), h.size());
}
Hash hashOf(const Bytes& b) {
  Hash h{};
  std::copy(b.begin(), b.end(), h.begin());
  return h;
}
std::vector<Bytes> bytesOf(const std::vector<Hash>& hs) {
  std::vector<Bytes> out;
  for (const Hash& h : hs) out.push_back(bytesOf(h));
  return out;
}

std::vector<Bytes> entries(size_t n) {
  std::vector<Bytes> d;
  for (size_t i = 0; i < n; ++i)
    d.push_back("{\"resourceType\":\"AuditEvent\",\"id\":\"" + std::to_string(i + 1) + "\"}");
  return d;
}
std::vector<Hash> leavesOf(const std::vector<Bytes>& d) {
  std::vector<Hash> out;
  for (const Bytes& e : d) out.push_back(leafHash(e));
  return out;
}

// A MerkleTree whose complete blocks are read back from `leaves` (as the store would), counting
// the reads.
struct TreeOver {
  explicit TreeOver(const std::vector<Hash>& all)
      : leaves(all), tree([this](uint64_t begin, uint64_t end) {
          ++reads;
          return core::StatusOr<std::vector<Hash>>(
              std::vector<Hash>(leaves.begin() + begin, leaves.begin() + end));
        }) {
    for (const Hash& h : all) tree.append(h);
  }
  std::vector<Hash> leaves;
  int reads = 0;
  MerkleTree tree;
};

// --- Hashing ----------------------------------------------------------------------------------

TEST(Merkle, LeafAndNodeHashesUseTheRfcPrefixes) {
  EXPECT_EQ(bytesOf(leafHash("abc")), core::sha256(std::string("\0abc", 4)));
  const Hash a = leafHash("a");
  const Hash b = leafHash("b");
  EXPECT_EQ(bytesOf(nodeHash(a, b)), core::sha256("\1" + bytesOf(a) + bytesOf(b)));
  EXPECT_NE(nodeHash(a, b), nodeHash(b, a));
  // The empty tree's root is the hash of nothing.
  EXPECT_EQ(toHex(emptyRoot()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Merkle, KnownRootOfCertificateTransparencyTestVector) {
  // The 8-leaf test tree of the Certificate Transparency reference implementations
  // (leaves "", 00, 10, 2021, 3031, 40414243, 5051525354555657, 606162636465666768696a6b6c6d6e6f).
  const std::vector<std::string> hexLeaves = {"",
                                              "00",
                                              "10",
                                              "2021",
                                              "3031",
                                              "40414243",
                                              "5051525354555657",
                                              "606162636465666768696a6b6c6d6e6f"};
  std::vector<Hash> leaves;
  for (const std::string& hex : hexLeaves) {
    std::string bytes;
    for (size_t i = 0; i < hex.size(); i += 2) {
      bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    }
    leaves.push_back(leafHash(bytes));
  }
  EXPECT_EQ(toHex(rootHash(leaves)),
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");
  EXPECT_EQ(toHex(rootHash(std::span<const Hash>(leaves).first(1))),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  EXPECT_EQ(toHex(rootHash(std::span<const Hash>(leaves).first(3))),
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77");
}

TEST(Merkle, HexAndBase64RoundTripAndRejectMalformedText) {
  const Hash h = leafHash("x");
  EXPECT_EQ(fromHex(toHex(h)).value(), h);
  EXPECT_EQ(fromBase64(toBase64(h)).value(), h);
  EXPECT_EQ(toBase64(h).size(), 44u);
  EXPECT_EQ(fromHex(toHex(h).substr(2)).status().message(), "a hash is 64 hex digits");
  EXPECT_EQ(fromHex(std::string(64, 'g')).status().message(),
            "hex text has a character that is not 0-9, a-f");
  EXPECT_EQ(fromBase64(toBase64(h).substr(4)).status().message(), "a hash is 32 bytes");
  EXPECT_EQ(fromBase64(" " + toBase64(h).substr(1)).status().message(),
            "base64: a character outside the standard alphabet");
  std::string padded = toBase64(h);
  padded[42] = 'B';  // non-zero bits under the padding: a second spelling of other bytes
  EXPECT_EQ(fromBase64(padded).status().message(), "base64: bits under the padding are not zero");
  EXPECT_EQ(fromBase64(toBase64(h).substr(1)).status().message(),
            "base64: the length is not a multiple of 4");
}

// --- Roots and proofs against the reference ---------------------------------------------------

TEST(Merkle, RootsMatchTheReferenceForEverySizeUpTo80) {
  const std::vector<Bytes> all = entries(80);
  for (size_t n = 0; n <= all.size(); ++n) {
    const std::vector<Bytes> d = slice(all, 0, n);
    EXPECT_EQ(bytesOf(rootHash(leavesOf(d))), refMth(d)) << "size " << n;
  }
}

TEST(Merkle, InclusionProofsMatchTheReferenceAndVerify) {
  const std::vector<Bytes> all = entries(40);
  for (size_t n = 1; n <= all.size(); ++n) {
    const std::vector<Bytes> d = slice(all, 0, n);
    const std::vector<Hash> leaves = leavesOf(d);
    const Hash root = hashOf(refMth(d));
    for (size_t m = 0; m < n; ++m) {
      const std::vector<Hash> proof = inclusionProof(m, leaves);
      ASSERT_EQ(bytesOf(proof), refPath(m, d)) << "leaf " << m << " of " << n;
      EXPECT_TRUE(verifyInclusion(m, n, leaves[m], proof, root)) << m << " of " << n;
    }
  }
}

TEST(Merkle, ConsistencyProofsMatchTheReferenceAndVerify) {
  const std::vector<Bytes> all = entries(40);
  for (size_t n = 1; n <= all.size(); ++n) {
    const std::vector<Bytes> d = slice(all, 0, n);
    const std::vector<Hash> leaves = leavesOf(d);
    const Hash root2 = hashOf(refMth(d));
    for (size_t m = 1; m < n; ++m) {
      const std::vector<Hash> proof = consistencyProof(m, leaves);
      ASSERT_EQ(bytesOf(proof), refSubproof(m, d, true)) << m << " -> " << n;
      const Hash root1 = hashOf(refMth(slice(d, 0, m)));
      EXPECT_TRUE(verifyConsistency(m, n, root1, root2, proof)) << m << " -> " << n;
    }
    EXPECT_TRUE(verifyConsistency(n, n, root2, root2, {}));
    EXPECT_TRUE(consistencyProof(n, leaves).empty());
  }
}

// --- Tampered proofs fail ---------------------------------------------------------------------

TEST(Merkle, TamperedInclusionProofsFail) {
  const std::vector<Hash> leaves = leavesOf(entries(37));
  const uint64_t n = leaves.size();
  const Hash root = rootHash(leaves);
  for (uint64_t m = 0; m < n; ++m) {
    const std::vector<Hash> proof = inclusionProof(m, leaves);
    ASSERT_TRUE(verifyInclusion(m, n, leaves[m], proof, root));
    // Every single flipped bit position class: each element, first and last byte.
    for (size_t i = 0; i < proof.size(); ++i) {
      for (size_t byte : {size_t{0}, size_t{31}}) {
        std::vector<Hash> bad = proof;
        bad[i][byte] ^= 0x01;
        EXPECT_FALSE(verifyInclusion(m, n, leaves[m], bad, root)) << m << " elem " << i;
      }
    }
    Hash badLeaf = leaves[m];
    badLeaf[7] ^= 0x80;
    EXPECT_FALSE(verifyInclusion(m, n, badLeaf, proof, root));
    Hash badRoot = root;
    badRoot[0] ^= 1;
    EXPECT_FALSE(verifyInclusion(m, n, leaves[m], proof, badRoot));
    // Wrong index, wrong size, one hash too many or too few.
    for (uint64_t other = 0; other < n; ++other) {
      if (other != m) {
        EXPECT_FALSE(verifyInclusion(other, n, leaves[m], proof, root)) << m;
      }
    }
    // A wrong size comes with that size's root (as a checkpoint binds the two), so sizes whose
    // tree happens to have the same shape around the leaf are caught too.
    EXPECT_FALSE(verifyInclusion(m, m, leaves[m], proof, root));
    for (uint64_t size = m + 1; size <= n + 5; ++size) {
      if (size == n) continue;
      const std::vector<Hash> more = leavesOf(entries(size));
      EXPECT_FALSE(verifyInclusion(m, size, leaves[m], proof, rootHash(more))) << m << "/" << size;
    }
    std::vector<Hash> longer = proof;
    longer.push_back(root);
    EXPECT_FALSE(verifyInclusion(m, n, leaves[m], longer, root));
    if (!proof.empty()) {
      std::vector<Hash> shorter(proof.begin(), proof.end() - 1);
      EXPECT_FALSE(verifyInclusion(m, n, leaves[m], shorter, root));
    }
  }
  EXPECT_FALSE(verifyInclusion(n, n, leaves[0], inclusionProof(0, leaves), root));
}

TEST(Merkle, TamperedConsistencyProofsFail) {
  const std::vector<Hash> leaves = leavesOf(entries(33));
  const uint64_t n = leaves.size();
  const Hash root2 = rootHash(leaves);
  for (uint64_t m = 1; m < n; ++m) {
    const Hash root1 = rootHash(std::span<const Hash>(leaves).first(m));
    const std::vector<Hash> proof = consistencyProof(m, leaves);
    ASSERT_TRUE(verifyConsistency(m, n, root1, root2, proof));
    for (size_t i = 0; i < proof.size(); ++i) {
      std::vector<Hash> bad = proof;
      bad[i][31] ^= 0x40;
      EXPECT_FALSE(verifyConsistency(m, n, root1, root2, bad)) << m << " elem " << i;
    }
    Hash badRoot1 = root1;
    badRoot1[3] ^= 1;
    EXPECT_FALSE(verifyConsistency(m, n, badRoot1, root2, proof));
    Hash badRoot2 = root2;
    badRoot2[3] ^= 1;
    EXPECT_FALSE(verifyConsistency(m, n, root1, badRoot2, proof));
    for (uint64_t size1 : {m - 1, m + 1}) {
      if (size1 != m && size1 > 0 && size1 < n) {
        EXPECT_FALSE(verifyConsistency(size1, n, root1, root2, proof)) << m << "/" << size1;
      }
    }
    for (uint64_t size2 : {n - 1, n + 1}) {
      if (size2 <= m) continue;
      const Hash otherRoot = rootHash(leavesOf(entries(size2)));
      EXPECT_FALSE(verifyConsistency(m, size2, root1, otherRoot, proof)) << m << "/" << size2;
    }
    EXPECT_FALSE(verifyConsistency(m, n, root1, root2, {}));
    std::vector<Hash> shorter(proof.begin(), proof.end() - 1);
    EXPECT_FALSE(verifyConsistency(m, n, root1, root2, shorter));
  }
  // A log that rewrote its past: same size, different content.
  std::vector<Hash> forked = leaves;
  forked[3] = leafHash("forged");
  const Hash forkedRoot = rootHash(forked);
  const uint64_t m = 10;
  const Hash root1 = rootHash(std::span<const Hash>(leaves).first(m));
  EXPECT_FALSE(verifyConsistency(m, n, root1, forkedRoot, consistencyProof(m, forked)));
  EXPECT_FALSE(verifyConsistency(n, n, root2, forkedRoot, {}));
}

// --- Streaming root and the cached tree -------------------------------------------------------

TEST(Merkle, StreamingRootEqualsTheRootOfEveryPrefix) {
  const std::vector<Hash> leaves = leavesOf(entries(300));
  StreamingRoot streaming;
  EXPECT_EQ(streaming.root(), emptyRoot());
  for (size_t i = 0; i < leaves.size(); ++i) {
    streaming.append(leaves[i]);
    ASSERT_EQ(streaming.root(), rootHash(std::span<const Hash>(leaves).first(i + 1))) << i;
  }
}

TEST(Merkle, CachedTreeAnswersLikeTheDirectAlgorithmsAcrossBlocks) {
  // Three and a half blocks: perfect subtrees above a block come from memory, those below from
  // the tail or the reader.
  const std::vector<Hash> leaves = leavesOf(entries(3 * MerkleTree::kBlockLeaves + 100));
  TreeOver over(leaves);
  MerkleTree& tree = over.tree;
  ASSERT_EQ(tree.size(), leaves.size());
  for (uint64_t size : {uint64_t{1}, uint64_t{2}, uint64_t{255}, uint64_t{256}, uint64_t{257},
                        uint64_t{600}, uint64_t{768}, uint64_t{800}, uint64_t{leaves.size()}}) {
    const auto prefix = std::span<const Hash>(leaves).first(size);
    auto root = tree.root(size);
    ASSERT_TRUE(root.isOk()) << root.status().toString();
    EXPECT_EQ(*root, rootHash(prefix)) << size;
    for (uint64_t index : {uint64_t{0}, size / 2, size - 1}) {
      auto proof = tree.inclusionProof(index, size);
      ASSERT_TRUE(proof.isOk());
      EXPECT_EQ(*proof, inclusionProof(index, prefix)) << index << " of " << size;
      EXPECT_TRUE(verifyInclusion(index, size, leaves[index], *proof, *root));
    }
    for (uint64_t size1 : {uint64_t{1}, size / 3 + 1, size}) {
      if (size1 > size) continue;
      auto proof = tree.consistencyProof(size1, size);
      ASSERT_TRUE(proof.isOk());
      EXPECT_EQ(*proof, consistencyProof(size1, prefix)) << size1 << " -> " << size;
    }
  }
  auto leaf = tree.leaf(5);
  ASSERT_TRUE(leaf.isOk());
  EXPECT_EQ(*leaf, leaves[5]);
  EXPECT_FALSE(tree.root(leaves.size() + 1).isOk());
  EXPECT_FALSE(tree.inclusionProof(10, 10).isOk());
  EXPECT_FALSE(tree.consistencyProof(20, 10).isOk());
}

TEST(Merkle, CachedTreeReadsAtMostTwoBlocksPerProof) {
  const std::vector<Hash> leaves = leavesOf(entries(20 * MerkleTree::kBlockLeaves + 7));
  TreeOver over(leaves);
  over.reads = 0;
  ASSERT_TRUE(over.tree.inclusionProof(1234, leaves.size()).isOk());
  EXPECT_LE(over.reads, 2);
  over.reads = 0;
  ASSERT_TRUE(over.tree.root(leaves.size()).isOk());
  EXPECT_EQ(over.reads, 0);  // the tail and cached levels cover the current root
}

TEST(Merkle, CachedTreeReportsAReaderFailure) {
  MerkleTree tree([](uint64_t, uint64_t) -> core::StatusOr<std::vector<Hash>> {
    return core::unavailable("database down");
  });
  for (int i = 0; i < 300; ++i) tree.append(leafHash(std::to_string(i)));
  auto proof = tree.inclusionProof(3, 300);
  ASSERT_FALSE(proof.isOk());
  EXPECT_EQ(proof.status().code(), core::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace brygga::audit::merkle
