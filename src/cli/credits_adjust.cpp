// `quicktools credits grant|refund|debit USER AMOUNT --reason TEXT [--idempotency-key K] [--actor NAME]`.
#include <fmt/format.h>

#include <cctype>

#include "commands.hpp"
#include "quicktools/credits/adjust.hpp"
#include "quicktools/credits/packs.hpp"
#include "quicktools/util/system.hpp"
#include "quicktools/util/text.hpp"

namespace quicktools::cli {
namespace {

struct AdjustOptions {
    std::string user;
    std::string amount;
    std::string reason;
    std::string key;
    std::string actor;
    CLI::Option* key_option = nullptr;
};

struct Wording {
    const char* summary;
    const char* past;     // "Granted"
    const char* towards;  // "to" or "from"
    const char* example;
};

Wording wording(credits::Action action) {
    switch (action) {
        case credits::Action::grant:
            return {"Add credits to a user (goodwill, a promotion)", "Granted", "to",
                    "quicktools credits grant alice@example.com 50 --reason \"ticket 4411: outage\" "
                    "--idempotency-key ticket-4411"};
        case credits::Action::refund:
            return {"Give back credits a user spent (a failed task); lowers lifetime used by the same amount",
                    "Refunded", "to",
                    "quicktools credits refund 42 8 --reason \"task 981 failed\" --idempotency-key task-981"};
        case credits::Action::debit:
            return {"Take credits away (a correction); never below zero", "Debited", "from",
                    "quicktools credits debit alice@example.com 20 --reason \"double grant on ticket 4411\""};
    }
    return {};
}

nlohmann::json to_json(const credits::AdjustResult& r) {
    const auto& e = r.entry;
    return {{"ok", true},
            {"replayed", r.replayed},
            {"ledger_id", e.id},
            {"user_id", e.user_id},
            {"email", r.email},
            {"action", e.kind},
            {"amount", e.amount},
            {"balance_before", r.balance_before},
            {"balance_after", e.balance_after},
            {"used_delta", e.used_delta},
            {"reason", e.reason},
            {"actor", e.actor},
            {"source", e.source},
            {"idempotency_key", e.idempotency_key ? nlohmann::json(*e.idempotency_key) : nlohmann::json()},
            {"created_at", e.created_at}};
}

std::string to_text(const credits::AdjustResult& r, const Wording& w) {
    const auto& e = r.entry;
    std::string what = fmt::format("{} {} credits {} {} (id {}): balance {} -> {}", w.past, e.amount, w.towards,
                                   util::display(r.email), e.user_id, r.balance_before, e.balance_after);
    if (e.used_delta != 0) what += fmt::format(", lifetime used {:+d}", e.used_delta);
    if (r.replayed) {
        what[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(what[0])));
        return fmt::format("Already applied at {} by {} (ledger entry {}): {}. Nothing changed.",
                           util::display(e.created_at), util::display(e.actor), e.id, what);
    }
    return fmt::format("{}. Ledger entry {}.", what, e.id);
}

}  // namespace

void register_credits_adjust(CLI::App& group, Context& ctx, credits::Action action) {
    const Wording w = wording(action);
    auto opts = std::make_shared<AdjustOptions>();
    auto* cmd = group.add_subcommand(std::string(credits::to_string(action)), w.summary);
    cmd->add_option("USER", opts->user, "The user: numeric id or email")->required()->type_name("ID|EMAIL");
    cmd->add_option("AMOUNT", opts->amount,
                    fmt::format("Credits, a whole number from 1 to {}", credits::max_adjustment))
        ->required()
        ->type_name("N");
    cmd->add_option("--reason", opts->reason, "Why (required; shown in the trail)")->required()->type_name("TEXT");
    opts->key_option =
        cmd->add_option("--idempotency-key", opts->key,
                        "Apply at most once per key: a retry with the same request reports the first result; the same "
                        "key with a different request is refused")
            ->type_name("K");
    cmd->add_option("--actor", opts->actor, "Who is doing this (default: the OS user)")->type_name("NAME");
    cmd->footer(
        fmt::format("Example:\n  {}\nExit codes: 0 applied or already applied with this key; 1 no such user "
                    "or locked database; 2 bad amount, reason or key; 4 refused (below zero, refund "
                    "over used, key used for a different request).",
                    w.example));
    cmd->callback([&ctx, opts, action, w] {
        credits::AdjustRequest request;
        request.user = opts->user;
        request.action = action;
        request.amount = credits::parse_amount(opts->amount);
        request.reason = credits::normalise_reason(opts->reason);
        if (opts->key_option->count() > 0) {
            credits::check_idempotency_key(opts->key);
            request.idempotency_key = opts->key;
        }
        request.actor = credits::normalise_actor(opts->actor.empty() ? util::os_user() : opts->actor);
        auto database = ctx.open(db::Access::read_write);
        const auto result = credits::adjust(database, request);
        ctx.emit(to_json(result), to_text(result, w));
    });
}

}  // namespace quicktools::cli
