#include "pg_backup.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <libpq-fe.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../backup_file.hpp"
#include "pg_connection.hpp"
#include "quicktools/db/sql_files.hpp"
#include "quicktools/util/interrupt.hpp"

extern char** environ;

namespace quicktools::db::postgres {
namespace {

// The program's full path if it is on PATH, else empty.
std::string pgbackup_find(const std::string& program) {
    const char* path = std::getenv("PATH");
    if (path == nullptr) return {};
    std::string all(path);
    std::size_t i = 0;
    while (i <= all.size()) {
        std::size_t end = all.find(':', i);
        if (end == std::string::npos) end = all.size();
        std::string dir = all.substr(i, end - i);
        if (dir.empty()) dir = ".";
        std::string candidate = dir + "/" + program;
        struct stat st {};
        if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0)
            return candidate;
        i = end + 1;
    }
    return {};
}

struct PgChildResult {
    int status = 0;
    std::string err;  // its standard error (the last 4 KiB)
};

// Runs `argv` with `env` added to the environment, standard input and output /dev/null, standard
// error read; Ctrl-C or SIGTERM stops it (SIGTERM to the child) and throws exit 130.
PgChildResult pgbackup_run(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
    std::vector<std::string> environment;
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string entry(*e);
        bool replaced = false;
        for (const auto& add : env)
            if (entry.compare(0, add.find('=') + 1, add, 0, add.find('=') + 1) == 0) replaced = true;
        if (!replaced) environment.push_back(entry);
    }
    environment.insert(environment.end(), env.begin(), env.end());
    std::vector<char*> args, envp;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    for (const auto& e : environment) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);

    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) != 0) throw Error(fmt::format("cannot run {}: {}", argv[0], std::strerror(errno)));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, pipefd[1], 2);
    pid_t pid = 0;
    const int rc = ::posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipefd[1]);
    if (rc != 0) {
        ::close(pipefd[0]);
        throw Error(fmt::format("cannot run {}: {}", argv[0], std::strerror(rc)));
    }
    PgChildResult result;
    char buffer[4096];
    try {
        for (;;) {
            const std::size_t n = util::read_some(pipefd[0], buffer, sizeof buffer, argv[0]);
            if (n == 0) break;
            result.err.append(buffer, n);
            if (result.err.size() > 4096) result.err.erase(0, result.err.size() - 4096);
        }
    } catch (...) {
        ::kill(pid, SIGTERM);
        ::close(pipefd[0]);
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        throw;
    }
    ::close(pipefd[0]);
    while (::waitpid(pid, &result.status, 0) < 0) {
        if (errno != EINTR) throw Error(fmt::format("cannot wait for {}: {}", argv[0], std::strerror(errno)));
    }
    return result;
}

std::string pgbackup_one_line(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    std::replace(text.begin(), text.end(), '\n', ' ');
    return text;
}

bool pgbackup_ok(const PgChildResult& r) { return WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0; }

}  // namespace

BackupResult pg_dump_backup(Database& source, const std::string& dest, const BackupProgress& progress) {
    auto* pg = dynamic_cast<PgConnection*>(&source.connection());
    if (pg == nullptr) throw Error(fmt::format("{}: pg_dump backs up PostgreSQL databases only", source.path()));
    const std::string pg_dump = pgbackup_find("pg_dump");
    const std::string pg_restore = pgbackup_find("pg_restore");
    if (pg_dump.empty() || pg_restore.empty())
        throw Error(
            fmt::format("backing up {} needs pg_dump and pg_restore, and {} is not on PATH; install "
                        "postgresql-client (the version of the server or newer), or pass --no-backup to "
                        "go on without a backup",
                        source.path(), pg_dump.empty() ? "pg_dump" : "pg_restore"));
    refuse_existing_backup(dest);
    PartialBackupFile partial(dest);

    std::vector<std::string> argv = {pg_dump, "--format=custom", "--no-password",
                                     fmt::format("--lock-wait-timeout={}", std::max(1, source.busy_timeout_ms())),
                                     "--file=" + partial.path()};
    // Inside the caller's transaction: pg_dump sees exactly what it sees.
    if (source.connection().in_transaction()) {
        Statement q(source, sql::query(Engine::postgres, "backup", "export_snapshot"));
        q.step();
        argv.push_back("--snapshot=" + q.column(0).text());
    }
    argv.push_back("--dbname=" + pg_redact_uri(pg->uri()));
    std::vector<std::string> env;
    if (const char* password = PQpass(pg->raw()); password != nullptr && *password != '\0')
        env.push_back(std::string("PGPASSWORD=") + password);

    const PgChildResult dumped = pgbackup_run(argv, env);
    util::throw_if_interrupted();
    if (!pgbackup_ok(dumped))
        throw Error(fmt::format("pg_dump could not back up {} ({}); no backup was written", source.path(),
                                pg_scrub(pgbackup_one_line(dumped.err), pg->uri())));
    const PgChildResult listed = pgbackup_run({pg_restore, "--list", partial.path()}, {});
    if (!pgbackup_ok(listed))
        throw Error(fmt::format("the dump of {} cannot be read back by pg_restore ({}); no backup was written",
                                source.path(), pgbackup_one_line(listed.err)));
    BackupResult result;
    result.path = dest;
    result.format = BackupFormat::pg_dump_custom;
    struct stat st {};
    if (::stat(partial.path().c_str(), &st) == 0) result.bytes = st.st_size;
    partial.publish(dest);
    if (progress) progress(1, 1);
    return result;
}

}  // namespace quicktools::db::postgres
