#include <string>
#include <vector>

#include "quicktools/cli/app.hpp"
#include "quicktools/util/interrupt.hpp"

int main(int argc, char** argv) {
    quicktools::util::install_interrupt_handlers();
    auto ctx = quicktools::cli::Context::standard();
    return quicktools::cli::run(std::vector<std::string>(argv + 1, argv + argc), ctx);
}
