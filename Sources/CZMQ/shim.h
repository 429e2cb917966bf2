// CZMQ: libzmq's C API (sockets, CURVE, polling).
#include <zmq.h>
