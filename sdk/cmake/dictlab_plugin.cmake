# dictlab_add_plugin(<name> <sources>...)
#
# Builds a dictlab plugin: a shared library named lib<name>.so that links the
# SDK. Inside the dictlab tree it lands in the build's plugins/ folder, where
# `dictlab` finds it; elsewhere, point DICTLAB_PLUGIN_PATH at its folder.
function(dictlab_add_plugin name)
  add_library(${name} MODULE ${ARGN})
  # So a project can build or test all of its plugins together.
  set_property(GLOBAL APPEND PROPERTY DICTLAB_PLUGINS ${name})
  target_link_libraries(${name} PRIVATE dictlab::sdk)
  set_target_properties(${name} PROPERTIES
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    PREFIX "lib")
  if(DEFINED DICTLAB_PLUGIN_OUTPUT_DIR)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${DICTLAB_PLUGIN_OUTPUT_DIR})
  endif()
endfunction()
