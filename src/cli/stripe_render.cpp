// The report of applied Stripe events, shared by `stripe replay` and `stripe sync`.
#include "stripe_render.hpp"
#include "quicktools/util/text.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace quicktools::cli {

namespace {

constexpr std::size_t text_attention_limit = 50;

}  // namespace

std::vector<MetricSample> replay_metrics(const stripe::ReplayResult& r) {
    std::vector<MetricSample> samples;
    for (auto o : stripe::all_outcomes)
        samples.push_back({"quicktools_last_run_events",
                           {{"outcome", std::string(stripe::to_string(o))}},
                           static_cast<double>(r.count(o))});
    samples.push_back({"quicktools_attention_items", {}, static_cast<double>(r.attention_total)});
    samples.push_back({"quicktools_last_run_credits", {{"kind", "added"}}, static_cast<double>(r.credits_added)});
    samples.push_back(
        {"quicktools_last_run_credits", {{"kind", "clawed_back"}}, static_cast<double>(r.credits_clawed_back)});
    samples.push_back({"quicktools_last_run_credits", {{"kind", "restored"}}, static_cast<double>(r.credits_restored)});
    return samples;
}

nlohmann::json replay_json(const stripe::ReplayResult& r, bool dry_run) {
    nlohmann::json counts = nlohmann::json::object();
    for (auto o : stripe::all_outcomes) counts[std::string(stripe::to_string(o))] = r.count(o);
    nlohmann::json attention = nlohmann::json::array();
    for (const auto& a : r.attention)
        attention.push_back(
            {{"id", a.event_id}, {"type", a.type}, {"outcome", stripe::to_string(a.outcome)}, {"reason", a.reason}});
    return {{"ok", r.attention_total == 0},
            {"attention_total", r.attention_total},
            {"dry_run", dry_run},
            {"events", r.events},
            {"counts", counts},
            {"retried", r.retried},
            {"credits_added", r.credits_added},
            {"credits_clawed_back", r.credits_clawed_back},
            {"credits_restored", r.credits_restored},
            {"attention", attention},
            {"warnings", r.warnings}};
}

std::string replay_text(const stripe::ReplayResult& r, bool dry_run, bool verbose) {
    std::string counts;
    for (auto o : stripe::all_outcomes)
        if (r.count(o) > 0 || o == stripe::Outcome::credited)
            counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", r.count(o), stripe::to_string(o));
    std::string text = fmt::format("{} {} events: {}.\n", dry_run ? "Would replay" : "Replayed", r.events, counts);
    text += fmt::format("Credits added: {}; taken back by refunds and disputes: {}; given back: {}{}.\n",
                        r.credits_added, r.credits_clawed_back, r.credits_restored,
                        r.retried > 0 ? fmt::format("; events tried again: {}", r.retried) : "");
    if (!r.attention.empty()) {
        text += fmt::format("Events that need attention ({}):\n", r.attention_total);
        const auto limit = verbose ? r.attention.size() : std::min(r.attention.size(), text_attention_limit);
        for (std::size_t i = 0; i < limit; ++i) {
            const auto& a = r.attention[i];
            text += fmt::format("  {} {} [{}]: {}\n", util::display(a.event_id), util::display(a.type),
                                stripe::to_string(a.outcome), util::display(a.reason));
        }
        if (static_cast<std::int64_t>(limit) < r.attention_total)
            text += fmt::format("  ... and {} more ({}all are in quicktools_stripe_events)\n",
                                r.attention_total - static_cast<std::int64_t>(limit),
                                verbose ? "" : "-v or --json lists up to 10000; ");
    }
    for (const auto& w : r.warnings) text += fmt::format("Warning: {}\n", util::display(w));
    if (dry_run) text += "Dry run: nothing was changed.\n";
    return text;
}

}  // namespace quicktools::cli
