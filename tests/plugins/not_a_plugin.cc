// A shared library that is not a dictlab plugin: it exports no descriptor.
extern "C" int some_function() { return 42; }
