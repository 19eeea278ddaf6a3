#include "frontend/Safetensors.h"

#include "frontend/JsonErrors.h"

#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <unordered_set>

using namespace txc;
using nlohmann::json;

namespace {

constexpr uint64_t kHeaderLengthBytes = 8;
constexpr llvm::StringLiteral kMetadataKey = "__metadata__";

struct DTypeInfo {
  SafetensorsDType dtype;
  const char *name;
  int64_t size;
};

constexpr DTypeInfo kDTypes[] = {
    {SafetensorsDType::Bool, "BOOL", 1},
    {SafetensorsDType::U8, "U8", 1},
    {SafetensorsDType::I8, "I8", 1},
    {SafetensorsDType::F8E5M2, "F8_E5M2", 1},
    {SafetensorsDType::F8E4M3, "F8_E4M3", 1},
    {SafetensorsDType::I16, "I16", 2},
    {SafetensorsDType::U16, "U16", 2},
    {SafetensorsDType::F16, "F16", 2},
    {SafetensorsDType::BF16, "BF16", 2},
    {SafetensorsDType::I32, "I32", 4},
    {SafetensorsDType::U32, "U32", 4},
    {SafetensorsDType::F32, "F32", 4},
    {SafetensorsDType::F64, "F64", 8},
    {SafetensorsDType::I64, "I64", 8},
    {SafetensorsDType::U64, "U64", 8},
};

const DTypeInfo &infoOf(SafetensorsDType dtype) {
  for (const DTypeInfo &info : kDTypes)
    if (info.dtype == dtype)
      return info;
  return kDTypes[0]; // unreachable: the table covers the enum
}

std::optional<SafetensorsDType> parseDType(llvm::StringRef name) {
  for (const DTypeInfo &info : kDTypes)
    if (name == info.name)
      return info.dtype;
  return std::nullopt;
}

std::string knownDTypeList() {
  std::string list;
  for (const DTypeInfo &info : kDTypes)
    list += (list.empty() ? "" : ", ") + std::string(info.name);
  return list;
}

llvm::Error fileError(llvm::StringRef path, const std::string &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), "%s: %s",
                                 path.str().c_str(), message.c_str());
}

llvm::Error tensorError(llvm::StringRef path, llvm::StringRef tensor,
                        const std::string &message) {
  return fileError(path, fmt::format("tensor '{}': {}", tensor.str(), message));
}

// A JSON integer >= 0 that fits in int64_t; JSON floats such as 2.0 are not.
std::optional<uint64_t> asNonNegativeInt(const json &value) {
  if (!value.is_number_unsigned())
    return std::nullopt;
  uint64_t v = value.get<uint64_t>();
  if (v > uint64_t(std::numeric_limits<int64_t>::max()))
    return std::nullopt;
  return v;
}

std::string formatRange(uint64_t begin, uint64_t end) {
  return fmt::format("[{}, {}]", begin, end);
}

llvm::Expected<SafetensorsEntry> parseEntry(llvm::StringRef path,
                                            const std::string &name,
                                            const json &value,
                                            uint64_t dataSize) {
  if (!value.is_object())
    return tensorError(path, name, "entry is not a JSON object");
  for (const char *key : {"dtype", "shape", "data_offsets"})
    if (!value.contains(key))
      return tensorError(path, name, fmt::format("missing '{}'", key));

  SafetensorsEntry entry;
  entry.name = name;

  const json &dtype = value["dtype"];
  if (!dtype.is_string())
    return tensorError(path, name, "'dtype' is not a string");
  std::optional<SafetensorsDType> parsed =
      parseDType(dtype.get_ref<const std::string &>());
  if (!parsed)
    return tensorError(path, name,
                       fmt::format("unknown dtype '{}' (known: {})",
                                   dtype.get_ref<const std::string &>(),
                                   knownDTypeList()));
  entry.dtype = *parsed;

  const json &shape = value["shape"];
  if (!shape.is_array())
    return tensorError(path, name, "'shape' is not an array");
  for (size_t i = 0; i < shape.size(); ++i) {
    std::optional<uint64_t> dim = asNonNegativeInt(shape[i]);
    if (!dim)
      return tensorError(
          path, name,
          fmt::format("shape dimension {} is {}; dimensions are non-negative "
                      "integers",
                      i, shape[i].dump()));
    entry.shape.push_back(int64_t(*dim));
  }

  const json &offsets = value["data_offsets"];
  std::optional<uint64_t> begin, end;
  if (offsets.is_array() && offsets.size() == 2) {
    begin = asNonNegativeInt(offsets[0]);
    end = asNonNegativeInt(offsets[1]);
  }
  if (!begin || !end)
    return tensorError(path, name,
                       fmt::format("data_offsets {} is not two non-negative "
                                   "integers [begin, end]",
                                   offsets.dump()));
  entry.begin = *begin;
  entry.end = *end;
  std::string range = "data_offsets " + formatRange(entry.begin, entry.end);
  if (entry.begin > entry.end)
    return tensorError(path, name, range + " begin after they end");
  if (entry.end > dataSize)
    return tensorError(path, name,
                       fmt::format("{} run past the end of the data section "
                                   "({} bytes)",
                                   range, dataSize));

  uint64_t needed = uint64_t(elementSize(entry.dtype));
  for (int64_t dim : entry.shape)
    if (__builtin_mul_overflow(needed, uint64_t(dim), &needed))
      return tensorError(path, name,
                         fmt::format("shape {} is too large",
                                     formatShape(entry.shape)));
  if (needed != entry.end - entry.begin)
    return tensorError(path, name,
                       fmt::format("{} hold {} bytes but shape {} of {} "
                                   "needs {}",
                                   range, entry.end - entry.begin,
                                   formatShape(entry.shape),
                                   toString(entry.dtype), needed));
  return entry;
}

