// The one Catch2 main shared by every gocsp test executable (built once as gocsp_catch_main).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
