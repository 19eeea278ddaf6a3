/* A C consumer of a txc-compiled model: opens it, translates two
 * sentences with beam 2, prints the best ids of each. */
#include "tiny.h"

#include <stdio.h>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: client MODEL_DIR\n");
    return 2;
  }
  txc_model *model = tiny_open(argv[1]);
  if (!model) {
    fprintf(stderr, "error: %s\n", txc_last_error());
    return 1;
  }
  const int32_t first[] = {5, 6, 7};
  const int32_t second[] = {8, 9, 10, 11, 12};
  const int32_t *ids[] = {first, second};
  const int lengths[] = {3, 5};
  txc_decode_options options;
  txc_decode_options_init(&options);
  options.beam = 2;
  options.max_length = 12;
  txc_result *result = NULL;
  if (txc_translate(model, ids, lengths, 2, &options, &result) != 0) {
    fprintf(stderr, "error: %s\n", txc_last_error());
    txc_model_close(model);
    return 1;
  }
  for (int s = 0; s < result->count; ++s) {
    const txc_hypothesis *best = &result->sentences[s].hypotheses[0];
    for (int i = 0; i < best->length; ++i)
      printf(i ? " %d" : "%d", best->ids[i]);
    printf("\n");
  }
  txc_result_free(result);
  txc_model_close(model);
  return 0;
}
