// Only the re-entrant (_r) API: one context handle per thread, never shared.
#define GEOS_USE_ONLY_R_API
#include <geos_c.h>
