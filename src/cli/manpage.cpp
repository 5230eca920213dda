// `quicktools manpage` (hidden): quicktools(1) in roff, from the same tree as --help.
#include <fmt/format.h>

#include <ostream>

#include "command_tree.hpp"
#include "commands.hpp"
#include "quicktools/version.hpp"

namespace quicktools::cli {
namespace {

// Escapes text for roff: backslashes, and a leading dot or quote.
std::string roff(const std::string& text) {
    std::string out;
    for (char c : text) out += c == '\\' ? std::string("\\e") : c == '-' ? std::string("\\-") : std::string(1, c);
    if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out.insert(0, "\\&");
    return out;
}

std::string roff_lines(const std::string& text) {
    std::string out;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        out += roff(text.substr(start, end - start)) + "\n";
        start = end + 1;
    }
    return out;
}

std::string render(const std::vector<CommandNode>& tree) {
    std::string out = fmt::format(".TH QUICKTOOLS 1 \"\" \"quicktools {}\" \"User Commands\"\n", version_string);
    out += ".SH NAME\nquicktools \\- admin and migration tool for the credit\\-pack database\n";
    out += ".SH SYNOPSIS\n.B quicktools\n[\\fIGLOBAL OPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]\n";
    out += ".SH DESCRIPTION\n" + roff_lines(tree.front().description);
    out += ".SH GLOBAL OPTIONS\n";
    for (const auto& o : tree.front().options) {
        out += fmt::format(".TP\n.B {}{}\n{}", roff(fmt::format("{}", fmt::join(o.names, ", "))),
                           o.takes_value ? " \\fI" + o.type_name + "\\fR" : "", roff_lines(o.description));
    }
    out += ".SH COMMANDS\n";
    for (const auto& node : tree) {
        if (node.path.empty() || !node.subcommands.empty()) continue;
        std::string synopsis = node.path;
        for (const auto& p : node.positionals) synopsis += " " + p.name;
        out += fmt::format(".SS {}\n{}", roff(synopsis), roff_lines(node.description));
        for (const auto& p : node.positionals)
            out += fmt::format(".TP\n.I {}\n{}", roff(p.name), roff_lines(p.description));
        for (const auto& o : node.options)
            out += fmt::format(".TP\n.B {}{}\n{}", roff(fmt::format("{}", fmt::join(o.names, ", "))),
                               o.takes_value ? " \\fI" + o.type_name + "\\fR" : "", roff_lines(o.description));
        if (!node.footer.empty()) out += ".PP\n.nf\n" + roff_lines(node.footer) + ".fi\n";
    }
    out +=
        ".SH ENVIRONMENT\n.TP\n.B QUICKTOOLS_DB\nthe database, as \\-\\-db\n"
        ".TP\n.B NO_COLOR\nno colours when set\n"
        ".TP\n.B STRIPE_API_KEY, STRIPE_WEBHOOK_SECRET, STRIPE_API_BASE\nStripe secrets (never printed) and "
        "the API base for tests\n";
    out +=
        ".SH EXIT STATUS\n0 done; 1 failed; 2 bad usage or input; 3 a check found problems; 4 refused by a "
        "safety rule; 130 interrupted.\n";
    return out;
}

}  // namespace

void register_manpage(CLI::App& app, Context& ctx) {
    auto* cmd = app.add_subcommand("manpage", "Print the quicktools(1) man page in roff");
    cmd->group("");  // hidden: used by the build to make quicktools.1
    cmd->callback([&app, &ctx] { ctx.out << render(collect_commands(app)); });
}

}  // namespace quicktools::cli
