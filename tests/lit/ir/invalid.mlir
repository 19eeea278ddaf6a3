// RUN: txc-opt %s -split-input-file -verify-diagnostics
// Each verifier names what it expects and what it got.

func @weight_dynamic() {
  // expected-error @+1 {{'txc.weight' op expects a static shape for weight 'w' but got 'tensor<?x4xf32>'}}
  %w = txc.weight "w" : tensor<?x4xf32>
  return
}

// -----

func @embedding_rank(%t: tensor<16x8xf32>, %ids: tensor<?xi32>) {
  // expected-error @+1 {{'txc.embedding' op expects ids of rank 2 but got 'tensor<?xi32>'}}
  %e = txc.embedding %t, %ids {scale = 1.0 : f64} : (tensor<16x8xf32>, tensor<?xi32>) -> tensor<?x?x8xf32>
  return
}

// -----

func @embedding_result(%t: tensor<16x8xf32>, %ids: tensor<?x?xi32>) {
  // expected-error @+1 {{'txc.embedding' op expects result shape [?x?x8] but got 'tensor<?x?x4xf32>'}}
  %e = txc.embedding %t, %ids {scale = 1.0 : f64} : (tensor<16x8xf32>, tensor<?x?xi32>) -> tensor<?x?x4xf32>
  return
}

// -----

func @sinusoid_layout(%x: tensor<?x?x8xf32>, %s: index) {
  // expected-error @+1 {{'txc.sinusoid_positions' op expects layout "interleaved" or "halves" but got "odd"}}
  %p = txc.sinusoid_positions %x, %s {layout = "odd", offset = 0 : i64} : (tensor<?x?x8xf32>, index) -> tensor<?x?x8xf32>
  return
}

// -----

func @sinusoid_odd(%x: tensor<?x?x7xf32>, %s: index) {
  // expected-error @+1 {{'txc.sinusoid_positions' op expects an even feature size but got 7}}
  %p = txc.sinusoid_positions %x, %s {layout = "interleaved", offset = 0 : i64} : (tensor<?x?x7xf32>, index) -> tensor<?x?x7xf32>
  return
}

// -----

func @learned_width(%x: tensor<?x?x8xf32>, %t: tensor<32x4xf32>, %s: index) {
  // expected-error @+1 {{'txc.learned_positions' op expects table feature size (4) to equal input feature size (8)}}
  %p = txc.learned_positions %x, %t, %s {offset = 0 : i64} : (tensor<?x?x8xf32>, tensor<32x4xf32>, index) -> tensor<?x?x8xf32>
  return
}

// -----

func @linear_in_features(%x: tensor<?x?x8xf32>, %w: tensor<4x6xf32>) {
  // expected-error @+1 {{'txc.linear' op expects weight in-features (6) to equal input feature size (8)}}
  %y = txc.linear %x, %w : (tensor<?x?x8xf32>, tensor<4x6xf32>) -> tensor<?x?x4xf32>
  return
}

// -----

func @linear_bias(%x: tensor<?x?x8xf32>, %w: tensor<4x8xf32>, %b: tensor<5xf32>) {
  // expected-error @+1 {{'txc.linear' op expects bias size (5) to equal weight out-features (4)}}
  %y = txc.linear %x, %w, %b : (tensor<?x?x8xf32>, tensor<4x8xf32>, tensor<5xf32>) -> tensor<?x?x4xf32>
  return
}

// -----

func @linear_result(%x: tensor<?x?x8xf32>, %w: tensor<4x8xf32>) {
  // expected-error @+1 {{'txc.linear' op expects result shape [?x?x4] but got 'tensor<?x?x8xf32>'}}
  %y = txc.linear %x, %w : (tensor<?x?x8xf32>, tensor<4x8xf32>) -> tensor<?x?x8xf32>
  return
}

// -----

func @matmul_contraction(%a: tensor<?x2x?x4xf32>, %b: tensor<?x2x?x3xf32>) {
  // expected-error @+1 {{'txc.matmul' op expects rhs contraction size (3) to equal lhs contraction size (4)}}
  %y = txc.matmul %a, %b {transpose_b = true} : (tensor<?x2x?x4xf32>, tensor<?x2x?x3xf32>) -> tensor<?x2x?x?xf32>
  return
}

// -----

func @matmul_rank(%a: tensor<?x2x?x4xf32>, %b: tensor<?x4xf32>) {
  // expected-error @+1 {{'txc.matmul' op expects operands of one rank >= 2 but got 'tensor<?x2x?x4xf32>' and 'tensor<?x4xf32>'}}
  %y = txc.matmul %a, %b : (tensor<?x2x?x4xf32>, tensor<?x4xf32>) -> tensor<?x2x?x?xf32>
  return
}

// -----

