// ocr: read the text of a text-line image with a PaddleOCR rec model (by path, CID or alias).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "core/file_util.h"
#include "core/json_util.h"
#include "core/progress.h"
#include "core/terminal_text.h"
#include "engine/onnx_loader.h"
#include "hardware/cpu_info.h"
#include "models/image.h"
#include "models/text_recognition.h"
#include "router/model_ref.h"
#include "store/repo.h"
#include "store/unixfs_reader.h"

namespace ipfs_accelerate::cli {
namespace {

// Always the store (never a ./ppocr-v4 directory that happens to be here).
constexpr char kDefaultModel[] = "/ipfs/ppocr-v4/ch_PP-OCRv4_rec_infer.onnx";
constexpr char kDictName[] = "ppocr_keys_v1.txt";
constexpr char kDefaultAlias[] = "ppocr-v4";  // what `make demo` names the model directory

// The dictionary beside the model: in the same local directory, or the same stored directory.
Result<std::string> DefaultDictRef(const std::string& model_ref, bool from_store) {
  if (!from_store) {
    std::error_code ec;
    if (std::filesystem::is_directory(model_ref, ec)) return model_ref;  // its ppocr_keys_v1.txt
    return DirName(model_ref) + "/" + kDictName;
  }
  std::string root, path;
  store::SplitIpfsPath(model_ref, &root, &path);
  if (path.empty()) {
    return Status::InvalidArgument("the model \"" + model_ref +
                                   "\" is a bare CID: there is no directory to find " + kDictName +
                                   " in; pass --dict FILE|CID");
  }
  size_t slash = path.rfind('/');
  return "/ipfs/" + root + "/" + (slash == std::string::npos ? "" : path.substr(0, slash + 1)) +
         kDictName;
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

}  // namespace

void RegisterOcrCommands(CLI::App& app, Context& ctx) {
  struct OcrOpts {
    std::string image, model = kDefaultModel, dict;
    int threads = 0, repeat = 0;
    bool json = false;
  };
  auto o = std::make_shared<OcrOpts>();
  auto* cmd = app.add_subcommand(
      "ocr", "Read the text of a one-line text image (PNG) with a PaddleOCR recognition model");
  cmd->add_option("image", o->image, "PNG image of one line of text")->required();
  cmd->add_option("-m,--model", o->model,
                  "Recognition model: ONNX file, or CID/alias[/path] in the store (default: " +
                      std::string(kDefaultModel) + ")");
  cmd->add_option("--dict", o->dict,
                  "Character dictionary, one character a line: file or CID/alias[/path] "
                  "(default: " +
                      std::string(kDictName) + " beside the model)");
  cmd->add_option("--threads", o->threads, "Threads (default: the number of cores)")
      ->check(CLI::Range(0, 256));
  cmd->add_option("--repeat", o->repeat,
                  "Read the image N more times and report latency statistics")
      ->check(CLI::Range(0, 100000));
  cmd->add_flag("--json", o->json, "Print JSON");
  cmd->callback([&ctx, o] {
    ctx.run = [&ctx, o]() -> int {
      auto t0 = std::chrono::steady_clock::now();
      auto image = models::ReadPng(o->image);
      if (!image.ok()) return Fail(image.status());
      const double image_ms = MsSince(t0);

      t0 = std::chrono::steady_clock::now();
      auto model_file =
          router::ReadFileRef(ctx.repo_flag, o->model, "model.onnx", /*compute_cid=*/true);
      if (!model_file.ok()) {
        if (o->model == kDefaultModel && !HasAlias(ctx.repo_flag, kDefaultAlias)) {
          return Fail(Status::NotFound(
              std::string("the default OCR model (alias ") + kDefaultAlias + " in the repository " +
              ctx.repo_flag +
              ") is not there yet: run `make demo` to add PaddleOCR v4, or add a recognition "
              "model directory yourself (ipfs-accelerate add -r --alias " +
              kDefaultAlias + " DIR), or pass --model FILE|CID"));
        }
        return Fail(model_file.status());
      }
      auto model = engine::ParseModel(model_file->bytes, model_file->base_dir);
      if (!model.ok()) return Fail(model.status().WithContext(o->model));
      std::string dict_ref = o->dict;
      if (dict_ref.empty()) {
        auto d = DefaultDictRef(o->model, model_file->from_store);
        if (!d.ok()) return Fail(d.status());
        dict_ref = *d;
      }
      auto dict_file = router::ReadFileRef(ctx.repo_flag, dict_ref, kDictName);
      if (!dict_file.ok()) return Fail(dict_file.status().WithContext("dictionary"));
      auto dict = models::CharDictionary::Parse(dict_file->bytes);
      if (!dict.ok()) return Fail(dict.status().WithContext(dict_ref));
      auto recognizer = models::TextRecognizer::Create(
          std::move(model).value(), std::move(dict).value(), {.threads = o->threads});
      if (!recognizer.ok()) return Fail(recognizer.status().WithContext(o->model));
      const double load_ms = MsSince(t0);

      models::RecognitionTimings first;
      auto text = (*recognizer)->Recognize(*image, &first);
      if (!text.ok()) return Fail(text.status());
      std::vector<double> totals;
      for (int i = 0; i < o->repeat; ++i) {
        t0 = std::chrono::steady_clock::now();
        auto again = (*recognizer)->Recognize(*image);
        if (!again.ok()) return Fail(again.status());
        totals.push_back(MsSince(t0));
      }

      const hardware::CpuInfo cpu = hardware::DetectCpu();
      const int threads = (*recognizer)->session().threads();
      const double first_ms = first.preprocess_ms + first.inference_ms + first.decode_ms;
      if (o->json) {
        nlohmann::json j = {
            {"text", text->text},
            {"confidence", text->confidence},
            {"model",
             {{"ref", o->model}, {"cid", model_file->cid}, {"from_store", model_file->from_store}}},
            {"image", {{"path", o->image}, {"width", image->width}, {"height", image->height}}},
            {"hardware", {{"device", "cpu"}, {"name", cpu.model_name}, {"threads", threads}}},
            {"latency_ms",
             {{"image_decode", image_ms},
              {"model_load", load_ms},
              {"first", first_ms},
              {"preprocess", first.preprocess_ms},
              {"inference", first.inference_ms},
              {"ctc_decode", first.decode_ms}}},
        };
        if (!totals.empty()) {
          j["latency_ms"]["median"] = Median(totals);
          j["latency_ms"]["min"] = *std::min_element(totals.begin(), totals.end());
          j["latency_ms"]["runs"] = totals.size();
        }
        std::printf("%s\n", DumpJson(j, 2).c_str());
        return 0;
      }
      std::printf("text: %s\n", TerminalSafe(text->text).c_str());
      std::printf("confidence: %.4f\n", text->confidence);
      const std::string named = o->model == model_file->cid ? "" : o->model + ", ";
      std::printf(
          "model: %s (%s%s)\n", model_file->cid.c_str(), TerminalSafe(named).c_str(),
          model_file->from_store ? "read from the store, every block verified" : "a local file");
      std::printf("hardware: cpu \"%s\", %s\n", TerminalSafe(cpu.model_name).c_str(),
                  Plural(threads, "thread").c_str());
      std::printf("latency_ms: first=%.2f (preprocess %.2f, inference %.2f, ctc %.2f)", first_ms,
                  first.preprocess_ms, first.inference_ms, first.decode_ms);
      if (!totals.empty()) {
        std::printf(" median=%.2f min=%.2f over %s", Median(totals),
                    *std::min_element(totals.begin(), totals.end()),
                    Plural(totals.size(), "run").c_str());
      }
      std::printf("; png decode %.2f, model load %.2f\n", image_ms, load_ms);
      return 0;
    };
  });
}

}  // namespace ipfs_accelerate::cli
