#pragma once
// One register function per command file in src/cli/. Each adds its subcommand to a parent,
// binds options to a struct, and in its callback calls the core and renders the result
// (docs/architecture.md, "Writing a command"). The groups db, credits, checkout, stripe,
// migrate and user have a register_*_group in <group>_group.cpp; packs is in packs_list.cpp.
#include <CLI/CLI.hpp>

#include "quicktools/cli/context.hpp"
#include "quicktools/credits/request.hpp"

namespace quicktools::cli {

// db group: src/cli/db_*.cpp
void register_db_group(CLI::App& app, Context& ctx);
void register_db_init(CLI::App& db, Context& ctx);
void register_db_status(CLI::App& db, Context& ctx);
void register_db_upgrade(CLI::App& db, Context& ctx);
void register_db_verify(CLI::App& db, Context& ctx);
void register_db_backup(CLI::App& db, Context& ctx);
void register_db_drop_deprecated(CLI::App& db, Context& ctx);

// completion and man page: src/cli/completion.cpp, src/cli/manpage.cpp
void register_completion(CLI::App& app, Context& ctx);
void register_manpage(CLI::App& app, Context& ctx);
// credits group: src/cli/credits_*.cpp
void register_credits_group(CLI::App& app, Context& ctx);
// grant, refund and debit share one file: the same shape with different wording.
void register_credits_adjust(CLI::App& credits, Context& ctx, credits::Action action);
void register_credits_import(CLI::App& credits, Context& ctx);
void register_credits_history(CLI::App& credits, Context& ctx);
void register_credits_audit(CLI::App& credits, Context& ctx);
void register_credits_refund_purchase(CLI::App& credits, Context& ctx);

// checkout group: src/cli/checkout_*.cpp
void register_checkout_group(CLI::App& app, Context& ctx);
void register_checkout_create(CLI::App& checkout, Context& ctx);

// stripe group: src/cli/stripe_*.cpp
void register_stripe_group(CLI::App& app, Context& ctx);
void register_stripe_replay(CLI::App& stripe, Context& ctx);
void register_stripe_verify_signature(CLI::App& stripe, Context& ctx);
void register_stripe_sync(CLI::App& stripe, Context& ctx);
void register_stripe_doctor(CLI::App& stripe, Context& ctx);
void register_stripe_reconcile(CLI::App& stripe, Context& ctx);

// migrate group: src/cli/migrate_*.cpp
void register_migrate_group(CLI::App& app, Context& ctx);
void register_migrate_packs(CLI::App& migrate, Context& ctx);

// lookups: src/cli/user_*.cpp, packs_list.cpp, report.cpp
void register_user_group(CLI::App& app, Context& ctx);
void register_user_show(CLI::App& user, Context& ctx);
void register_user_list(CLI::App& user, Context& ctx);
void register_packs_group(CLI::App& app, Context& ctx);
void register_report(CLI::App& app, Context& ctx);

}  // namespace quicktools::cli
