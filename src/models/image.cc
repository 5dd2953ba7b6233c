// PNG decoding through libpng. libpng reports errors by longjmp: every call into it happens in a
// function that sets the jump buffer itself and owns no object with a destructor (ReadHeader,
// ReadRows), and the callbacks it runs own none either, so a jump never skips a C++ destructor.
// The buffers live in DecodePng's frame, which a jump never leaves.
#include "models/image.h"

#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>

#include "core/file_util.h"

namespace ipfs_accelerate::models {
namespace {

// Where libpng reads from, and where its error callback leaves the message. Trivially
// destructible on purpose (see the top of the file).
struct PngInput {
  const uint8_t* data;
  size_t size;
  size_t pos;
  char error[256];
  char warning[256];  // the last one: libpng often explains an error in a warning just before
};

void OnPngError(png_structp png, png_const_charp message) {
  auto* in = static_cast<PngInput*>(png_get_error_ptr(png));
  std::snprintf(in->error, sizeof in->error, "%s", message);
  png_longjmp(png, 1);
}

// Ancillary-chunk problems are not our business, unless an error follows (see DecodePng).
void OnPngWarning(png_structp png, png_const_charp message) {
  auto* in = static_cast<PngInput*>(png_get_error_ptr(png));
  std::snprintf(in->warning, sizeof in->warning, "%s", message);
}

void OnPngRead(png_structp png, png_bytep out, png_size_t n) {
  auto* in = static_cast<PngInput*>(png_get_io_ptr(png));
  if (n > in->size - in->pos) png_error(png, "the file ends early (truncated)");
  std::memcpy(out, in->data + in->pos, n);
  in->pos += n;
}

// Reads the header and asks libpng for 8-bit RGB or RGBA rows. False after a libpng error.
bool ReadHeader(png_structp png, png_infop info, png_uint_32* width, png_uint_32* height,
                int* channels) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_user_limits(png, 1u << 20, 1u << 20);
  png_read_info(png, info);
  const int color = png_get_color_type(png, info);
  const int depth = png_get_bit_depth(png, info);
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
  if (depth == 16) png_set_scale_16(png);
  if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  *width = png_get_image_width(png, info);
  *height = png_get_image_height(png, info);
  *channels = png_get_channels(png, info);
  return true;
}

// Decodes every row (all passes when interlaced) and checks the rest of the file up to IEND.
bool ReadRows(png_structp png, png_infop info, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_image(png, rows);
  png_read_end(png, nullptr);
  return true;
}

// Destroys libpng's structures however DecodePng returns.
class PngReadGuard {
 public:
  PngReadGuard(png_structp png, png_infop info) : png_(png), info_(info) {}
  ~PngReadGuard() { png_destroy_read_struct(&png_, info_ ? &info_ : nullptr, nullptr); }
  PngReadGuard(const PngReadGuard&) = delete;
  PngReadGuard& operator=(const PngReadGuard&) = delete;

 private:
  png_structp png_;
  png_infop info_;
};

}  // namespace

Result<RgbImage> DecodePng(std::span<const uint8_t> bytes) {
  if (bytes.size() < 8 || png_sig_cmp(bytes.data(), 0, 8) != 0) {
    return Status::InvalidArgument(
        "not a PNG file (it does not start with the PNG signature); only PNG images are "
        "supported: convert it first, e.g. `convert in.jpg out.png`");
  }
  PngInput in{bytes.data(), bytes.size(), 0, {}, {}};
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &in, OnPngError, OnPngWarning);
  if (png == nullptr) return Status::Internal("libpng could not create a read structure");
  png_infop info = png_create_info_struct(png);
  PngReadGuard guard(png, info);
  if (info == nullptr) return Status::Internal("libpng could not create an info structure");
  png_set_read_fn(png, &in, OnPngRead);

  auto corrupt = [&in] {
    std::string message = std::string("corrupt or truncated PNG: ") + in.error;
    if (in.warning[0] != '\0') message += std::string(" (") + in.warning + ")";
    return Status::Corruption(message);
  };
  png_uint_32 width = 0, height = 0;
  int channels = 0;
  if (!ReadHeader(png, info, &width, &height, &channels)) return corrupt();
  if (static_cast<int64_t>(width) * height > kMaxImagePixels) {
    return Status::Unsupported("PNG of " + std::to_string(width) + "x" + std::to_string(height) +
                               " pixels: more than the " + std::to_string(kMaxImagePixels) +
                               " this decoder accepts; scale it down first");
  }
  if (channels != 3 && channels != 4) {
    return Status::Internal("libpng gave " + std::to_string(channels) + " channels, want 3 or 4");
  }
  const size_t stride = static_cast<size_t>(width) * channels;
  std::vector<uint8_t> decoded(stride * height);
  std::vector<png_bytep> rows(height);
  for (png_uint_32 y = 0; y < height; ++y) rows[y] = decoded.data() + y * stride;
  if (!ReadRows(png, info, rows.data())) return corrupt();

  RgbImage image;
  image.width = static_cast<int>(width);
  image.height = static_cast<int>(height);
  if (channels == 3) {
    image.rgb = std::move(decoded);
    return image;
  }
  image.rgb.resize(static_cast<size_t>(width) * height * 3);
  for (size_t i = 0, n = static_cast<size_t>(width) * height; i < n; ++i) {
    const uint32_t a = decoded[i * 4 + 3];
    for (int c = 0; c < 3; ++c) {
      image.rgb[i * 3 + c] =
          static_cast<uint8_t>((decoded[i * 4 + c] * a + 255 * (255 - a) + 127) / 255);
    }
  }
  return image;
}

Result<RgbImage> ReadPng(const std::string& path) {
  IA_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  auto image = DecodePng({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  if (!image.ok()) return image.status().WithContext(path);
  return image;
}

}  // namespace ipfs_accelerate::models
