#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdlib>

int main(int argc, char** argv) {
    // The commands read these; a developer's shell must not change what the tests see.
    for (const char* name :
         {"QUICKTOOLS_DB", "STRIPE_API_KEY", "STRIPE_API_BASE", "STRIPE_WEBHOOK_SECRET", "NO_COLOR", "COLUMNS"})
        ::unsetenv(name);
    doctest::Context context(argc, argv);
    return context.run();
}
