// Cancelling the migrated users' old Stripe subscriptions, one committed result at a time.
#include "quicktools/migrate/cancel_subscriptions.hpp"

#include <fmt/format.h>

#include "quicktools/credits/ledger.hpp"
#include "quicktools/db/sql_files.hpp"
#include "quicktools/migrate/packs_migration.hpp"
#include "quicktools/stripe/subscriptions.hpp"
#include "quicktools/util/interrupt.hpp"
#include "quicktools/util/system.hpp"

namespace quicktools::migrate {
namespace {

struct Candidate {
    std::int64_t user_id = 0;
    std::string subscription_id;
};

std::vector<Candidate> read_candidates(db::Database& db) {
    std::vector<Candidate> out;
    db::Statement q(db, sql::query(db.engine(), "migrate", "cancel_candidates"));
    while (q.step()) out.push_back({q.column("user_id").int64(), q.column("old_subscription_id").text()});
    return out;
}

std::int64_t count_done(db::Database& db) {
    db::Statement q(db, sql::query(db.engine(), "migrate", "cancel_done_count"));
    q.step();
    return q.column("done").int64();
}

// One result, committed at once: a later failure (or kill) cannot lose it.
void record(db::Database& db, std::int64_t user_id, std::string_view status, const std::string& detail,
            std::optional<stripe::AccountBinding>& bind) {
    db::WriteTransaction tx(db);
    if (bind) {
        stripe::record_account_binding(db, *bind);
        bind.reset();
    }
    db::Statement q(db, sql::query(db.engine(), "migrate", "cancel_record"));
    q.bind(1, status);
    if (detail.empty())
        q.bind_null(2);
    else
        q.bind(2, detail);
    q.bind(3, util::now_timestamp());
    q.bind(4, user_id);
    q.exec();
    tx.commit(db::WriteTransaction::OnSignal::commit);  // Stripe has acted: keep the record
}

Error stopped(const CancelSubscriptionsResult& result, std::int64_t handled) {
    return Error(ExitCode::interrupted,
                 fmt::format("interrupted: {} of {} subscriptions were handled and recorded before the signal; run "
                             "the same command again to cancel the rest",
                             handled, result.to_cancel));
}

}  // namespace

CancelSubscriptionsResult cancel_subscriptions(db::Database& db, stripe::StripeClient* client,
                                               const CancelOptions& options) {
    credits::require_tool_tables(db);
    if (!read_completion(db))
        throw refusal(
            "the migration has not run yet: run `quicktools migrate packs` (with --cancel-subscriptions "
            "to do both)");
    CancelSubscriptionsResult result;
    result.dry_run = options.dry_run == DryRun::yes;
    const auto candidates = read_candidates(db);
    result.to_cancel = static_cast<std::int64_t>(candidates.size());
    result.done_before = count_done(db);
    if (result.dry_run || candidates.empty()) return result;
    if (client == nullptr) throw Error("cancelling subscriptions needs the Stripe API client");

    std::int64_t handled = 0;
    auto bind = options.bind;
    for (const auto& c : candidates) {
        if (options.progress) options.progress(handled, result.to_cancel);
        if (util::interrupted()) throw stopped(result, handled);
        try {
            const auto answer = stripe::cancel_subscription(*client, c.subscription_id);
            switch (answer.outcome) {
                case stripe::CancelOutcome::canceled:
                    ++result.canceled;
                    record(db, c.user_id, cancel_status_canceled, {}, bind);
                    break;
                case stripe::CancelOutcome::already_gone:
                    ++result.already_canceled;
                    record(db, c.user_id, cancel_status_canceled, answer.detail, bind);
                    break;
                case stripe::CancelOutcome::not_found:
                case stripe::CancelOutcome::unexpected:
                    // Not done: recorded as failed, so `db drop-deprecated` still sees it billing.
                    ++result.failed;
                    record(db, c.user_id, cancel_status_failed, answer.detail, bind);
                    result.failures.push_back({c.user_id, c.subscription_id, answer.detail});
                    break;
            }
        } catch (const Error& e) {
            // Cut off mid-request: whether Stripe cancelled is unknown, so nothing is recorded
            // and the next run asks again (Stripe then says "already cancelled" if it did).
            if (e.code() == ExitCode::interrupted) throw stopped(result, handled);
            ++result.failed;
            record(db, c.user_id, cancel_status_failed, e.what(), bind);
            result.failures.push_back({c.user_id, c.subscription_id, e.what()});
            // Stripe's refusal of this one subscription (or a malformed id): go on with the rest.
            // Stripe unreachable, or the key refused: the rest would fail the same way, slowly.
            const auto* api = dynamic_cast<const stripe::ApiError*>(&e);
            const bool stop = api ? (api->status == 401 || api->status == 403) : e.code() == ExitCode::failed;
            if (stop) {
                result.not_attempted = result.to_cancel - handled - 1;
                break;
            }
        }
        ++handled;
    }
    if (options.progress) options.progress(handled, result.to_cancel);
    return result;
}

}  // namespace quicktools::migrate
