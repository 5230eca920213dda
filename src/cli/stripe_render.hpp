#pragma once
// The report of applied Stripe events, shared by `stripe replay` and `stripe sync`.
#include <nlohmann/json.hpp>

#include <string>

#include "metrics.hpp"
#include "quicktools/stripe/replay.hpp"

namespace quicktools::cli {

// ok, attention_total, dry_run, events, counts, retried, credits_added, credits_clawed_back,
// attention (the events a person should look at).
nlohmann::json replay_json(const stripe::ReplayResult& r, bool dry_run);
// The counts, the credits, and the events needing attention (50 listed, all with verbose).
std::string replay_text(const stripe::ReplayResult& r, bool dry_run, bool verbose);
// The --metrics-file samples of a run: events per outcome, items needing attention, credits.
std::vector<MetricSample> replay_metrics(const stripe::ReplayResult& r);

}  // namespace quicktools::cli
