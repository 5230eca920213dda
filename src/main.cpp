#include "quicktools/cli/app.hpp"

int main(int argc, char** argv) { return quicktools::cli::run(argc, argv); }
