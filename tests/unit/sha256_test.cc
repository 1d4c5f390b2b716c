#include "dictlab/sha256.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace dictlab::host {

// Vectors from FIPS 180-2, including one that spans two blocks.
TEST(Sha256, MatchesPublishedVectors) {
  EXPECT_EQ(Sha256::of(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256::of("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256::of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256::of(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, OfFileEqualsOfContents) {
  testing::TempDir dir;
  const std::string text(200000, 'x');
  testing::write_text(dir / "f", text);
  EXPECT_EQ(Sha256::of_file(dir / "f"), Sha256::of(text));
}

}  // namespace dictlab::host
