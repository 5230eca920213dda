#pragma once
// Whether a command only shows what it would do (every change rolled back) or does it.
namespace quicktools {

enum class DryRun { no, yes };

}  // namespace quicktools
