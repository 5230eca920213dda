#pragma once
// A plain description of the CLI11 command tree, read from the same objects that produce
// --help, so completions and the man page never drift from the real commands.
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace quicktools::cli {

// What a value completes to: files, pack names, or nothing in particular.
enum class ValueKind { none, file, pack, choice };

struct OptionNode {
    std::vector<std::string> names;  // "--db", "-q", ...
    std::string description;
    std::string type_name;  // "PATH", "MS", ...
    bool takes_value = false;
    ValueKind kind = ValueKind::none;
};

struct PositionalNode {
    std::string name;
    std::string description;
    ValueKind kind = ValueKind::none;
    std::vector<std::string> choices;  // for ValueKind::choice
};

struct CommandNode {
    std::string path;  // "" for the root, "db", "db backup", ...
    std::string description;
    std::string footer;
    std::vector<std::string> subcommands;
    std::vector<OptionNode> options;
    std::vector<PositionalNode> positionals;
};

// Every command of the tree, depth first, root first. Hidden commands (empty group) are left out.
std::vector<CommandNode> collect_commands(const CLI::App& root);

}  // namespace quicktools::cli
