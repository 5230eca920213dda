// `quicktools credits import FILE|- [--dry-run]`: many adjustments from a CSV file, all or nothing.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ostream>
#include <vector>

#include "commands.hpp"
#include "quicktools/credits/import.hpp"
#include "quicktools/util/interrupt.hpp"
#include "quicktools/util/system.hpp"
#include "quicktools/util/text.hpp"

namespace quicktools::cli {
namespace {

// The most a pipe is read ahead of an import (spooled to a temporary file).
constexpr std::int64_t max_spooled_bytes = 1LL << 30;

// The CSV file (or stdin) opened for reading a chunk at a time; closed when it goes.
class Input {
public:
    explicit Input(const std::string& file) : m_name(file == "-" ? "stdin" : file) {
        if (file == "-") return;
        m_fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
        if (m_fd < 0) throw usage_error(fmt::format("cannot read {}: {}", file, std::strerror(errno)));
    }
    // A real import holds the write lock while it reads its rows: from a pipe, which may be
    // slow, they are first read into a temporary file, so the web app never waits on the pipe.
    void spool_if_pipe() {
        struct stat st {};
        if (::fstat(m_fd, &st) != 0 || !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))) return;
        FILE* spool = std::tmpfile();
        if (spool == nullptr)
            throw Error(fmt::format("cannot make a temporary file to read {}: {}", m_name, std::strerror(errno)));
        const int spool_fd = ::fileno(spool);
        std::vector<char> buffer(1 << 16);
        std::int64_t total = 0;
        for (std::size_t n; (n = read(buffer.data(), buffer.size())) > 0;) {
            total += static_cast<std::int64_t>(n);
            if (total > max_spooled_bytes) {
                std::fclose(spool);
                throw usage_error(fmt::format("{} is longer than {} MiB: import it from a file; nothing was changed",
                                              m_name, max_spooled_bytes >> 20));
            }
            for (std::size_t done = 0; done < n;) {
                const auto w = ::write(spool_fd, buffer.data() + done, n - done);
                if (w < 0 && errno == EINTR) continue;
                if (w < 0) {
                    std::fclose(spool);
                    throw Error(fmt::format("cannot spool {} to a temporary file: {}", m_name, std::strerror(errno)));
                }
                done += static_cast<std::size_t>(w);
            }
        }
        ::lseek(spool_fd, 0, SEEK_SET);
        if (m_fd != STDIN_FILENO) ::close(m_fd);
        m_fd = ::dup(spool_fd);
        std::fclose(spool);  // the file is unlinked; the dup keeps it until the import ends
    }
    ~Input() {
        if (m_fd != STDIN_FILENO) ::close(m_fd);
    }
    Input(const Input&) = delete;
    Input& operator=(const Input&) = delete;
    // Ctrl-C while waiting on a pipe ends the read (util::read_some).
    std::size_t read(char* buffer, std::size_t size) { return util::read_some(m_fd, buffer, size, m_name); }

private:
    std::string m_name;
    int m_fd = STDIN_FILENO;
};

nlohmann::json row_json(const credits::ImportRow& r) {
    return {{"line", r.line},
            {"user_id", r.user_id},
            {"email", r.email},
            {"action", credits::to_string(r.action)},
            {"amount", r.amount},
            {"reason", r.reason},
            {"idempotency_key", r.key ? nlohmann::json(*r.key) : nlohmann::json()},
            {"status", credits::to_string(r.status)},
            {"same_as_line", r.same_as_line > 0 ? nlohmann::json(r.same_as_line) : nlohmann::json()},
            {"ledger_id", r.ledger_id > 0 ? nlohmann::json(r.ledger_id) : nlohmann::json()},
            {"balance_before", r.balance_before},
            {"balance_after", r.balance_after}};
}

nlohmann::json totals_json(const credits::ImportTotals& t) {
    return {{"rows", t.rows},       {"applied", t.applied},   {"skipped", t.skipped}, {"users", t.users},
            {"granted", t.granted}, {"refunded", t.refunded}, {"debited", t.debited}};
}

std::string row_text(const credits::ImportRow& r) {
    switch (r.status) {
        case credits::RowStatus::replayed:
            return fmt::format("line {}: {} {} for {}: already applied (ledger entry {}), skipped", r.line,
                               credits::to_string(r.action), r.amount, util::display(r.email), r.ledger_id);
        case credits::RowStatus::duplicate:
            return fmt::format("line {}: {} {} for {}: same key and request as line {}, skipped", r.line,
                               credits::to_string(r.action), r.amount, util::display(r.email), r.same_as_line);
        case credits::RowStatus::apply: break;
    }
    return fmt::format("line {}: {} {} for {} (id {}): balance {} -> {}", r.line, credits::to_string(r.action),
                       r.amount, util::display(r.email), r.user_id, r.balance_before, r.balance_after);
}

