// CZlib: gzip reading for the IDX data files and CRC32 for checkpoints.
#include <zlib.h>
