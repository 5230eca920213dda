#include "command_tree.hpp"

#include <algorithm>

namespace quicktools::cli {
namespace {

// Option type names say what a value is: PATH, FILE, DEST and DIR are files, PACK a pack name.
ValueKind kind_of(const std::string& type_name) {
    if (type_name == "PATH" || type_name == "FILE" || type_name == "DEST" || type_name == "DIR") return ValueKind::file;
    if (type_name == "PACK") return ValueKind::pack;
    return ValueKind::none;
}

void visit(const CLI::App& app, const std::string& path, std::vector<CommandNode>& out) {
    CommandNode node;
    node.path = path;
    node.description = app.get_description();
    node.footer = app.get_footer();
    for (const CLI::Option* opt : app.get_options()) {
        if (opt->get_positional()) {
            PositionalNode p;
            p.name = opt->get_name(true, false);
            p.description = opt->get_description();
            p.kind = kind_of(opt->get_type_name());
            node.positionals.push_back(std::move(p));
            continue;
        }
        OptionNode o;
        for (const auto& l : opt->get_lnames()) o.names.push_back("--" + l);
        for (const auto& s : opt->get_snames()) o.names.push_back("-" + s);
        if (o.names.empty()) continue;
        o.description = opt->get_description();
        o.type_name = opt->get_type_name();
        o.takes_value = opt->get_type_size() != 0;
        o.kind = kind_of(o.type_name);
        node.options.push_back(std::move(o));
    }
    const auto subs = app.get_subcommands([](const CLI::App* a) { return !a->get_group().empty(); });
    for (const CLI::App* sub : subs) node.subcommands.push_back(sub->get_name());
    out.push_back(std::move(node));
    for (const CLI::App* sub : subs) visit(*sub, path.empty() ? sub->get_name() : path + " " + sub->get_name(), out);
}

}  // namespace

std::vector<CommandNode> collect_commands(const CLI::App& root) {
    std::vector<CommandNode> out;
    visit(root, "", out);
    return out;
}

}  // namespace quicktools::cli