// Entries must be sorted by begin. Empty ranges hold no bytes, so they
// cannot overlap anything.
llvm::Error checkDisjoint(llvm::StringRef path,
                          llvm::ArrayRef<SafetensorsEntry> entries) {
  const SafetensorsEntry *previous = nullptr;
  for (const SafetensorsEntry &entry : entries) {
    if (entry.begin == entry.end)
      continue;
    if (previous && entry.begin < previous->end)
      return fileError(path,
                       fmt::format("tensors '{}' {} and '{}' {} overlap",
                                   previous->name,
                                   formatRange(previous->begin, previous->end),
                                   entry.name,
                                   formatRange(entry.begin, entry.end)));
    if (!previous || entry.end > previous->end)
      previous = &entry;
  }
  return llvm::Error::success();
}

// Parses the header, rejecting tensor names listed twice (JSON parsers keep
// only the last, which would silently drop a tensor).
llvm::Expected<json> parseHeader(llvm::StringRef path, llvm::StringRef text) {
  std::unordered_set<std::string> seen;
  std::string duplicate;
  auto rejectDuplicates = [&](int depth, json::parse_event_t event,
                              json &parsed) {
    if (depth == 1 && event == json::parse_event_t::key &&
        !seen.insert(parsed.get<std::string>()).second && duplicate.empty())
      duplicate = parsed.get<std::string>();
    return true;
  };
  json header;
  try {
    header = json::parse(text.begin(), text.end(), rejectDuplicates);
  } catch (const json::exception &e) {
    return fileError(path, "header is not valid JSON: " + describeJsonError(e));
  }
  if (!header.is_object())
    return fileError(path, "header is not a JSON object");
  if (!duplicate.empty())
    return tensorError(path, duplicate, "listed twice in the header");
  return header;
}

} // namespace

const char *txc::toString(SafetensorsDType dtype) {
  return infoOf(dtype).name;
}

int64_t txc::elementSize(SafetensorsDType dtype) { return infoOf(dtype).size; }

bool txc::isFloatReadable(SafetensorsDType dtype) {
  return dtype == SafetensorsDType::F32 || dtype == SafetensorsDType::F16 ||
         dtype == SafetensorsDType::BF16;
}

int64_t SafetensorsEntry::numElements() const {
  int64_t n = 1;
  for (int64_t dim : shape)
    n *= dim;
  return n;
}

