#pragma once
// How long work tells its caller how far it has got. The core only calls; the command layer
// decides whether and how to draw it (cli::ProgressBar, made by cli::Context::progress).
#include <cstdint>
#include <functional>

namespace quicktools::util {

// Called now and then with the count done so far and the count in all (0 when not known).
using ProgressCallback = std::function<void(std::int64_t done, std::int64_t total)>;

}  // namespace quicktools::util
