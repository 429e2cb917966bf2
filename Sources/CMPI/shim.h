// CMPI: the MPI C API of OpenMPI. Its handles are macros; CMPIShim exports them.
#include <mpi.h>
