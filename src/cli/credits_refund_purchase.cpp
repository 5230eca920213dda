// `quicktools credits refund-purchase SESSION|PAYMENT_INTENT [--amount CENTS] --reason TEXT
// [--allow-shortfall] [--dry-run] [API options]`: refund a pack at Stripe and take its credits
// back in the same run.
#include <fmt/format.h>

#include "api_options.hpp"
#include "commands.hpp"
#include "quicktools/stripe/account.hpp"
#include "quicktools/stripe/refund_purchase.hpp"
#include "quicktools/util/system.hpp"

namespace quicktools::cli {
namespace {

// What became of the recorded refund: refunded (credits taken), duplicate (recorded before:
// the same request made again), restored, needs_attention.
std::string refund_outcome(const stripe::RefundPurchaseResult& r) {
    if (r.dry_run) return "dry_run";
    for (auto o : stripe::all_outcomes)
        if (r.applied.count(o) > 0) return std::string(stripe::to_string(o));
    return "none";
}

nlohmann::json refund_purchase_json(const stripe::RefundPurchaseResult& r) {
    const auto& p = r.purchase;
    const bool recorded = r.dry_run || r.applied.count(stripe::Outcome::needs_attention) == 0;
    return {{"ok", recorded},
            {"dry_run", r.dry_run},
            {"session_id", p.session_id},
            {"payment_intent", p.payment_intent},
            {"user_id", p.user_id},
            {"pack", p.pack},
            {"paid", p.paid},
            {"currency", p.currency},
            {"refunded_before", p.refunded},
            {"amount", r.amount},
            {"idempotency_key", r.idempotency_key},
            {"refund_id", r.refund_id.empty() ? nlohmann::json() : nlohmann::json(r.refund_id)},
            {"refund_status", r.refund_status.empty() ? nlohmann::json() : nlohmann::json(r.refund_status)},
            {"outcome", refund_outcome(r)},
            {"credits_to_take", r.credits_to_take},
            {"credits_taken", r.dry_run ? 0 : r.applied.credits_clawed_back},
            {"shortfall", r.dry_run ? r.shortfall : r.applied.credits_shortfall},
            {"balance_before", p.balance}};
}

std::string refund_purchase_text(const stripe::RefundPurchaseResult& r) {
    const auto& p = r.purchase;
    const auto what =
        fmt::format("{} of checkout session {} ({} pack, user {}; paid {}, refunded before {})",
                    stripe::format_money(r.amount, p.currency), p.session_id, p.pack, p.user_id,
                    stripe::format_money(p.paid, p.currency), stripe::format_money(p.refunded, p.currency));
    if (r.dry_run)
        return fmt::format("Would refund {}: takes back {} credits of the user's {}{}. Nothing was sent.", what,
                           r.credits_to_take, p.balance,
                           r.shortfall > 0 ? fmt::format(" (shortfall {})", r.shortfall) : "");
    const auto outcome = refund_outcome(r);
    std::string out = fmt::format("{} {}: refund {} {}.", outcome == "duplicate" ? "Already refunded" : "Refunded",
                                  what, r.refund_id, r.refund_status);
    if (outcome == "refunded") {
        out += fmt::format(" Took back {} credits", r.applied.credits_clawed_back);
        if (r.applied.credits_shortfall > 0)
            out += fmt::format(" (shortfall {}: the user had already spent them)", r.applied.credits_shortfall);
        out += ".";
    } else if (outcome == "duplicate") {
        out += " The same request was made and recorded before: nothing more taken back.";
    } else if (outcome == "needs_attention" && !r.applied.attention.empty()) {
        out += " Not recorded: " + r.applied.attention.front().reason + ".";
    } else {
        out += " No credits taken back (a refund that is not pending or succeeded takes nothing).";
    }
    return out;
}

}  // namespace

void register_credits_refund_purchase(CLI::App& credits, Context& ctx) {
    struct Options {
        std::string target;
        std::optional<std::int64_t> amount;
        std::string reason;
        bool allow_shortfall = false;
        bool dry_run = false;
        ApiOptions api;
    };
    auto opts = std::make_shared<Options>();
    auto* cmd = credits.add_subcommand(
        "refund-purchase",
        "Refund a credited pack at Stripe and take its credits back by the refund rules in the same run");
    cmd->add_option("purchase", opts->target, "The purchase: its Checkout Session (cs_...) or payment intent (pi_...)")
        ->required()
        ->type_name("SESSION|PAYMENT_INTENT");
    cmd->add_option("--amount", opts->amount,
                    "Cents to refund (default: all that is not refunded yet); the credits taken back are the same "
                    "share of the pack")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{99'999'999}))
        ->type_name("CENTS");
    cmd->add_option("--reason", opts->reason, "Why (the refund's metadata and the ledger)")
        ->required()
        ->type_name("TEXT");
    cmd->add_flag("--allow-shortfall", opts->allow_shortfall,
                  "Refund even when the user already spent credits the refund takes back (the shortfall is "
                  "recorded)");
    cmd->add_flag("--dry-run", opts->dry_run, "Work out the refund and the credits it takes back; send nothing");
    add_api_options(*cmd, opts->api);
    cmd->footer(
        "Examples:\n  quicktools credits refund-purchase cs_live_a1B2c3 --reason \"ticket 5120: bought twice\" --live\n"
        "  quicktools credits refund-purchase pi_3Qx... --amount 1500 --reason \"half refund, ticket 5121\" --dry-run\n"
        "The request's idempotency key comes from the session, amount and reason: the same command repeated "
        "(after a timeout or a crash) gets the same refund back, never a second one; repeated by someone else, "
        "it is refused. The refund's "
        "later events (charge.refunded, refund.*) are the same refund and take nothing more.\n"
        "Exit 4 (nothing sent) when the user has spent more than the refund takes back (without "
        "--allow-shortfall), or the purchase is refunded in full; 1 when Stripe refuses or cannot be reached.");
    cmd->callback([&ctx, opts] {
        stripe::RefundPurchaseRequest request;
        request.target = opts->target;
        request.amount = opts->amount;
        request.reason = opts->reason;
        request.allow_shortfall = opts->allow_shortfall;
        request.dry_run = opts->dry_run ? DryRun::yes : DryRun::no;
        auto api = connect_api(opts->api, ctx);
        request.replay.livemode = api.client->live_key() ? stripe::Livemode::live : stripe::Livemode::test;
        request.replay.actor = util::os_user();
        auto database = ctx.open(db::Access::read_write);
        request.bind = stripe::binding_to_record(stripe::check_account(database, *api.client));
        const auto result = stripe::refund_purchase(database, *api.client, request);
        ctx.emit(refund_purchase_json(result), refund_purchase_text(result));
        if (!result.dry_run && result.applied.count(stripe::Outcome::needs_attention) > 0)
            ctx.exit_code = ExitCode::check_failed;
    });
}

}  // namespace quicktools::cli
