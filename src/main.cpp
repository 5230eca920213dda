#include "quicktools/cli/app.hpp"
#include "quicktools/util/interrupt.hpp"

int main(int argc, char** argv) {
    quicktools::util::install_interrupt_handlers();
    return quicktools::cli::run(argc, argv);
}
