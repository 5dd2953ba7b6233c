// Text-line recognition with PaddleOCR's rec models (CRNN/SVTR with a CTC head): the image
// preprocessing, the character dictionary and the greedy CTC decoding, and a recognizer that runs
// them around an engine session.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "engine/graph.h"
#include "engine/session.h"
#include "models/image.h"
#include "models/image_ops.h"

namespace ipfs_accelerate::models {

// The class labels of a CTC head: 0 is the blank, 1..N the dictionary's lines, and, with
// `space_class`, N+1 is " " (PaddleOCR's use_space_char).
class CharDictionary {
 public:
  // One character (a UTF-8 string) per line; "\n" or "\r\n" ends a line; a final newline adds
  // no entry. Fails on an empty dictionary.
  static Result<CharDictionary> Parse(std::string_view text);
  static Result<CharDictionary> Load(const std::string& path);

  // Fits the dictionary to a model with `num_classes` outputs per step: N+2 turns the space
  // class on, N+1 leaves it off; any other count means the two do not belong together.
  Status MatchClasses(int64_t num_classes);

  size_t lines() const { return chars_.size(); }
  bool space_class() const { return space_class_; }
  int64_t num_classes() const { return static_cast<int64_t>(chars_.size()) + 1 + space_class_; }
  // The text of class `index` (1 ≤ index < num_classes); the blank (0) has none.
  const std::string& Label(int64_t index) const;

 private:
  std::vector<std::string> chars_;
  bool space_class_ = false;
  std::string space_ = " ";
};

// How a text line becomes the model's input (PaddleOCR's resize_norm_img).
struct TextLineShape {
  int height = 48;       // the model's input height
  int min_width = 320;   // the input is at least this wide; lines are never squeezed to fit it
  int fixed_width = 0;   // > 0 for a model with a fixed input width: lines are squeezed into it
  int max_width = 4096;  // wider lines are squeezed to this width
  Resampling resampling = Resampling::kBilinear;  // how lines are scaled (PaddleOCR: bilinear)
};

// The model input for one text line: 1x3xHxW float32, BGR channel order, (x/255 - 0.5) / 0.5.
// The image is resized (`resampling`) to `height` keeping its aspect ratio,
// W = max(min_width, floor(height * w / h)), and padded on the right with zeros.
Tensor PreprocessTextLine(const RgbImage& image, const TextLineShape& shape = {});

// The model input for several lines at once (N x 3 x H x W, as PaddleOCR batches them): W is the
// width the widest line would get alone (or `fixed_width`), every line resized to its own width
// and padded to W. No line may be empty.
Tensor PreprocessTextLines(std::span<const RgbImage* const> images, const TextLineShape& shape);

struct RecognizedText {
  std::string text;
  float confidence = 0;  // mean probability of the kept steps; 0 when nothing was read
};

// Greedy CTC decoding of `probs` (N x T x C float32, per-step class scores): the best class per
// step, repeats merged, blanks dropped. One result per batch entry.
Result<std::vector<RecognizedText>> CtcGreedyDecode(const Tensor& probs,
                                                    const CharDictionary& dict);

struct RecognitionTimings {
  double preprocess_ms = 0;
  double inference_ms = 0;
  double decode_ms = 0;
};

// A rec model and its dictionary, ready to read text lines.
class TextRecognizer {
 public:
  // Checks that the model has one 1x3xHxW float input and one NxTxC output whose class count fits
  // the dictionary, and creates the session.
  static Result<std::unique_ptr<TextRecognizer>> Create(engine::Model model, CharDictionary dict,
                                                        engine::SessionOptions options = {});

  // Reads the text of one line image.
  Result<RecognizedText> Recognize(const RgbImage& image, RecognitionTimings* timings = nullptr);

  // Reads the text of each line image, in up to `batch_size` lines per run of the model (lines
  // of like aspect ratio together; the results in the order of `images`). Timings are summed.
  Result<std::vector<RecognizedText>> RecognizeBatch(std::span<const RgbImage> images,
                                                     int batch_size,
                                                     RecognitionTimings* timings = nullptr);

  const engine::Session& session() const { return *session_; }
  const TextLineShape& shape() const { return shape_; }
  void set_resampling(Resampling r) { shape_.resampling = r; }

 private:
  TextRecognizer(std::unique_ptr<engine::Session> session, CharDictionary dict, TextLineShape shape,
                 std::string input_name)
      : session_(std::move(session)),
        dict_(std::move(dict)),
        shape_(shape),
        input_name_(std::move(input_name)) {}

  std::unique_ptr<engine::Session> session_;
  CharDictionary dict_;
  TextLineShape shape_;
  std::string input_name_;
};

}  // namespace ipfs_accelerate::models
