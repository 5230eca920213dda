// `quicktools user show USER`: one user's credits, API access, support tier and last purchase.
#include <fmt/format.h>

#include "api_options.hpp"
#include "commands.hpp"
#include "quicktools/stripe/account.hpp"
#include "quicktools/stripe/user_view.hpp"
#include "quicktools/util/system.hpp"
#include "user_render.hpp"
#include "quicktools/util/text.hpp"

namespace quicktools::cli {
namespace {

std::string to_text(const report::UserDetails& d) {
    const auto& u = d.user;
    std::string out = fmt::format("User {} <{}>\n", u.id, util::display(u.email));
    out += fmt::format("  Balance:          {} credits\n", u.balance);
    out += fmt::format("  Purchased total:  {} credits\n", u.purchased_total);
    out += fmt::format("  Lifetime used:    {} credits\n", u.lifetime_used);
    out += fmt::format("  API access:       {}\n", u.api_access ? "unlocked" : "locked");
    out += fmt::format("  Support tier:     {}\n", d.support_tier);
    if (u.last_purchase_date)
        out += fmt::format("  Last purchase:    {} credits on {}\n",
                           u.last_purchase_amount ? std::to_string(*u.last_purchase_amount) : "?",
                           util::display(*u.last_purchase_date));
    else
        out += "  Last purchase:    none\n";
    if (d.migrated_from)
        out += fmt::format("  Migrated from:    {} {} (policy '{}', {})\n",
                           d.migrated_from->tier.empty() ? "-" : util::display(d.migrated_from->tier),
                           d.migrated_from->status.empty() ? "" : "(" + util::display(d.migrated_from->status) + ")",
                           util::display(d.migrated_from->policy), util::display(d.migrated_from->migrated_at));
    return out;
}

std::string stripe_when(const nlohmann::json& created) {
    return created.is_number_integer() ? util::timestamp_from_unix(created.get<std::int64_t>()).substr(0, 16)
                                       : std::string("?");
}

std::string stripe_amount(const nlohmann::json& v) {
    return v.is_number_integer() ? std::to_string(v.get<std::int64_t>()) : "?";
}

std::string stripe_text(const stripe::UserStripeView& v) {
    std::string out = "Stripe:\n";
    if (v.customer.is_null())
        out += "  Customer:         none recorded (users.stripe_customer_id is empty)\n";
    else if (!v.customer["found"].get<bool>())
        out += fmt::format("  Customer:         {} (not found at Stripe)\n", util::display(v.customer_id));
    else
        out += fmt::format(
            "  Customer:         {}{}{}\n", util::display(v.customer_id),
            v.customer["email"].is_string() ? " <" + util::display(v.customer["email"].get<std::string>()) + ">" : "",
            v.customer["deleted"].get<bool>() ? " (deleted)" : "");
    if (v.purchases.empty()) out += "  Purchases:        none at Stripe or here\n";
    for (const auto& p : v.purchases) {
        const auto& local = p["local"];
        const std::string credited =
            local.is_null()
                ? std::string("not credited here")
                : fmt::format(
                      "credited here: {} credits{}", stripe_amount(local["credits"]),
                      local["clawed_credits"].is_number_integer() && local["clawed_credits"].get<std::int64_t>() > 0
                          ? fmt::format(", {} taken back", local["clawed_credits"].get<std::int64_t>())
                          : "");
        if (!p["found_at_stripe"].get<bool>()) {
            out += fmt::format("  {}  not found at Stripe; {}\n", util::display(p["session_id"].get<std::string>()),
                               credited);
            continue;
        }
        std::string amounts =
            fmt::format("{} {}", stripe_amount(p["amount_total"]), util::display(p["currency"].get<std::string>()));
        const auto& discount = p["amount_discount"];
        const auto& tax = p["amount_tax"];
        if ((discount.is_number_integer() && discount.get<std::int64_t>() != 0) ||
            (tax.is_number_integer() && tax.get<std::int64_t>() != 0))
            amounts += fmt::format(" (subtotal {}, discount {}, tax {})", stripe_amount(p["amount_subtotal"]),
                                   stripe_amount(discount), stripe_amount(tax));
        out += fmt::format("  {}  {}  {}  {} {}, {}; {}\n", util::display(p["session_id"].get<std::string>()),
                           stripe_when(p["created"]),
                           p["pack"].is_string() ? util::display(p["pack"].get<std::string>()) : "-",
                           util::display(p["status"].get<std::string>()),
                           util::display(p["payment_status"].get<std::string>()), amounts, credited);
        for (const auto& r : p["refunds"])
            out += fmt::format(
                "      refund  {}  {}  {} (here: {})\n", util::display(r["id"].get<std::string>()),
                stripe_amount(r["amount"]), util::display(r["status"].get<std::string>()),
                r["local_status"].is_string() ? util::display(r["local_status"].get<std::string>()) : "not recorded");
        for (const auto& d : p["disputes"])
            out += fmt::format(
                "      dispute {}  {}  {} (here: {})\n", util::display(d["id"].get<std::string>()),
                stripe_amount(d["amount"]), util::display(d["status"].get<std::string>()),
                d["local_status"].is_string() ? util::display(d["local_status"].get<std::string>()) : "not recorded");
    }
    if (v.differences.empty())
        out += "  Differences:      none: this database matches Stripe\n";
    else {
        out += fmt::format("  Differences ({}):\n", v.differences.size());
        for (const auto& d : v.differences) out += "    - " + util::display(d) + "\n";
    }
    return out;
}

}  // namespace

void register_user_show(CLI::App& user, Context& ctx) {
    struct Options {
        std::string who;
        bool stripe = false;
        ApiOptions api;
    };
    auto opts = std::make_shared<Options>();
    auto* cmd = user.add_subcommand("show", "Show one user's balance, purchases, usage, API access and support tier");
    cmd->add_option("USER", opts->who, "The user's numeric id or email")->required();
    auto* with_stripe = cmd->add_flag(
        "--stripe", opts->stripe,
        "Also ask Stripe: the customer, the purchases (Checkout Sessions, amounts, discounts), their refunds and "
        "disputes, and every difference from this database (exit 3 when there is one)");
    add_api_options(*cmd, opts->api);
    for (const char* name : {"--live", "--api-key-file", "--timeout", "--connect-timeout", "--max-retries"})
        cmd->get_option(name)->needs(with_stripe);
    cmd->footer(
        "Examples:\n  quicktools user show 42\n  quicktools user show alice@example.com --json\n"
        "  quicktools user show alice@example.com --stripe --live");
    cmd->callback([&ctx, opts] {
        std::optional<ApiConnection> api;
        if (opts->stripe) api = connect_api(opts->api, ctx);
        auto database = ctx.open(db::Access::read_only);
        const auto details = report::show_user(database, opts->who);
        if (!api) {
            ctx.emit(to_json(details), to_text(details));
            return;
        }
        stripe::check_account(database, *api->client);
        const auto view = stripe::user_stripe_view(database, *api->client, details.user.id, details.user.email);
        auto doc = to_json(details);
        doc["stripe"] = {{"customer", view.customer},
                         {"purchases", view.purchases},
                         {"differences", view.differences},
                         {"ok", view.differences.empty()}};
        ctx.emit(doc, to_text(details) + stripe_text(view));
        if (!view.differences.empty()) ctx.exit_code = ExitCode::check_failed;
    });
}

}  // namespace quicktools::cli
