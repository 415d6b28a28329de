// PyTorch's AOTInductor package (`aotic compile --package`): a zip that
// torch._inductor.aoti_load_package and C++ torch::inductor::AOTIModelPackageLoader load.
//
//   <stem>/archive_format                                      "pt2"
//   <stem>/archive_version                                     "0"
//   <stem>/byteorder                                           "little"
//   <stem>/.data/version                                       "6"
//   <stem>/data/aotinductor/model/<stem>.wrapper.so            the model.so (weights inside)
//   <stem>/data/aotinductor/model/<stem>.wrapper.cpp           its generated source
//   <stem>/data/aotinductor/model/<stem>.wrapper_metadata.json {"AOTI_DEVICE_KEY": "cpu", ...}
//
// Checked on PyTorch 2.11: both loaders run the packaged model and match the export's outputs.
//
// PyTorch's loader takes the one .so under data/aotinductor/<model>/ as it is, and finds the
// metadata beside the .cpp (so the source is required, not just informative). Entries are stored,
// with a fixed time stamp: the same model.so gives a byte-identical package.
#pragma once

#include <string>

namespace aotic::codegen {

struct PackageContents {
  std::string stem;       // the package's top folder and the files' stem ("mlp")
  std::string model_so;   // path of the compiled model.so
  std::string model_cpp;  // its source text
  std::string isa;        // the --isa the kernels were compiled for (metadata AOTIC_ISA)
  std::string device;     // "cpu" or "cuda" (metadata AOTI_DEVICE_KEY: the runner PyTorch picks)
};

/// Writes the package zip at `path` (a new file). Throws UserError naming `path` on failure.
void write_aoti_package(const std::string& path, const PackageContents& contents);

}  // namespace aotic::codegen
