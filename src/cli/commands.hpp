#pragma once
// One register function per command file in src/cli/. Each adds its subcommand to a parent,
// binds options to a struct, and in its callback calls the core and renders the result.
// Each group (db, migrate, credits, ...) has a register_*_group in its own file.
#include <CLI/CLI.hpp>

#include "quicktools/cli/context.hpp"

namespace quicktools::cli {

// db group: src/cli/db_*.cpp
void register_db_group(CLI::App& app, Context& ctx);
void register_db_init(CLI::App& db, Context& ctx);
void register_db_status(CLI::App& db, Context& ctx);
void register_db_upgrade(CLI::App& db, Context& ctx);
void register_db_verify(CLI::App& db, Context& ctx);
void register_db_backup(CLI::App& db, Context& ctx);

// stripe group: src/cli/stripe_*.cpp
void register_stripe_group(CLI::App& app, Context& ctx);
void register_stripe_replay(CLI::App& stripe, Context& ctx);
void register_stripe_verify_signature(CLI::App& stripe, Context& ctx);

}  // namespace quicktools::cli
