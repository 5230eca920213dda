// The PostgreSQL engine's entry points (include/quicktools/db/engines.hpp): opening a
// connection and turning PostgreSQL's failures into sentences like SQLite's.
#include <fmt/format.h>
#include <unistd.h>

#include <stdexcept>

#include "pg_connection.hpp"
#include "quicktools/db/engines.hpp"
#include "quicktools/util/interrupt.hpp"

namespace quicktools::db {
namespace {

std::string pg_name_in(std::string_view message, std::string_view after) {
    const std::size_t at = message.find(after);
    if (at == std::string_view::npos) return {};
    const std::size_t open = message.find('"', at);
    const std::size_t close = open == std::string_view::npos ? open : message.find('"', open + 1);
    if (close == std::string_view::npos) return {};
    return std::string(message.substr(open + 1, close - open - 1));
}

bool pg_lost_connection(const postgres::PgError& e) {
    const std::string& state = e.sqlstate();
    return e.kind() == postgres::PgError::Kind::connection || state.rfind("08", 0) == 0 || state == "57P01" ||
           state == "57P02" || state == "57P03";
}

}  // namespace

std::unique_ptr<Connection> open_postgres(const OpenOptions& options) {
    try {
        return std::make_unique<postgres::PgConnection>(options);
    } catch (const postgres::PgError& e) {
        throw translate_postgres(e, options.path, options.busy_timeout_ms);
    }
}

std::unique_ptr<Connection> open_postgres_scratch(Connection& live) {
    auto* pg = dynamic_cast<postgres::PgConnection*>(&live);
    if (pg == nullptr) throw std::logic_error("open_postgres_scratch needs a PostgreSQL connection");
    auto scratch = open_postgres({pg->uri(), live.busy_timeout_ms(), Access::read_write});
    // A schema only this transaction sees (it is never committed): its name need only differ
    // from the database's own schemas.
    const std::string schema = fmt::format("quicktools_expected_{}", ::getpid());
    try {
        scratch->execute(fmt::format("BEGIN; CREATE SCHEMA {0}; SET LOCAL search_path = {0}", schema));
    } catch (const postgres::PgError& e) {
        if (e.sqlstate() == "42501")
            throw Error(
                fmt::format("{}: db verify builds the expected schema in a scratch schema that is never "
                            "committed, and this role may not create one ({}): run it as a role with "
                            "CREATE on the database (the web app's owner)",
                            live.name(), e.what()));
        throw translate_postgres(e, live.name(), live.busy_timeout_ms());
    }
    return scratch;
}

Error translate_postgres(const std::exception& e, const std::string& target, int busy_timeout_ms) {
    // The target may be the URI as given on the command line: never shown with its password.
    const std::string name = postgres::pg_redact_uri(target);
    const auto* pg = dynamic_cast<const postgres::PgError*>(&e);
    if (util::interrupted() || (pg != nullptr && pg->sqlstate() == "57014" &&
                                std::string_view(e.what()).find("user request") != std::string_view::npos))
        return Error(ExitCode::interrupted, "interrupted: the transaction was rolled back, nothing changed");
    if (pg == nullptr) return Error(fmt::format("{}: {}", name, postgres::pg_scrub(e.what(), target)));

    const std::string& state = pg->sqlstate();
    const std::string message = e.what();
    const std::string detail = pg->detail().empty() ? std::string() : " (" + pg->detail() + ")";
    if (pg->kind() == postgres::PgError::Kind::connect) {
        if (state == "3D000")
            return Error(fmt::format("no database at {} (the server has no database named \"{}\")", name,
                                     pg_name_in(message, "database")));
        if (state == "28P01" || state == "28000")
            return Error(
                fmt::format("cannot connect to {}: the server refused the login ({}); check the user and "
                            "the password (in the URI, PGPASSWORD or ~/.pgpass)",
                            name, message));
        return Error(fmt::format("cannot connect to {}: {}", name, message));
    }
    if (pg_lost_connection(*pg)) {
        if (pg->during_commit)
            return Error(
                fmt::format("lost the connection to {} while committing ({}): the server may or may not "
                            "have committed the change; check before running the command again",
                            name, message));
        return Error(fmt::format("lost the connection to {} ({}); nothing was committed", name, message));
    }
    if (state == "55P03")
        return Error(
            fmt::format("{} is locked by another writer: a row or table this command needs stayed locked "
                        "for {} ms; nothing was changed. Try again, or wait longer with --busy-timeout MS",
                        name, busy_timeout_ms));
    if (state == "57014")
        return Error(fmt::format("{}: the server cancelled a statement ({}); nothing was changed", name, message));
    if (state == "40001" || state == "40P01")
        return Error(
            fmt::format("{}: another session changed the same rows at the same time ({}); nothing was "
                        "changed. Try again",
                        name, message));
    if (state.rfind("23", 0) == 0) return Error(fmt::format("{} refused the change: {}{}", name, message, detail));
    if (state == "53100") return Error(fmt::format("the disk holding {} is full; nothing was changed", name));
    if (state.rfind("53", 0) == 0)
        return Error(fmt::format("{}: the server is out of resources ({}); nothing was changed", name, message));
    if (state == "25006" &&
        (message.find("standby") != std::string::npos || message.find("recovery") != std::string::npos))
        return Error(
            fmt::format("{} is read-only ({}): this command writes, so it needs the primary server", name, message));
    if (state == "42501")
        return Error(
            fmt::format("{}: permission denied ({}): this command needs a role that may read and write "
                        "the web app's tables",
                        name, message));
    return Error(fmt::format("{}: {}{}", name, message, detail));
}

}  // namespace quicktools::db
