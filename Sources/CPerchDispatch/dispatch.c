// CPerchDispatch is its header: the handlers are compiled inside PerchInterp (see
// perch_dispatch.h). SwiftPM needs one source file per C target; this one checks that a
// handler pointer is one word, as the table's layout assumes.
#include "perch_dispatch.h"

_Static_assert(sizeof(PerchHandler) == sizeof(void *), "one word per handler");
