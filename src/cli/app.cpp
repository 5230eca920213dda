#include "quicktools/cli/app.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cerrno>
#include <cstring>
#include <ostream>

#include "commands.hpp"
#include "quicktools/db/database.hpp"
#include "quicktools/util/text.hpp"
#include "quicktools/version.hpp"

namespace quicktools::cli {
namespace {

void add_global_options(CLI::App& app, Context& ctx) {
    auto& o = ctx.options;
    app.add_option("--db", o.db_path, "A SQLite file (default ./quicktools.db) or postgresql:// URI")
        ->envname("QUICKTOOLS_DB")
        ->type_name("PATH");
    app.add_flag("--json", o.json, "Print exactly one JSON document on stdout");
    app.add_flag("-q,--quiet", o.quiet, "Print only results and errors");
    app.add_flag("-v,--verbose", o.verbose, "Print more detail on stderr (repeat for more)");
    app.add_option("--busy-timeout", o.busy_timeout_ms,
                   "How long to wait for the web app's write lock, in milliseconds (default 5000)")
        ->check(CLI::Range(0, 3'600'000))
        ->type_name("MS");
    app.add_flag("--no-color", o.no_color, "No colours (NO_COLOR in the environment does the same)");
    app.set_version_flag("--version", std::string("quicktools ") + version_string);
}

// The first example of a command's footer ("  quicktools ..." line, with its continuation
// lines), or with `one_line` the first that fits on one line; empty if there is none.
std::string first_example(const CLI::App& cmd, bool one_line) {
    const std::string footer = cmd.get_footer() + "\n";
    for (auto at = footer.find("\n  quicktools "); at != std::string::npos;
         at = footer.find("\n  quicktools ", at + 1)) {
        auto end = footer.find('\n', at + 1);
        while (!one_line && footer[end - 1] == '\\' && end + 1 < footer.size()) end = footer.find('\n', end + 1);
        auto example = footer.substr(at + 1, end - at - 1);
        if (example.back() != '\\') return example;
    }
    return {};
}

// A footer for each command group (and the program) without one: an example of each command,
// and where to read more.
void add_group_footers(CLI::App& app) {
    std::string overview = "Examples:\n";
    for (auto* group : app.get_subcommands({})) {
        if (group->get_group().empty()) continue;  // hidden
        std::string examples;
        for (const auto* cmd : group->get_subcommands({}))
            if (const auto example = first_example(*cmd, false); !example.empty()) examples += example + "\n";
        if (examples.empty()) examples = first_example(*group, false) + "\n";
        if (group->get_footer().empty())
            group->footer(fmt::format("Examples:\n{}Run `quicktools {} COMMAND --help` for each command's options.",
                                      examples, group->get_name()));
        std::string line;
        for (const auto* cmd : group->get_subcommands({}))
            if (line.empty()) line = first_example(*cmd, true);
        if (line.empty()) line = first_example(*group, true);
        if (!line.empty()) overview += line + "\n";
    }
    app.footer(overview +
               "Run `quicktools COMMAND --help` for more; the README has runbooks for operators, support, "
               "cron and CI.");
}

// A command-line mistake, with the command it was in and where to look next.
std::string usage_message(const CLI::App& app, const CLI::ParseError& e) {
    const CLI::App* deepest = &app;
    std::string path = "quicktools";
    for (bool deeper = true; deeper;) {
        deeper = false;
        for (const auto* sub : deepest->get_subcommands()) {
            deepest = sub;
            path += " " + sub->get_name();
            deeper = true;
            break;
        }
    }
    std::string message = e.what();
    if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr && !deepest->get_subcommands({}).empty() &&
        deepest->get_subcommands().empty()) {
        std::vector<std::string> names;
        for (const auto* sub : deepest->get_subcommands({}))
            if (!sub->get_group().empty()) names.push_back(sub->get_name());
        auto extra = deepest->remaining();
        if (extra.empty()) extra = app.remaining();
        message = extra.empty() || extra.front().rfind('-', 0) == 0
                      ? fmt::format("{} needs a command: {}", path, fmt::join(names, ", "))
                      : fmt::format("{} is not a command of {}; the commands are {}", extra.front(), path,
                                    fmt::join(names, ", "));
    }
    return fmt::format("{}; run `{} --help` for the options and an example", message, path);
}

}  // namespace

void build(CLI::App& app, Context& ctx) {
    app.require_subcommand(1);
    app.fallthrough();
    add_global_options(app, ctx);
    // One line per command group or top-level command; commands.hpp names the file of each.
    register_db_group(app, ctx);
    register_completion(app, ctx);
    register_manpage(app, ctx);
    register_credits_group(app, ctx);
    register_checkout_group(app, ctx);
    register_stripe_group(app, ctx);
    register_migrate_group(app, ctx);
    register_user_group(app, ctx);
    register_packs_group(app, ctx);
    register_report(app, ctx);
    add_group_footers(app);
}

namespace {

// Runs the command line; the exit code. The one catch site of the tool.
int dispatch(CLI::App& app, Context& ctx, const std::vector<std::string>& args) {
    try {
        app.parse(std::vector<std::string>(args.rbegin(), args.rend()));  // CLI11 takes them last first
        return static_cast<int>(ctx.exit_code);
    } catch (const CLI::Success& e) {
        return app.exit(e, ctx.out, ctx.err);
    } catch (const CLI::ParseError& e) {
        ctx.error(ExitCode::usage, usage_message(app, e));
        return static_cast<int>(ExitCode::usage);
    } catch (const Error& e) {
        ctx.error(e.code(), e.what());
        return static_cast<int>(e.code());
    } catch (const db::EngineError& e) {
        const Error translated = db::translate(e, ctx.options.db_path, ctx.options.busy_timeout_ms);
        ctx.error(translated.code(), translated.what());
        return static_cast<int>(translated.code());
    } catch (const std::exception& e) {
        ctx.error(ExitCode::failed, fmt::format("internal error: {} (please report this)", e.what()));
        return static_cast<int>(ExitCode::failed);
    }
}

}  // namespace

int run(const std::vector<std::string>& args, Context& ctx) {
    CLI::App app{"quicktools: admin and migration tool for the credit-pack database (quicktools.db)", "quicktools"};
    build(app, ctx);
    const int code = dispatch(app, ctx, args);
    // A result that never reached stdout (a full disk, a closed pipe) is a failure, not exit 0.
    errno = 0;
    ctx.out.flush();
    if (!ctx.out.good()) {
        const int error = errno;
        ctx.err << "quicktools: could not write the output to stdout"
                << (error != 0 ? fmt::format(" ({})", std::strerror(error)) : std::string())
                << (code == 0 ? "; the command itself ran (what it changed is committed), only its output is lost" : "")
                << '\n';
        return code == 0 ? static_cast<int>(ExitCode::failed) : code;
    }
    return code;
}

}  // namespace quicktools::cli
