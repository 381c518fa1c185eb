// zlib (Debian's zlib1g-dev): gzip for tile responses to clients that accept it.
#include <zlib.h>
