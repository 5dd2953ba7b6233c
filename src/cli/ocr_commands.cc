// ocr: read the text of a page (PaddleOCR det + cls + rec) or of one pre-cut text line (rec only),
// with models by path, CID or alias.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/cli.h"
#include "core/file_util.h"
#include "core/json_util.h"
#include "core/progress.h"
#include "core/terminal_text.h"
#include "engine/onnx_loader.h"
#include "hardware/cpu_info.h"
#include "models/image.h"
#include "models/page_ocr.h"
#include "models/text_recognition.h"
#include "router/model_ref.h"
#include "store/repo.h"
#include "store/unixfs_reader.h"

namespace ipfs_accelerate::cli {
namespace {

// Always the store (never a ./ppocr-v4 directory that happens to be here).
constexpr char kDefaultModel[] = "/ipfs/ppocr-v4/ch_PP-OCRv4_rec_infer.onnx";
constexpr char kDictName[] = "ppocr_keys_v1.txt";
constexpr char kDetName[] = "ch_PP-OCRv4_det_infer.onnx";
constexpr char kClsName[] = "ch_ppocr_mobile_v2.0_cls_infer.onnx";
constexpr char kDefaultAlias[] = "ppocr-v4";  // what `make demo` names the model directory

struct OcrOpts {
  std::string image, model = kDefaultModel, det, cls, dict;
  int threads = 0, repeat = 0, max_side = 0, batch = 1;
  bool json = false, line = false, no_cls = false, no_merge = false;
};

// The file `name` beside the model: in the same local directory, or the same stored directory.
// `flag` is the option that names it instead.
Result<std::string> SiblingRef(const std::string& model_ref, bool from_store,
                               const std::string& name, const std::string& flag) {
  if (!from_store) {
    std::error_code ec;
    if (std::filesystem::is_directory(model_ref, ec)) return model_ref + "/" + name;
    return DirName(model_ref) + "/" + name;
  }
  std::string root, path;
  store::SplitIpfsPath(model_ref, &root, &path);
  if (path.empty()) {
    return Status::InvalidArgument("the model \"" + model_ref +
                                   "\" is a bare CID: there is no directory to find " + name +
                                   " in; pass " + flag + " FILE|CID");
  }
  size_t slash = path.rfind('/');
  return "/ipfs/" + root + "/" + (slash == std::string::npos ? "" : path.substr(0, slash + 1)) +
         name;
}

// Whether the repository at `repo` holds the alias `name`; false when it has no aliases yet
// (nothing is created to find out).
bool HasAlias(const std::string& repo, const std::string& name) {
  std::error_code ec;
  if (!std::filesystem::exists(repo + "/aliases.json", ec)) return false;
  auto r = store::Repo::Open(repo);
  if (!r.ok()) return true;  // cannot tell: let the real error speak
  auto aliases = (*r)->Aliases();
  return !aliases.ok() || aliases->count(name) > 0;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

struct LoadedModel {
  engine::Model model;
  std::string ref, cid;
  bool from_store = false;
};

// The model at `ref`; the rec model (`ref` the default) explains how to get PaddleOCR v4.
Result<LoadedModel> LoadModel(const Context& ctx, const std::string& ref) {
  auto file = router::ReadFileRef(ctx.repo_flag, ref, "model.onnx", /*compute_cid=*/true);
  if (!file.ok()) {
    if (ref == kDefaultModel && !HasAlias(ctx.repo_flag, kDefaultAlias)) {
      return Status::NotFound(
          std::string("the default OCR model (alias ") + kDefaultAlias + " in the repository " +
          ctx.repo_flag +
          ") is not there yet: run `make demo` to add PaddleOCR v4, or add a model directory "
          "yourself (ipfs-accelerate add -r --alias " +
          kDefaultAlias + " DIR), or pass --model FILE|CID");
    }
    return file.status();
  }
  auto model = engine::ParseModel(file->bytes, file->base_dir);
  if (!model.ok()) return model.status().WithContext(ref);
  return LoadedModel{std::move(model).value(), ref, file->cid, file->from_store};
}

// The rec model's dictionary: --dict, or the file beside the model.
Result<models::CharDictionary> LoadDict(const Context& ctx, const OcrOpts& o,
                                        const LoadedModel& rec) {
  std::string ref = o.dict;
  if (ref.empty()) {
    IA_ASSIGN_OR_RETURN(ref, SiblingRef(o.model, rec.from_store, kDictName, "--dict"));
  }
  auto file = router::ReadFileRef(ctx.repo_flag, ref, kDictName);
  if (!file.ok()) return file.status().WithContext("dictionary");
  auto dict = models::CharDictionary::Parse(file->bytes);
  if (!dict.ok()) return dict.status().WithContext(ref);
  return dict;
}

nlohmann::json ModelJson(const LoadedModel& m) {
  return {{"ref", m.ref}, {"cid", m.cid}, {"from_store", m.from_store}};
}

nlohmann::json HardwareJson(int threads) {
  const hardware::CpuInfo cpu = hardware::DetectCpu();
  return {{"device", "cpu"}, {"name", cpu.model_name}, {"threads", threads}};
}

void PrintHardware(int threads) {
  const hardware::CpuInfo cpu = hardware::DetectCpu();
  std::printf("hardware: cpu \"%s\", %s\n", TerminalSafe(cpu.model_name).c_str(),
              Plural(threads, "thread").c_str());
}

void AddRepeats(nlohmann::json& latency, const std::vector<double>& totals) {
  if (totals.empty()) return;
  latency["median"] = Median(totals);
  latency["min"] = *std::min_element(totals.begin(), totals.end());
  latency["runs"] = totals.size();
}

void PrintRepeats(const std::vector<double>& totals) {
  if (totals.empty()) return;
  std::printf(" median=%.2f min=%.2f over %s", Median(totals),
              *std::min_element(totals.begin(), totals.end()),
              Plural(totals.size(), "run").c_str());
}

// --line: one pre-cut text line, rec only.
int RunLine(const Context& ctx, const OcrOpts& o, const models::RgbImage& image, double image_ms) {
  auto t0 = std::chrono::steady_clock::now();
  auto rec = LoadModel(ctx, o.model);
  if (!rec.ok()) return Fail(rec.status());
  auto dict = LoadDict(ctx, o, *rec);
  if (!dict.ok()) return Fail(dict.status());
  auto recognizer = models::TextRecognizer::Create(std::move(rec->model), std::move(dict).value(),
                                                   {.threads = o.threads});
  if (!recognizer.ok()) return Fail(recognizer.status().WithContext(o.model));
  const double load_ms = MsSince(t0);

  models::RecognitionTimings first;
  auto text = (*recognizer)->Recognize(image, &first);
  if (!text.ok()) return Fail(text.status());
  std::vector<double> totals;
  for (int i = 0; i < o.repeat; ++i) {
    t0 = std::chrono::steady_clock::now();
    auto again = (*recognizer)->Recognize(image);
    if (!again.ok()) return Fail(again.status());
    totals.push_back(MsSince(t0));
  }

  const int threads = (*recognizer)->session().threads();
  const double first_ms = first.preprocess_ms + first.inference_ms + first.decode_ms;
  if (o.json) {
    nlohmann::json j = {
        {"text", text->text},
        {"confidence", text->confidence},
        {"model", ModelJson(*rec)},
        {"image", {{"path", o.image}, {"width", image.width}, {"height", image.height}}},
        {"hardware", HardwareJson(threads)},
        {"latency_ms",
         {{"image_decode", image_ms},
          {"model_load", load_ms},
          {"first", first_ms},
          {"preprocess", first.preprocess_ms},
          {"inference", first.inference_ms},
          {"ctc_decode", first.decode_ms}}},
    };
    AddRepeats(j["latency_ms"], totals);
    std::printf("%s\n", DumpJson(j, 2).c_str());
    return 0;
  }
  std::printf("text: %s\n", TerminalSafe(text->text).c_str());
  std::printf("confidence: %.4f\n", text->confidence);
  const std::string named = o.model == rec->cid ? "" : o.model + ", ";
  std::printf("model: %s (%s%s)\n", rec->cid.c_str(), TerminalSafe(named).c_str(),
              rec->from_store ? "read from the store, every block verified" : "a local file");
  PrintHardware(threads);
  std::printf("latency_ms: first=%.2f (preprocess %.2f, inference %.2f, ctc %.2f)", first_ms,
              first.preprocess_ms, first.inference_ms, first.decode_ms);
  PrintRepeats(totals);
  std::printf("; png decode %.2f, model load %.2f\n", image_ms, load_ms);
  return 0;
}

// Each stage's milliseconds (detection and recognition whole, and their model runs alone).
nlohmann::json StagesJson(const models::PageOcrStats& s) {
  const auto& d = s.detection;
  const auto& r = s.recognition;
  return {{"detection", d.preprocess_ms + d.inference_ms + d.postprocess_ms},
          {"detection_inference", d.inference_ms},
          {"crop", s.crop_ms},
          {"direction", s.direction_ms},
          {"recognition", r.preprocess_ms + r.inference_ms + r.decode_ms},
          {"recognition_inference", r.inference_ms},
          {"layout", s.layout_ms}};
}

nlohmann::json BoxJson(const models::Quad& box) {
  nlohmann::json j = nlohmann::json::array();
  for (const models::PointF& p : box) j.push_back({std::lround(p.x), std::lround(p.y)});
  return j;
}

// The whole page: det, cls (unless --no-cls), rec.
int RunPage(const Context& ctx, const OcrOpts& o, const models::RgbImage& image, double image_ms) {
  auto t0 = std::chrono::steady_clock::now();
  auto rec = LoadModel(ctx, o.model);
  if (!rec.ok()) return Fail(rec.status());
  std::string det_ref = o.det, cls_ref = o.cls;
  if (det_ref.empty()) {
    auto r = SiblingRef(o.model, rec->from_store, kDetName, "--det");
    if (!r.ok()) return Fail(r.status());
    det_ref = *r;
  }
  if (cls_ref.empty() && !o.no_cls) {
    auto r = SiblingRef(o.model, rec->from_store, kClsName, "--cls (or --no-cls)");
    if (!r.ok()) return Fail(r.status());
    cls_ref = *r;
  }
  auto det = LoadModel(ctx, det_ref);
  if (!det.ok()) return Fail(det.status().WithContext("detection model (--det)"));
  std::optional<LoadedModel> cls;
  if (!o.no_cls) {
    auto c = LoadModel(ctx, cls_ref);
    if (!c.ok()) return Fail(c.status().WithContext("direction model (--cls, or --no-cls)"));
    cls = std::move(c).value();
  }
  auto dict = LoadDict(ctx, o, *rec);
  if (!dict.ok()) return Fail(dict.status());

  const engine::SessionOptions session{.threads = o.threads};
  models::PageOcrOptions options;
  options.merge_lines = !o.no_merge;
  options.recognition_batch = o.batch;
  if (o.max_side > 0) {
    options.detection.limit_type = models::SideLimit::kMax;
    options.detection.limit_side_len = o.max_side;
  }
  auto detector = models::TextDetector::Create(std::move(det->model), options.detection, session);
  if (!detector.ok()) return Fail(detector.status().WithContext(det_ref));
  std::unique_ptr<models::TextDirectionClassifier> classifier;
  if (cls) {
    auto c = models::TextDirectionClassifier::Create(std::move(cls->model), session);
    if (!c.ok()) return Fail(c.status().WithContext(cls_ref));
    classifier = std::move(c).value();
  }
  auto recognizer =
      models::TextRecognizer::Create(std::move(rec->model), std::move(dict).value(), session);
  if (!recognizer.ok()) return Fail(recognizer.status().WithContext(o.model));
  const int threads = (*recognizer)->session().threads();
  models::PageOcr ocr(std::move(detector).value(), std::move(classifier),
                      std::move(recognizer).value(), options);
  const double load_ms = MsSince(t0);

  models::PageOcrStats stats;
  auto lines = ocr.Read(image, &stats);
  if (!lines.ok()) {
    Status s = lines.status().WithContext(o.image);
    if (s.code() == StatusCode::kResourceExhausted && o.max_side == 0) {
      s = s.WithMessage(s.message() + " (the page is " + std::to_string(image.width) + "x" +
                        std::to_string(image.height) +
                        " pixels: --max-side 1600 scales it down for detection)");
    }
    return Fail(s);
  }
  std::vector<double> totals;
  std::vector<nlohmann::json> warm;
  for (int i = 0; i < o.repeat; ++i) {
    t0 = std::chrono::steady_clock::now();
    models::PageOcrStats again_stats;
    auto again = ocr.Read(image, &again_stats);
    if (!again.ok()) return Fail(again.status());
    totals.push_back(MsSince(t0));
    warm.push_back(StagesJson(again_stats));
  }

  const nlohmann::json stages = StagesJson(stats);
  const double det_ms = stages["detection"], rec_ms = stages["recognition"];
  if (o.json) {
    nlohmann::json j_lines = nlohmann::json::array();
    std::string all;
    for (const models::TextLine& l : *lines) {
      j_lines.push_back({{"text", l.text}, {"confidence", l.confidence}, {"box", BoxJson(l.box)}});
      all += (all.empty() ? "" : "\n") + l.text;
    }
    nlohmann::json models_j = {{"det", ModelJson(*det)}, {"rec", ModelJson(*rec)}};
    if (cls) models_j["cls"] = ModelJson(*cls);
    nlohmann::json j = {
        {"lines", j_lines},
        {"text", all},
        {"boxes", {{"found", stats.boxes}, {"turned", stats.turned}, {"dropped", stats.dropped}}},
        {"models", models_j},
        {"image", {{"path", o.image}, {"width", image.width}, {"height", image.height}}},
        {"hardware", HardwareJson(threads)},
        {"latency_ms",
         {{"image_decode", image_ms}, {"model_load", load_ms}, {"first", stats.total_ms()}}},
    };
    j["latency_ms"].update(stages);
    AddRepeats(j["latency_ms"], totals);
    if (!warm.empty()) {  // the median of each stage over the repeats
      nlohmann::json& m = j["latency_ms"]["warm"];
      for (const auto& [stage, first_ms] : stages.items()) {
        std::vector<double> v;
        for (const nlohmann::json& w : warm) v.push_back(w[stage]);
        m[stage] = Median(v);
      }
    }
    std::printf("%s\n", DumpJson(j, 2).c_str());
    return 0;
  }
  for (size_t i = 0; i < lines->size(); ++i) {
    const models::TextLine& l = (*lines)[i];
    std::printf("line %zu: %s\n", i + 1, TerminalSafe(l.text).c_str());
    std::printf("  confidence %.4f, box %s\n", l.confidence, BoxJson(l.box).dump().c_str());
  }
  std::printf("lines: %zu (%s found, %d turned, %d dropped)\n", lines->size(),
              Plural(stats.boxes, "box", "boxes").c_str(), stats.turned, stats.dropped);
  auto describe = [](const char* what, const LoadedModel& m) {
    std::printf("%s: %s (%s)\n", what, m.cid.c_str(),
                m.from_store ? "read from the store, every block verified" : "a local file");
  };
  describe("det", *det);
  if (cls) describe("cls", *cls);
  describe("rec", *rec);
  PrintHardware(threads);
  std::printf(
      "latency_ms: first=%.2f (detection %.2f, crop %.2f, direction %.2f, recognition %.2f)",
      stats.total_ms(), det_ms, stats.crop_ms, stats.direction_ms, rec_ms);
  PrintRepeats(totals);
  std::printf("; png decode %.2f, model load %.2f\n", image_ms, load_ms);
  return 0;
}

}  // namespace

void RegisterOcrCommands(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<OcrOpts>();
  auto* cmd = app.add_subcommand(
      "ocr",
      "Read the text of a page image (PNG) with PaddleOCR models: text boxes (det), their "
      "direction (cls) and their text (rec), in reading order; --line reads one pre-cut line");
  cmd->add_option("image", o->image, "PNG image: a page, or one line of text with --line")
      ->required();
  cmd->add_option("-m,--model", o->model,
                  "Recognition model: ONNX file, or CID/alias[/path] in the store (default: " +
                      std::string(kDefaultModel) + ")");
  cmd->add_option("--det", o->det,
                  std::string("Detection model: file or CID/alias[/path] (default: ") + kDetName +
                      " beside the recognition model)");
  cmd->add_option("--cls", o->cls,
                  std::string("Direction model: file or CID/alias[/path] (default: ") + kClsName +
                      " beside the recognition model)");
  cmd->add_option("--dict", o->dict,
                  "Character dictionary, one character a line: file or CID/alias[/path] "
                  "(default: " +
                      std::string(kDictName) + " beside the recognition model)");
  cmd->add_flag("--line", o->line,
                "The image is one pre-cut line of text: read it with the recognition model alone "
                "(no detection, no direction)");
  cmd->add_flag("--no-cls", o->no_cls,
                "Read lines the way they are cut out: no direction model, no 180° turns");
  cmd->add_flag("--no-merge", o->no_merge,
                "One output line per detected box (default: boxes on one line are joined)");
  cmd->add_option("--max-side", o->max_side,
                  "Scale a page down for detection so that its longer side is at most N pixels "
                  "(default 0: the page as it is, sides rounded up to multiples of 32)")
      ->check(CLI::Range(0, 1 << 20));
  cmd->add_option("--batch", o->batch,
                  "Lines per run of the recognition model (default 1; PaddleOCR batches 6: lines "
                  "of like width go together, padded to the widest, which on a CPU only adds work)")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--threads", o->threads, "Threads (default: the number of cores)")
      ->check(CLI::Range(0, 256));
  cmd->add_option("--repeat", o->repeat,
                  "Read the image N more times and report latency statistics")
      ->check(CLI::Range(0, 100000));
  cmd->add_flag("--json", o->json,
                "Print JSON: {\"lines\": [{\"text\", \"confidence\", \"box\": [[x,y] x4]}], ...} "
                "(with --line: {\"text\", \"confidence\", ...})");
  cmd->callback([&ctx, o] {
    ctx.run = [&ctx, o]() -> int {
      auto t0 = std::chrono::steady_clock::now();
      auto image = models::ReadPng(o->image);
      if (!image.ok()) return Fail(image.status());
      if (image->width <= 0 || image->height <= 0) {
        return Fail(Status::InvalidArgument(o->image + ": the image has no pixels (" +
                                            std::to_string(image->width) + "x" +
                                            std::to_string(image->height) + ")"));
      }
      const double image_ms = MsSince(t0);
      return o->line ? RunLine(ctx, *o, *image, image_ms) : RunPage(ctx, *o, *image, image_ms);
    };
  });
}

}  // namespace ipfs_accelerate::cli
