// Reading and writing safetensors files: an 8-byte little-endian header
// length N, N bytes of JSON describing each tensor, then the raw data.
#pragma once

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace txc {

// Every dtype the safetensors format defines. Files holding any of them open;
// only F32, F16 and BF16 tensors can be read as f32.
enum class SafetensorsDType {
  Bool, U8, I8, F8E5M2, F8E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64,
  U64
};

// The format's spelling ("F32", "BF16", "F8_E4M3", ...).
const char *toString(SafetensorsDType dtype);
// Bytes per element.
int64_t elementSize(SafetensorsDType dtype);
// True for the dtypes readAsF32 converts (F32, F16, BF16).
bool isFloatReadable(SafetensorsDType dtype);

struct SafetensorsEntry {
  std::string name;
  SafetensorsDType dtype;
  std::vector<int64_t> shape;
  // Byte range [begin, end) relative to the start of the data section.
  uint64_t begin = 0, end = 0;

  int64_t numElements() const;
};

// A validated, memory-mapped safetensors file. open() checks the whole
// header, so every entry's byte range lies inside the file, matches its shape
// and dtype, and overlaps no other entry.
class SafetensorsFile {
public:
  // Errors name the file and, where one is at fault, the tensor.
  static llvm::Expected<std::unique_ptr<SafetensorsFile>>
  open(llvm::StringRef path);

  llvm::StringRef path() const { return filePath; }
  // Entries in the order of their data offsets; `__metadata__` is not one.
  llvm::ArrayRef<SafetensorsEntry> entries() const { return tensorEntries; }
  // The entry named `name`, or null.
  const SafetensorsEntry *find(llvm::StringRef name) const;
  // The entry's raw little-endian bytes (not necessarily aligned).
  llvm::ArrayRef<uint8_t> bytes(const SafetensorsEntry &entry) const;
  // The tensor's values converted to f32, row-major. Fails when the tensor is
  // absent or its dtype is not F32, F16 or BF16.
  llvm::Expected<std::vector<float>> readAsF32(llvm::StringRef name) const;

private:
  SafetensorsFile() = default;

  std::string filePath;
  std::unique_ptr<llvm::MemoryBuffer> buffer;
  const uint8_t *data = nullptr; // start of the data section inside buffer
  std::vector<SafetensorsEntry> tensorEntries;
  llvm::StringMap<size_t> indexByName;
};

// One f32 tensor to write; `values` holds product(shape) elements.
struct SafetensorsTensor {
  std::string name;
  std::vector<int64_t> shape;
  llvm::ArrayRef<float> values;
};

// Writes `tensors` as F32 in the given order, the data section starting on an
// 8-byte boundary. Fails on duplicate or reserved names, negative dims, a
// value count that does not match the shape, or an I/O error.
llvm::Error writeSafetensors(llvm::StringRef path,
                             llvm::ArrayRef<SafetensorsTensor> tensors);

// Formats a shape for messages: "[2, 3]", "[]" for a scalar.
std::string formatShape(llvm::ArrayRef<int64_t> shape);

// Element-wise conversions used by readAsF32, exposed for tests and for
// writers of reduced-precision data.
float halfToFloat(uint16_t bits);
float bfloat16ToFloat(uint16_t bits);

} // namespace txc