std::string summary_text(const credits::ImportResult& result, const std::string& source, bool dry_run) {
    const auto& t = result.totals;
    if (t.rows == 0) return fmt::format("{} has a header but no rows: nothing to do.", util::display(source));
    std::string out = fmt::format("{} {} of {} rows from {} to {} users: +{} granted, +{} refunded, -{} debited",
                                  dry_run ? "Would apply" : "Applied", t.applied, t.rows, util::display(source),
                                  t.users, t.granted, t.refunded, t.debited);
    if (t.skipped > 0) out += fmt::format("; {} skipped (already applied with their idempotency key)", t.skipped);
    out += dry_run ? ". Dry run: nothing changed." : ", in one transaction.";
    return out;
}

struct ImportCommandOptions {
    std::string file;
    bool dry_run = false;
    std::string actor;
};

struct ImportRun {
    std::string source;  // the file as named, or "stdin"
    credits::ImportResult result;
};

ImportRun run_credits_import(const ImportCommandOptions& opts, const Context& ctx) {
    Input input(opts.file);
    if (!opts.dry_run) input.spool_if_pipe();
    util::CsvReader reader([&input](char* buffer, std::size_t size) { return input.read(buffer, size); });
    credits::ImportOptions options;
    options.source_name = opts.file == "-" ? "stdin" : opts.file;
    options.actor = credits::normalise_actor(opts.actor.empty() ? util::os_user() : opts.actor);
    options.dry_run = opts.dry_run ? DryRun::yes : DryRun::no;
    // Rows are kept only to be printed; otherwise memory stays flat however long the file.
    const bool print_rows = ctx.options.json || opts.dry_run || ctx.options.verbose > 0;
    options.keep_rows = print_rows ? credits::ImportOptions::KeepRows::yes : credits::ImportOptions::KeepRows::no;
    auto database = ctx.open(opts.dry_run ? db::Access::read_only : db::Access::read_write);
    auto bar = ctx.progress("importing rows");
    options.progress = bar.callback();
    ImportRun run{options.source_name, credits::import_csv(database, reader, options)};
    bar.finish();
    return run;
}

// Bad rows: each as FILE:LINE: problem on stderr, then the summary as the error (exit 2); with
// --json one document carries every bad row, not just the summary, so it is not thrown.
void render_import_errors(const ImportRun& run, Context& ctx) {
    const auto& result = run.result;
    const std::string message =
        fmt::format("{}: {} of {} rows are bad; nothing was changed{}", run.source, result.bad_rows, result.totals.rows,
                    result.bad_rows > static_cast<std::int64_t>(result.errors.size())
                        ? fmt::format(" (the first {} are listed)", result.errors.size())
                        : "");
    nlohmann::json errors = nlohmann::json::array();
    for (const auto& e : result.errors) {
        ctx.err << fmt::format("{}:{}: {}\n", util::display(run.source), e.line, util::display(e.message));
        errors.push_back({{"line", e.line}, {"message", e.message}});
    }
    ctx.err << "quicktools: " << util::display(message) << '\n';
    if (ctx.options.json)
        ctx.emit({{"ok", false},
                  {"exit_code", static_cast<int>(ExitCode::usage)},
                  {"error", message},
                  {"errors", errors},
                  {"totals", totals_json(result.totals)}},
                 "");
    ctx.exit_code = ExitCode::usage;
}

void render_credits_import(const ImportRun& run, bool dry_run, Context& ctx) {
    const auto& result = run.result;
    if (!result.errors.empty()) return render_import_errors(run, ctx);
    nlohmann::json rows = nlohmann::json::array();
    if (ctx.options.json)  // 100,000 rows are worth building only when they are printed
        for (const auto& r : result.rows) rows.push_back(row_json(r));
    std::string text_out;
    if (dry_run || ctx.options.verbose > 0)
        for (const auto& r : result.rows) text_out += row_text(r) + "\n";
    text_out += summary_text(result, run.source, dry_run);
    ctx.emit({{"ok", true},
              {"dry_run", dry_run},
              {"committed", result.committed},
              {"source", run.source},
              {"totals", totals_json(result.totals)},
              {"rows", rows}},
             text_out);
}

}  // namespace

void register_credits_import(CLI::App& group, Context& ctx) {
    auto opts = std::make_shared<ImportCommandOptions>();
    auto* cmd =
        group.add_subcommand("import",
                             "Apply many adjustments from a CSV file (columns user, action, amount, reason, optional "
                             "idempotency_key): every row checked first, then all applied in one transaction, or none");
    cmd->add_option("FILE", opts->file, "The CSV file, with a header line; - reads standard input")->required();
    cmd->add_flag("--dry-run", opts->dry_run, "Check every row and show each row's effect; change nothing");
    cmd->add_option("--actor", opts->actor, "Who is doing this, recorded on every row (default: the OS user)")
        ->type_name("NAME");
    cmd->footer(
        "Examples:\n  quicktools credits import refunds.csv --dry-run\n"
        "  printf 'user,action,amount,reason\\n42,refund,8,task 981 failed\\n' | quicktools credits import -\n"
        "Each bad row is reported as FILE:LINE: problem, and then nothing is applied (exit 2).");
    cmd->callback([&ctx, opts] { render_credits_import(run_credits_import(*opts, ctx), opts->dry_run, ctx); });
}

}  // namespace quicktools::cli
