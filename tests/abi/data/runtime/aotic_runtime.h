// A stand-in for an aotic runtime header: extern "C" helpers that model.cpp may call when the
// header's directory is passed with --allow-dir.
#pragma once
#include "aotic/shim.h"
extern "C" AOTITorchError aotic_runtime_fill(AtenTensorHandle tensor, float value);
