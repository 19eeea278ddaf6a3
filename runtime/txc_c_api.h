/* The C interface of a txc-compiled translation model.
 *
 * A generated library NAME provides its kernels and plan through
 *   const txc_kernel_table *NAME_kernels(void);
 * and an entry point made with TXC_DEFINE_MODEL_OPEN(NAME):
 *   txc_model *NAME_open(const char *model_dir);
 * Everything else is the generic runtime below. Functions returning int
 * give 0 on success and -1 on failure, with txc_last_error() saying why.
 * A txc_model serves one call at a time (calls on one model are serialised);
 * use one model per thread for parallel translation. */
#ifndef TXC_C_API_H
#define TXC_C_API_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A Halide ahead-of-time pipeline's argv entry point (NAME_argv). */
typedef int (*txc_kernel_fn)(void **args);

typedef struct txc_kernel {
  const char *name; /* the symbol the plan names */
  txc_kernel_fn fn;
} txc_kernel;

typedef struct txc_kernel_table {
  const txc_kernel *kernels;
  int count;
  /* The plan's JSON text, or NULL to read plan.json from the model
   * directory (the weight file's directory when a file is given). */
  const char *plan_json;
} txc_kernel_table;

typedef struct txc_model txc_model;

typedef struct txc_model_info {
  const char *name; /* valid while the model is open */
  int source_vocab, target_vocab, max_positions;
  int pad, eos, decoder_start;
} txc_model_info;

typedef struct txc_decode_options {
  int beam;              /* 1 = greedy; default 4 */
  int max_length;        /* 0 = the model's max_positions (default) */
  int min_length;        /* default 0 */
  double length_penalty; /* default 1.0 */
  int batch_size;        /* sentences decoded together; default 32 */
  int n_best;            /* hypotheses returned per sentence; default 1 */
} txc_decode_options;

typedef struct txc_hypothesis {
  int32_t *ids; /* generated ids, without the start token and EOS */
  int length;   /* number of ids */
  double score; /* sum of log-probs / length^length_penalty; NaN for greedy
                   search (beam 1) on a model compiled with fuse-output,
                   which never normalizes the logits */
} txc_hypothesis;

typedef struct txc_sentence {
  txc_hypothesis *hypotheses; /* best first */
  int count;
} txc_sentence;

typedef struct txc_result {
  txc_sentence *sentences; /* one per input sequence, in input order */
  int count;
} txc_result;

/* Fills `options` with the defaults above. */
void txc_decode_options_init(txc_decode_options *options);

/* Sets the thread count for the whole process (kernels and runtime) before
 * the first translation; threads <= 0 means one per core. */
int txc_set_threads(int threads);

/* Opens a model: `model_dir_or_weights` is the directory holding the weight
 * file (and plan.json, tokenizer files) or the weight file itself. `kernels`
 * may be NULL: every op then runs the runtime's own implementation. Returns
 * NULL on failure. */
txc_model *txc_model_open(const char *model_dir_or_weights,
                          const txc_kernel_table *kernels);

int txc_model_get_info(const txc_model *model, txc_model_info *info);

/* Translates `count` token-id sequences (ids[i] has lengths[i] ids, EOS
 * included as the model expects). `options` may be NULL for the defaults.
 * On success *out holds one sentence per input; free it with
 * txc_result_free. */
int txc_translate(txc_model *model, const int32_t *const *ids,
                  const int *lengths, int count,
                  const txc_decode_options *options, txc_result **out);

void txc_result_free(txc_result *result);

/* The calling thread's last error message ("" if none). */
const char *txc_last_error(void);

void txc_model_close(txc_model *model);

/* Defines NAME_open for a generated library whose kernel table is
 * NAME_kernels(). */
#define TXC_DEFINE_MODEL_OPEN(NAME)                                           \
  txc_model *NAME##_open(const char *model_dir) {                             \
    return txc_model_open(model_dir, NAME##_kernels());                       \
  }

/* The translate program (TxcTranslateMain) calls this to get its model's
 * kernels; the link that builds it provides the definition, e.g. with
 * TXC_DEFINE_TRANSLATE_KERNELS(NAME). */
const txc_kernel_table *txc_translate_kernels(void);

#define TXC_DEFINE_TRANSLATE_KERNELS(NAME)                                    \
  const txc_kernel_table *txc_translate_kernels(void) {                       \
    return NAME##_kernels();                                                  \
  }

#ifdef __cplusplus
}
#endif

#endif /* TXC_C_API_H */
