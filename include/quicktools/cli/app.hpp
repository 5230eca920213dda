#pragma once
// The command-line front end: builds the command tree, runs it, and is the one place where
// errors become messages and exit codes.
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "quicktools/cli/context.hpp"

namespace quicktools::cli {

// Adds the global options and every subcommand to `app`.
void build(CLI::App& app, Context& ctx);

// Parses `args` (the command line without the program's name), runs the chosen command with
// its output on ctx's streams, prints any error as one line; returns the exit code. main()
// calls it over the standard streams, the command tests over string streams.
int run(const std::vector<std::string>& args, Context& ctx);

}  // namespace quicktools::cli
