#include "runtime/txc_c_api.h"

#include "runtime/KernelTableFromC.h"
#include "runtime/ThreadPool.h"
#include "runtime/Translator.h"

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>

using namespace txc::runtime;

struct txc_model {
  std::unique_ptr<Translator> translator;
  std::mutex mutex;
};

namespace {

thread_local std::string lastError;

int fail(const std::string &message) {
  lastError = message;
  return -1;
}

// Copies `results` into one malloc'd txc_result the caller frees.
txc_result *toCResult(const std::vector<SentenceResult> &results) {
  auto *out = static_cast<txc_result *>(std::calloc(1, sizeof(txc_result)));
  if (!out)
    return nullptr;
  out->count = static_cast<int>(results.size());
  out->sentences = static_cast<txc_sentence *>(
      std::calloc(results.size() ? results.size() : 1, sizeof(txc_sentence)));
  if (!out->sentences) {
    txc_result_free(out);
    return nullptr;
  }
  for (size_t s = 0; s < results.size(); ++s) {
    const std::vector<Hypothesis> &hyps = results[s].hypotheses;
    txc_sentence &sentence = out->sentences[s];
    sentence.hypotheses = static_cast<txc_hypothesis *>(
        std::calloc(hyps.size() ? hyps.size() : 1, sizeof(txc_hypothesis)));
    if (!sentence.hypotheses) {
      txc_result_free(out);
      return nullptr;
    }
    sentence.count = static_cast<int>(hyps.size());
    for (size_t h = 0; h < hyps.size(); ++h) {
      txc_hypothesis &hyp = sentence.hypotheses[h];
      hyp.length = static_cast<int>(hyps[h].ids.size());
      hyp.score = hyps[h].normalizedScore;
      hyp.ids = static_cast<int32_t *>(
          std::malloc((hyps[h].ids.size() + 1) * sizeof(int32_t)));
      if (!hyp.ids) {
        txc_result_free(out);
        return nullptr;
      }
      std::copy(hyps[h].ids.begin(), hyps[h].ids.end(), hyp.ids);
    }
  }
  return out;
}

} // namespace

extern "C" {

void txc_decode_options_init(txc_decode_options *options) {
  if (!options)
    return;
  options->beam = 4;
  options->max_length = 0;
  options->min_length = 0;
  options->length_penalty = 1.0;
  options->batch_size = 32;
  options->n_best = 1;
}

int txc_set_threads(int threads) {
  Status s = setThreadCount(threads);
  return s.ok() ? 0 : fail(s.message());
}

txc_model *txc_model_open(const char *path, const txc_kernel_table *kernels) {
  if (!path)
    return fail("txc_model_open: no model path given"), nullptr;
  std::unique_ptr<txc_model> model(new (std::nothrow) txc_model());
  if (!model)
    return fail("txc_model_open: out of memory"), nullptr;
  Status s = Translator::open(path, toKernelTable(kernels),
                              embeddedPlan(kernels), ExecutorOptions(),
                              model->translator);
  if (!s.ok())
    return fail(s.message()), nullptr;
  return model.release();
}

int txc_model_get_info(const txc_model *model, txc_model_info *info) {
  if (!model || !info)
    return fail("txc_model_get_info: null argument");
  const ModelInfo &m = model->translator->model();
  info->name = m.name.c_str();
  info->source_vocab = static_cast<int>(m.sourceVocab);
  info->target_vocab = static_cast<int>(m.targetVocab);
  info->max_positions = static_cast<int>(m.maxPositions);
  info->pad = static_cast<int>(m.pad);
  info->eos = static_cast<int>(m.eos);
  info->decoder_start = static_cast<int>(m.decoderStart);
  return 0;
}

int txc_translate(txc_model *model, const int32_t *const *ids,
                  const int *lengths, int count,
                  const txc_decode_options *options, txc_result **out) {
  if (!model || !out || count < 0 || (count > 0 && (!ids || !lengths)))
    return fail("txc_translate: null or invalid argument");
  *out = nullptr;
  txc_decode_options o;
  txc_decode_options_init(&o);
  if (options)
    o = *options;
  TranslateOptions topts;
  topts.search.beam = o.beam;
  topts.search.maxLength = o.max_length;
  topts.search.minLength = o.min_length;
  topts.search.lengthPenalty = o.length_penalty;
  topts.search.nBest = o.n_best;
  topts.batchSize = o.batch_size;

  std::vector<std::vector<int32_t>> sources(count);
  for (int i = 0; i < count; ++i) {
    if (lengths[i] < 0 || (lengths[i] > 0 && !ids[i]))
      return fail("txc_translate: sentence " + std::to_string(i) +
                  " has an invalid length or no ids");
    sources[i].assign(ids[i], ids[i] + lengths[i]);
  }
  std::vector<SentenceResult> results;
  {
    std::lock_guard<std::mutex> lock(model->mutex);
    Status s = model->translator->translate(sources, topts, results);
    if (!s.ok())
      return fail(s.message());
  }
  *out = toCResult(results);
  if (!*out)
    return fail("txc_translate: out of memory");
  return 0;
}

void txc_result_free(txc_result *result) {
  if (!result)
    return;
  for (int s = 0; result->sentences && s < result->count; ++s) {
    txc_sentence &sentence = result->sentences[s];
    for (int h = 0; sentence.hypotheses && h < sentence.count; ++h)
      std::free(sentence.hypotheses[h].ids);
    std::free(sentence.hypotheses);
  }
  std::free(result->sentences);
  std::free(result);
}

const char *txc_last_error(void) { return lastError.c_str(); }

void txc_model_close(txc_model *model) { delete model; }

} // extern "C"
