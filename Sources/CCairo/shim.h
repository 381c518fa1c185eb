// cairo (Debian's libcairo2-dev): maps drawn on the server, as PNG images and in PDF reports.
// Text goes through cairo's font API, which finds Noto Sans CJK (fonts-noto-cjk) via fontconfig.
#include <cairo.h>
#include <cairo-pdf.h>
