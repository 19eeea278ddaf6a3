//===- TxcDialect.td - the txc dialect --------------------*- tablegen -*-===//
//
// The graph IR of a Transformer: ops as the paper draws them, with dynamic
// batch/sequence dims and static model dims. Weights are referenced by name.
//
//===----------------------------------------------------------------------===//

#ifndef TXC_DIALECT_TD
#define TXC_DIALECT_TD

include "mlir/IR/OpBase.td"

def Txc_Dialect : Dialect {
  let name = "txc";
  let cppNamespace = "::txc";
  let summary = "Transformer graph IR for the txc compiler";
  let description = [{
    Ops of an encoder-decoder Transformer. A module holds `@encode` and
    `@decode_step`; its attributes carry the token ids and limits the
    decoder needs (`txc.decoder_start`, `txc.eos`, `txc.max_positions`, ...).
  }];
  let emitAccessorPrefix = kEmitAccessorPrefix_Raw;
}

class Txc_Op<string mnemonic, list<Trait> traits = []>
    : Op<Txc_Dialect, mnemonic, traits>;

def Txc_F32Tensor : RankedTensorOf<[F32]>;
def Txc_I32Tensor : RankedTensorOf<[I32]>;

#endif // TXC_DIALECT_TD
