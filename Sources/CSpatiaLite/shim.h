// spatialite.h uses sqlite3 types without including sqlite3.h itself.
#include <sqlite3.h>
#include <spatialite.h>
