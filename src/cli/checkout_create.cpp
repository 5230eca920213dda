// `quicktools checkout create USER PACK`: a Stripe Checkout Session for a credit pack.
#include <fmt/format.h>

#include "api_options.hpp"
#include "commands.hpp"
#include "quicktools/stripe/account.hpp"
#include "quicktools/stripe/checkout.hpp"
#include "quicktools/util/system.hpp"
#include "quicktools/util/text.hpp"

namespace quicktools::cli {
namespace {

struct CheckoutCreateOptions {
    stripe::CheckoutRequest request;
    ApiOptions api;
};

nlohmann::json to_json(const stripe::CheckoutPlan& plan, const stripe::CheckoutSession& s) {
    return {{"ok", true},
            {"id", s.id},
            {"url", s.url},
            {"livemode", s.livemode},
            {"user_id", plan.user_id},
            {"email", plan.email},
            {"customer", plan.customer.empty() ? nlohmann::json(nullptr) : nlohmann::json(plan.customer)},
            {"pack", std::string(plan.pack->name)},
            {"amount", plan.pack->price_cents},
            {"currency", std::string(credits::currency)},
            {"credits", plan.pack->credits},
            {"idempotency_key", s.idempotency_key},
            {"attempts", s.attempts},
            {"session", s.session}};
}

void run(const CheckoutCreateOptions& o, Context& ctx) {
    if (o.request.success_url.empty())
        throw usage_error("--success-url is required: pass it, or set QUICKTOOLS_SUCCESS_URL");
    if (o.request.cancel_url.empty())
        throw usage_error("--cancel-url is required: pass it, or set QUICKTOOLS_CANCEL_URL");
    // Everything that can be checked locally is checked before the key or the network.
    stripe::CheckoutPlan plan;
    {
        auto database = ctx.open(db::Access::read_only);
        plan = stripe::plan_checkout(database, o.request);
    }
    auto api = connect_api(o.api, ctx);
    auto database = ctx.open(db::Access::read_write);
    const auto bind = stripe::binding_to_record(stripe::check_account(database, *api.client));
    const auto session = stripe::create_checkout_session(*api.client, plan);
    if (!stripe::record_created_session(database, plan, session, bind, util::os_user(), util::now_timestamp()))
        ctx.detail(
            "the session is not recorded in the database: it has no quicktools_checkout_created table yet "
            "(`quicktools db upgrade`)");
    ctx.detail(fmt::format("Checkout Session {} for user {} ({}), pack {} ({} credits, {} cents); idempotency key {}",
                           util::display(session.id), plan.user_id, util::display(plan.email), plan.pack->name,
                           plan.pack->credits, plan.pack->price_cents, util::display(session.idempotency_key)));
    ctx.emit(to_json(plan, session), util::display(session.url));
}

}  // namespace

void register_checkout_create(CLI::App& checkout, Context& ctx) {
    auto o = std::make_shared<CheckoutCreateOptions>();
    auto* cmd =
        checkout.add_subcommand("create", "Create a Stripe Checkout Session for a credit pack and print its URL");
    cmd->add_option("USER", o->request.user, "The buyer: numeric id or email")->required();
    cmd->add_option("PACK", o->request.pack, "starter, standard, pro or business")->required();
    cmd->add_option("--success-url", o->request.success_url,
                    "Where Stripe sends the buyer after paying (env QUICKTOOLS_SUCCESS_URL)")
        ->envname("QUICKTOOLS_SUCCESS_URL")
        ->type_name("URL");
    cmd->add_option("--cancel-url", o->request.cancel_url,
                    "Where Stripe sends the buyer who cancels (env QUICKTOOLS_CANCEL_URL)")
        ->envname("QUICKTOOLS_CANCEL_URL")
        ->type_name("URL");
    cmd->add_option("--idempotency-key", o->request.idempotency_key,
                    "Reuse to make a repeated command return the same session (default: a new UUID)")
        ->check([](const std::string& k) {
            return k.size() <= 255 ? std::string() : std::string("an idempotency key has at most 255 characters");
        })
        ->type_name("K");
    add_api_options(*cmd, o->api);
    cmd->footer(
        "Environment: STRIPE_API_KEY (or --api-key-file), STRIPE_API_BASE (a local stand-in for tests).\n"
        "Example:\n"
        "  quicktools checkout create user7@example.com pro \\\n"
        "    --success-url 'https://app.example.com/paid?session={CHECKOUT_SESSION_ID}' \\\n"
        "    --cancel-url https://app.example.com/pricing");
    cmd->callback([o, &ctx] { run(*o, ctx); });
}

}  // namespace quicktools::cli
