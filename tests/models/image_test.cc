#include "models/image.h"

#include <gtest/gtest.h>

#include <array>
#include <functional>
#include <tuple>

#include "../test_util.h"

namespace ipfs_accelerate::models {
namespace {

using test_util::HasSubstr;

// The pixel formulas of tests/models/data/make_png_cases.py, which wrote the cases (9x7 each).
constexpr int kW = 9, kH = 7;
std::array<int, 3> Rgb(int x, int y) {
  return {(x * 50 + y * 20) % 256, ((255 - x * 40 - y * 10) % 256 + 256) % 256,
          (x * y * 30 + 7) % 256};
}
int Grey(int x, int y) { return (x * 60 + y * 35) % 256; }
int Alpha(int x, int y) { return std::array{0, 128, 255}[(x + y) % 3]; }
int OverWhite(int c, int a) { return (c * a + 255 * (255 - a) + 127) / 255; }
constexpr std::array<std::array<int, 3>, 6> kPalette = {
    {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {10, 20, 30}, {200, 100, 50}, {0, 0, 0}}};

std::string DataPath(const std::string& name) {
  return std::string(test_util::SourceDir()) + "/tests/models/data/" + name;
}

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

void ExpectPixels(const std::string& file,
                  const std::function<std::array<int, 3>(int, int)>& want) {
  SCOPED_TRACE(file);
  auto image = ReadPng(DataPath(file));
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  ASSERT_EQ(image->width, kW);
  ASSERT_EQ(image->height, kH);
  ASSERT_EQ(image->rgb.size(), size_t{kW * kH * 3});
  for (int y = 0; y < kH; ++y) {
    for (int x = 0; x < kW; ++x) {
      std::array<int, 3> w = want(x, y);
      const uint8_t* p = image->Pixel(x, y);
      ASSERT_EQ((std::array<int, 3>{p[0], p[1], p[2]}), w) << "pixel (" << x << ", " << y << ")";
    }
  }
}

TEST(PngTest, Grey8ExpandsToRgb) {
  ExpectPixels("grey8.png", [](int x, int y) {
    return std::array{Grey(x, y), Grey(x, y), Grey(x, y)};
  });
}

TEST(PngTest, Grey1ExpandsToBlackAndWhite) {
  ExpectPixels("grey1.png", [](int x, int y) {
    int v = (x + y) % 2 ? 255 : 0;
    return std::array{v, v, v};
  });
}

// 16-bit samples are v * 257 + 100: rounding gives v back, taking the high byte would not (v ≥
// 156).
TEST(PngTest, Grey16IsRoundedTo8Bits) {
  ExpectPixels("grey16.png", [](int x, int y) {
    return std::array{Grey(x, y), Grey(x, y), Grey(x, y)};
  });
}

TEST(PngTest, Rgb16IsRoundedTo8Bits) { ExpectPixels("rgb16.png", Rgb); }

TEST(PngTest, Rgb8WithEveryFilterType) { ExpectPixels("rgb8.png", Rgb); }

TEST(PngTest, Adam7Interlaced) { ExpectPixels("rgb8_interlaced.png", Rgb); }

TEST(PngTest, AlphaIsCompositedOverWhite) {
  ExpectPixels("rgba8.png", [](int x, int y) {
    auto c = Rgb(x, y);
    int a = Alpha(x, y);
    return std::array{OverWhite(c[0], a), OverWhite(c[1], a), OverWhite(c[2], a)};
  });
  ExpectPixels("grey_alpha8.png", [](int x, int y) {
    int v = OverWhite(Grey(x, y), Alpha(x, y));
    return std::array{v, v, v};
  });
}

TEST(PngTest, PaletteWithTransparency) {
  ExpectPixels("palette4.png", [](int x, int y) { return kPalette[(x + 2 * y) % 6]; });
  ExpectPixels("palette8_trns.png", [](int x, int y) {
    int i = (x + 2 * y) % 6;
    int a = i == 0 ? 0 : i == 1 ? 128 : 255;
    auto c = kPalette[i];
    return std::array{OverWhite(c[0], a), OverWhite(c[1], a), OverWhite(c[2], a)};
  });
}

TEST(PngTest, NotAPngIsRejectedByName) {
  for (std::string bytes :
       {std::string(), std::string("\x89PNG"), std::string("\xff\xd8\xff\xe0 JFIF jpeg"),
        std::string("GIF89a......")}) {
    auto r = DecodePng(Bytes(bytes));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(HasSubstr(r.status().message(), "not a PNG file"));
  }
}

TEST(PngTest, MissingFileNamesThePath) {
  auto r = ReadPng(DataPath("no-such-file.png"));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(HasSubstr(r.status().ToString(), "no-such-file.png"));
}

// Every truncation of every case fails cleanly (libpng's longjmp lands in the decoder, no leak or
// crash under the sanitizers), and says that the file is truncated or corrupt.
TEST(PngTest, EveryTruncationIsAnError) {
  for (const char* name :
       {"grey1.png", "rgb8.png", "rgb8_interlaced.png", "palette8_trns.png", "rgb16.png"}) {
    std::string bytes = test_util::MustRead(DataPath(name));
    for (size_t n = 8; n < bytes.size(); ++n) {
      auto r = DecodePng(Bytes(bytes.substr(0, n)));
      ASSERT_FALSE(r.ok()) << name << " cut to " << n << " bytes decoded";
      EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << r.status().ToString();
      EXPECT_TRUE(HasSubstr(r.status().message(), "corrupt or truncated PNG"))
          << name << " at " << n;
    }
  }
}

TEST(PngTest, FlippedBytesNeverCrash) {
  std::string bytes = test_util::MustRead(DataPath("rgb8_interlaced.png"));
  int errors = 0;
  for (size_t i = 8; i < bytes.size(); ++i) {
    for (uint8_t mask : {0x01, 0x80, 0xff}) {
      std::string bad = bytes;
      bad[i] = static_cast<char>(bad[i] ^ mask);
      auto r = DecodePng(Bytes(bad));
      if (!r.ok()) {
        ++errors;
        EXPECT_FALSE(r.status().message().empty());
      } else {
        EXPECT_EQ(r->rgb.size(), static_cast<size_t>(r->width) * r->height * 3);
      }
    }
  }
  EXPECT_GT(errors, 0);
}

TEST(PngTest, CrcMismatchIsReported) {
  std::string bytes = test_util::MustRead(DataPath("rgb8.png"));
  bytes[16] ^= 0x01;  // inside IHDR's width: its CRC no longer matches
  auto r = DecodePng(Bytes(bytes));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_TRUE(HasSubstr(r.status().message(), "CRC")) << r.status().message();
}

// `png` with its IHDR claiming width x height (and a CRC that matches the claim).
std::string WithSize(const std::string& png, uint32_t width, uint32_t height) {
  std::string ihdr = png.substr(12, 17);  // "IHDR" and its 13 bytes of data
  for (int i = 0; i < 4; ++i) {
    ihdr[4 + i] = static_cast<char>(width >> (24 - 8 * i));
    ihdr[8 + i] = static_cast<char>(height >> (24 - 8 * i));
  }
  uint32_t crc = 0xffffffffu;
  for (unsigned char ch : ihdr) {
    crc ^= ch;
    for (int k = 0; k < 8; ++k) crc = crc & 1 ? 0xedb88320u ^ (crc >> 1) : crc >> 1;
  }
  crc ^= 0xffffffffu;
  std::string out = png.substr(0, 12) + ihdr;
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<char>(crc >> s));
  return out + png.substr(33);
}

TEST(PngTest, HugeDimensionsAreRefusedBeforeAllocating) {
  std::string bytes = test_util::MustRead(DataPath("grey8.png"));
  ASSERT_TRUE(DecodePng(Bytes(WithSize(bytes, kW, kH))).ok());  // the patch itself is sound

  auto over_limit = DecodePng(Bytes(WithSize(bytes, 1000000, 1000000)));
  ASSERT_FALSE(over_limit.ok());
  EXPECT_EQ(over_limit.status().code(), StatusCode::kUnsupported);
  EXPECT_TRUE(HasSubstr(over_limit.status().message(), "1000000x1000000"));

  auto too_wide = DecodePng(Bytes(WithSize(bytes, 1u << 21, 1)));  // over the user limit
  ASSERT_FALSE(too_wide.ok());
  EXPECT_EQ(too_wide.status().code(), StatusCode::kCorruption);
  EXPECT_TRUE(HasSubstr(too_wide.status().message(), "IHDR")) << too_wide.status().ToString();
}

TEST(PngTest, ZeroSizeSaysWhy) {
  std::string bytes = test_util::MustRead(DataPath("grey8.png"));
  for (auto [w, h, why] : {std::tuple{0u, uint32_t{kH}, "width is zero"},
                           std::tuple{uint32_t{kW}, 0u, "height is zero"}}) {
    auto r = DecodePng(Bytes(WithSize(bytes, w, h)));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
    EXPECT_TRUE(HasSubstr(r.status().message(), why)) << r.status().message();
  }
}

}  // namespace
}  // namespace ipfs_accelerate::models
