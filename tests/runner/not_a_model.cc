// A shared library that is not a model: `aotic run` must name the first missing symbol.
extern "C" int not_a_model_answer() { return 42; }
