#include <sqlite3.h>

/* sqlite3_config is variadic (Swift cannot call it). Memory statistics take a global mutex on
   every allocation; OneMap does not read them. Only effective before SQLite initialises. */
static inline int onemap_sqlite3_disable_memstatus(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
