#pragma once
// The command-line front end: builds the command tree, runs it, and is the one place where
// errors become messages and exit codes.
#include <CLI/CLI.hpp>

#include "quicktools/cli/context.hpp"

namespace quicktools::cli {

// Adds the global options and every subcommand to `app`.
void build(CLI::App& app, Context& ctx);

// Parses argv, runs the chosen command, prints any error as one line; returns the exit code.
int run(int argc, char** argv);

}  // namespace quicktools::cli