func @matmul_batch(%a: tensor<3x2x5x4xf32>, %b: tensor<3x4x4x5xf32>) {
  // expected-error @+1 {{'txc.matmul' op expects equal batch dim 1 but got 'tensor<3x2x5x4xf32>' and 'tensor<3x4x4x5xf32>'}}
  %y = txc.matmul %a, %b : (tensor<3x2x5x4xf32>, tensor<3x4x4x5xf32>) -> tensor<3x2x5x5xf32>
  return
}

// -----

func @split_heads_divides(%x: tensor<?x?x8xf32>) {
  // expected-error @+1 {{'txc.split_heads' op expects heads (3) to divide the feature size (8)}}
  %y = txc.split_heads %x {heads = 3 : i64} : (tensor<?x?x8xf32>) -> tensor<?x3x?x2xf32>
  return
}

// -----

func @merge_heads_result(%x: tensor<?x2x?x4xf32>) {
  // expected-error @+1 {{'txc.merge_heads' op expects result shape [?x?x8] but got 'tensor<?x?x4xf32>'}}
  %y = txc.merge_heads %x : (tensor<?x2x?x4xf32>) -> tensor<?x?x4xf32>
  return
}

// -----

func @add_shapes(%a: tensor<?x?x8xf32>, %b: tensor<?x?x4xf32>) {
  // expected-error @+1 {{'txc.add' op expects rhs 'tensor<?x?x4xf32>' to have the shape of lhs 'tensor<?x?x8xf32>'}}
  %y = txc.add %a, %b : (tensor<?x?x8xf32>, tensor<?x?x4xf32>) -> tensor<?x?x8xf32>
  return
}

// -----

func @padding_mask_batch(%s: tensor<2x2x3x3xf32>, %l: tensor<3xi32>) {
  // expected-error @+1 {{'txc.padding_mask' op expects lengths size (3) to equal scores batch size (2)}}
  %y = txc.padding_mask %s, %l : (tensor<2x2x3x3xf32>, tensor<3xi32>) -> tensor<2x2x3x3xf32>
  return
}

// -----

func @causal_rank(%s: tensor<?x3xf32>, %o: index) {
  // expected-error @+1 {{'txc.causal_mask' op expects scores of rank 4 but got 'tensor<?x3xf32>'}}
  %y = txc.causal_mask %s, %o : (tensor<?x3xf32>, index) -> tensor<?x3xf32>
  return
}

// -----

