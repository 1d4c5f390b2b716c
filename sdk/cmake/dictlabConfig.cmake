# find_package(dictlab) for plugins built outside the dictlab tree:
# gives the dictlab::sdk target and dictlab_add_plugin().
include(CMakeFindDependencyMacro)
find_dependency(Boost 1.74)
find_dependency(nlohmann_json)
include(${CMAKE_CURRENT_LIST_DIR}/dictlabTargets.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/dictlab_plugin.cmake)