std::string txc::formatShape(llvm::ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

float txc::halfToFloat(uint16_t bits) {
  uint32_t sign = uint32_t(bits & 0x8000) << 16;
  uint32_t exponent = (bits >> 10) & 0x1f;
  uint32_t mantissa = bits & 0x3ff;
  if (exponent == 0) {
    float magnitude = std::ldexp(float(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  uint32_t f32 = exponent == 0x1f
                     ? sign | 0x7f800000u | (mantissa << 13)
                     : sign | ((exponent + 112) << 23) | (mantissa << 13);
  float value;
  std::memcpy(&value, &f32, sizeof value);
  return value;
}

float txc::bfloat16ToFloat(uint16_t bits) {
  uint32_t f32 = uint32_t(bits) << 16;
  float value;
  std::memcpy(&value, &f32, sizeof value);
  return value;
}

llvm::Expected<std::unique_ptr<SafetensorsFile>>
SafetensorsFile::open(llvm::StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false,
                                  /*IsVolatile=*/false);
  if (!buffer)
    return fileError(path, "cannot read: " + buffer.getError().message());

  llvm::StringRef contents = (*buffer)->getBuffer();
  uint64_t fileSize = contents.size();
  if (fileSize < kHeaderLengthBytes)
    return fileError(path,
                     fmt::format("file has {} bytes, too short for the 8-byte "
                                 "header length that starts a safetensors file",
                                 fileSize));
  uint64_t headerSize =
      llvm::support::endian::read64le(contents.data());
  if (headerSize > fileSize - kHeaderLengthBytes)
    return fileError(path,
                     fmt::format("header length {} runs past the end of the "
                                 "file ({} bytes)",
                                 headerSize, fileSize));

  llvm::Expected<json> header = parseHeader(
      path, contents.substr(kHeaderLengthBytes, headerSize));
  if (!header)
    return header.takeError();

  std::unique_ptr<SafetensorsFile> file(new SafetensorsFile);
  file->filePath = path.str();
  uint64_t dataStart = kHeaderLengthBytes + headerSize;
  uint64_t dataSize = fileSize - dataStart;
  for (const auto &[name, value] : header->items()) {
    if (name == kMetadataKey) {
      if (!value.is_object())
        return fileError(path, "'__metadata__' is not a JSON object");
      continue;
    }
    llvm::Expected<SafetensorsEntry> entry =
        parseEntry(path, name, value, dataSize);
    if (!entry)
      return entry.takeError();
    file->tensorEntries.push_back(std::move(*entry));
  }
  std::sort(file->tensorEntries.begin(), file->tensorEntries.end(),
            [](const SafetensorsEntry &a, const SafetensorsEntry &b) {
              return std::tie(a.begin, a.end, a.name) <
                     std::tie(b.begin, b.end, b.name);
            });
  if (llvm::Error error = checkDisjoint(path, file->tensorEntries))
    return error;

  for (size_t i = 0; i < file->tensorEntries.size(); ++i)
    file->indexByName[file->tensorEntries[i].name] = i;
  file->buffer = std::move(*buffer);
  file->data = reinterpret_cast<const uint8_t *>(
                   file->buffer->getBufferStart()) +
               dataStart;
  return file;
}

const SafetensorsEntry *SafetensorsFile::find(llvm::StringRef name) const {
  auto it = indexByName.find(name);
  return it == indexByName.end() ? nullptr : &tensorEntries[it->second];
}

llvm::ArrayRef<uint8_t>
SafetensorsFile::bytes(const SafetensorsEntry &entry) const {
  return llvm::ArrayRef<uint8_t>(data + entry.begin, entry.end - entry.begin);
}

llvm::Expected<std::vector<float>>
SafetensorsFile::readAsF32(llvm::StringRef name) const {
  const SafetensorsEntry *entry = find(name);
  if (!entry)
    return fileError(filePath, fmt::format("no tensor named '{}'", name.str()));
  if (!isFloatReadable(entry->dtype))
    return tensorError(filePath, name,
                       fmt::format("dtype {} cannot be read; txc reads F32, "
                                   "F16 and BF16 tensors",
                                   toString(entry->dtype)));

  using namespace llvm::support;
  const uint8_t *in = data + entry->begin;
  std::vector<float> values(size_t(entry->numElements()));
  switch (entry->dtype) {
  case SafetensorsDType::F32:
    for (size_t i = 0; i < values.size(); ++i) {
      uint32_t bits = endian::read32le(in + 4 * i);
      std::memcpy(&values[i], &bits, sizeof bits);
    }
    break;
  case SafetensorsDType::F16:
    for (size_t i = 0; i < values.size(); ++i)
      values[i] = halfToFloat(endian::read16le(in + 2 * i));
    break;
  case SafetensorsDType::BF16:
    for (size_t i = 0; i < values.size(); ++i)
      values[i] = bfloat16ToFloat(endian::read16le(in + 2 * i));
    break;
  default:
    break; // excluded by isFloatReadable above
  }
  return values;
}

llvm::Error txc::writeSafetensors(llvm::StringRef path,
                                  llvm::ArrayRef<SafetensorsTensor> tensors) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  uint64_t offset = 0;
  for (const SafetensorsTensor &tensor : tensors) {
    if (tensor.name == kMetadataKey)
      return tensorError(path, tensor.name, "the name is reserved");
    if (header.contains(tensor.name))
      return tensorError(path, tensor.name, "written twice");
    uint64_t count = 1;
    for (int64_t dim : tensor.shape)
      if (dim < 0 || __builtin_mul_overflow(count, uint64_t(dim), &count))
        return tensorError(path, tensor.name,
                           "invalid shape " + formatShape(tensor.shape));
    if (count != tensor.values.size())
      return tensorError(path, tensor.name,
                         fmt::format("shape {} needs {} values but {} were "
                                     "given",
                                     formatShape(tensor.shape), count,
                                     tensor.values.size()));
    uint64_t end = offset + 4 * count;
    header[tensor.name] = {{"dtype", "F32"},
                           {"shape", tensor.shape},
                           {"data_offsets", {offset, end}}};
    offset = end;
  }

  std::string headerText;
  try {
    headerText = header.dump();
  } catch (const nlohmann::json::exception &e) {
    return fileError(path, "cannot encode the header: " + describeJsonError(e));
  }
  // Pad with spaces so the data section starts 8-byte aligned.
  headerText.append((8 - headerText.size() % 8) % 8, ' ');

  std::error_code ec;
  llvm::raw_fd_ostream out(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return fileError(path, "cannot write: " + ec.message());
  char length[kHeaderLengthBytes];
  llvm::support::endian::write64le(length, headerText.size());
  out.write(length, sizeof length);
  out << headerText;
  for (const SafetensorsTensor &tensor : tensors)
    for (float value : tensor.values) {
      uint32_t bits;
      std::memcpy(&bits, &value, sizeof bits);
      char word[4];
      llvm::support::endian::write32le(word, bits);
      out.write(word, sizeof word);
    }
  out.close();
  if (out.has_error()) {
    std::string message = "cannot write: " + out.error().message();
    out.clear_error();
    return fileError(path, message);
  }
  return llvm::Error::success();
}