func @layer_norm_gamma(%x: tensor<?x?x8xf32>, %g: tensor<4xf32>, %b: tensor<8xf32>) {
  // expected-error @+1 {{'txc.layer_norm' op expects gamma size (4) to equal input feature size (8)}}
  %y = txc.layer_norm %x, %g, %b {eps = 1.0e-5 : f64} : (tensor<?x?x8xf32>, tensor<4xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return
}

// -----

func @layer_norm_eps(%x: tensor<?x?x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>) {
  // expected-error @+1 {{'txc.layer_norm' op expects a positive eps but got 0}}
  %y = txc.layer_norm %x, %g, %b {eps = 0.0 : f64} : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return
}

// -----

func @kv_append_heads(%c: tensor<?x2x?x4xf32>, %n: tensor<?x3x1x4xf32>) {
  // expected-error @+1 {{'txc.kv_cache_append' op expects update head count (3) to equal cache head count (2)}}
  %y = txc.kv_cache_append %c, %n : (tensor<?x2x?x4xf32>, tensor<?x3x1x4xf32>) -> tensor<?x2x?x4xf32>
  return
}

// -----

func @kv_read_result(%c: tensor<?x2x?x4xf32>, %o: tensor<5xi32>) {
  // expected-error @+1 {{'txc.kv_cache_read' op expects result shape [5x2x?x4] but got 'tensor<6x2x?x4xf32>'}}
  %y = txc.kv_cache_read %c, %o : (tensor<?x2x?x4xf32>, tensor<5xi32>) -> tensor<6x2x?x4xf32>
  return
}

// -----

func @activation_type(%x: tensor<?x4xf32>) {
  // expected-error @+1 {{'txc.relu' op requires the same type for all operands and results}}
  %y = txc.relu %x : (tensor<?x4xf32>) -> tensor<?x5xf32>
  return
}

// -----

func @ids_type(%t: tensor<16x8xf32>, %ids: tensor<?x?xf32>) {
  // expected-error @+1 {{'txc.embedding' op operand #1 must be ranked tensor of 32-bit signless integer values}}
  %e = txc.embedding %t, %ids {scale = 1.0 : f64} : (tensor<16x8xf32>, tensor<?x?xf32>) -> tensor<?x?x8xf32>
  return
}

// -----

func @argmax_result(%l: tensor<?x1x16xf32>, %m: index) {
  // expected-error @+1 {{'txc.argmax' op expects result shape [?x1] but got 'tensor<?x16xi32>'}}
  %y = txc.argmax %l, %m : (tensor<?x1x16xf32>, index) -> tensor<?x16xi32>
  return
}

// -----

func @argmax_scalar(%l: tensor<f32>, %m: index) {
  // expected-error @+1 {{'txc.argmax' op expects an input of rank >= 1 but got 'tensor<f32>'}}
  %y = txc.argmax %l, %m : (tensor<f32>, index) -> tensor<i32>
  return
}

// -----

func @linear_argmax_panels(%x: tensor<?x1x4xf32>, %w: tensor<1x4x32xf32>, %m: index) {
  // expected-error @+1 {{'txc.linear_argmax' op expects 1 panels of 32 to cover out_features but got 40}}
  %y = txc.linear_argmax %x, %w, %m {out_features = 40 : i64} : (tensor<?x1x4xf32>, tensor<1x4x32xf32>, index) -> tensor<?x1xi32>
  return
}

// -----

func @linear_argmax_result(%x: tensor<?x1x4xf32>, %w: tensor<2x4x32xf32>, %m: index) {
  // expected-error @+1 {{'txc.linear_argmax' op expects result shape [?x1] but got 'tensor<?x40xi32>'}}
  %y = txc.linear_argmax %x, %w, %m {out_features = 40 : i64} : (tensor<?x1x4xf32>, tensor<2x4x32xf32>, index) -> tensor<?x40xi32>
  return
}

// -----

func @top_k_records(%l: tensor<?x1x16xf32>, %k: index, %m: index) {
  // expected-error @+1 {{'txc.log_softmax_top_k' op expects result shape [?x1x?x2] but got 'tensor<?x1x4x3xf32>'}}
  %y = txc.log_softmax_top_k %l, %k, %m : (tensor<?x1x16xf32>, index, index) -> tensor<?x1x4x3xf32>
  return
}

// -----

func @top_k_vocab(%l: tensor<?x1x16777216xf32>, %k: index, %m: index) {
  // expected-error @+1 {{'txc.log_softmax_top_k' op expects a vocabulary below 2^24 so token ids are exact in f32 records but got 16777216}}
  %y = txc.log_softmax_top_k %l, %k, %m : (tensor<?x1x16777216xf32>, index, index) -> tensor<?x1x?x2xf32>
  return
}

// -----

func @attention_key_rows_size(%q: tensor<3x2x1x4xf32>, %kv: tensor<2x2x5x4xf32>, %rows: tensor<2xi32>) {
  // expected-error @+1 {{'txc.attention' op expects key_rows size (2) to equal query batch size (3)}}
  %o = txc.attention %q, %kv, %kv key_rows(%rows : tensor<2xi32>) {scale = 0.5 : f64} : (tensor<3x2x1x4xf32>, tensor<2x2x5x4xf32>, tensor<2x2x5x4xf32>) -> tensor<3x2x1x4xf32>
  return
}

// -----

func @attention_key_batch(%q: tensor<3x2x1x4xf32>, %kv: tensor<2x2x5x4xf32>) {
  // expected-error @+1 {{'txc.attention' op expects key batch size (2) to equal query batch size (3)}}
  %o = txc.attention %q, %kv, %kv {scale = 0.5 : f64} : (tensor<3x2x1x4xf32>, tensor<2x2x5x4xf32>, tensor<2x2x5x4xf32>) -> tensor<3x2x1x4xf32>
  return
}

// -----

func @pack_rows_lengths(%x: tensor<3x5x8xf32>, %lengths: tensor<2xi32>) {
  // expected-error @+1 {{'txc.pack_rows' op expects lengths size (2) to equal batch (3)}}
  %p = txc.pack_rows %x, %lengths : (tensor<3x5x8xf32>, tensor<2xi32>) -> tensor<?x8xf32>
  return
}

// -----

func @pack_rows_features(%x: tensor<3x5x8xf32>, %lengths: tensor<3xi32>) {
  // expected-error @+1 {{'txc.pack_rows' op expects result shape [?x8] but got 'tensor<?x4xf32>'}}
  %p = txc.pack_rows %x, %lengths : (tensor<3x5x8xf32>, tensor<3xi32>) -> tensor<?x4xf32>
  return
}

// -----

func @unpack_rows_rank(%p: tensor<2x3x8xf32>, %lengths: tensor<3xi32>, %ids: tensor<3x5xi32>) {
  // expected-error @+1 {{'txc.unpack_rows' op expects packed rows of rank 2 but got 'tensor<2x3x8xf32>'}}
  %x = txc.unpack_rows %p, %lengths, %ids : (tensor<2x3x8xf32>, tensor<3xi32>, tensor<3x5xi32>) -> tensor<3x5x8xf32>
  return
}

// -----

func @unpack_rows_shape(%p: tensor<?x8xf32>, %lengths: tensor<3xi32>, %ids: tensor<3x5xi32>) {
  // expected-error @+1 {{'txc.unpack_rows' op expects result shape [3x5x8] but got 'tensor<3x4x8xf32>'}}
  %x = txc.unpack_rows %p, %lengths, %ids : (tensor<?x8xf32>, tensor<3xi32>, tensor<3x5xi32>) -> tensor<3x4x8xf32>
  return
}
