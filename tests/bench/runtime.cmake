# Native helpers of the WebAssembly runtime's JS tests and benchmark
# (included from tests/bench/CMakeLists.txt; native builds only):
#   lw_golden         reference decoder outputs for tests/js/golden.test.mjs
#   lw_runtime_bench  the native column of `npm run bench` (tests/bench/bench.mjs)
if(NOT LW_WASM)
  add_executable(lw_golden ${CMAKE_CURRENT_LIST_DIR}/runtime_golden.cpp)
  target_include_directories(lw_golden PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(lw_golden PRIVATE lw_train)
  add_executable(lw_runtime_bench ${CMAKE_CURRENT_LIST_DIR}/runtime_bench.cpp)
  target_include_directories(lw_runtime_bench PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(lw_runtime_bench PRIVATE lw_native)
endif()
