// Long work in the core reports progress through util::ProgressCallback and draws nothing.
#include <doctest/doctest.h>

#include <utility>
#include <vector>

#include "quicktools/credits/import.hpp"
#include "quicktools/db/migrations.hpp"

using namespace quicktools;

TEST_SUITE("progress callbacks") {
    TEST_CASE("the import tells the rows read so far, with no total") {
        auto database = db::Database::in_memory();
        db::initialise(database, "test");
        database.execute(
            "INSERT INTO users (email, hashed_password, is_active, created_at) VALUES "
            "('u1@x.com', 'h', 1, '2026-01-01 00:00:00.000000')");
        std::vector<std::pair<std::int64_t, std::int64_t>> calls;
        credits::ImportOptions options{"f.csv", "t", DryRun::yes, {}};
        options.progress = [&calls](std::int64_t done, std::int64_t total) { calls.emplace_back(done, total); };
        const auto result = credits::import_csv(
            database, "user,action,amount,reason\n1,grant,5,a\n1,grant,6,b\nnobody,grant,1,c\n", options);
        CHECK(result.totals.rows == 3);
        CHECK(calls == std::vector<std::pair<std::int64_t, std::int64_t>>{{1, 0}, {2, 0}});
    }
}
