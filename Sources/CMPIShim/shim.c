// See include/CMPIShim.h for why this exists.
#include "CMPIShim.h"

MPI_Comm CMPIShim_COMM_WORLD(void) { return MPI_COMM_WORLD; }
MPI_Comm CMPIShim_COMM_NULL(void) { return MPI_COMM_NULL; }
MPI_Datatype CMPIShim_FLOAT(void) { return MPI_FLOAT; }
MPI_Datatype CMPIShim_DOUBLE(void) { return MPI_DOUBLE; }
MPI_Datatype CMPIShim_INT64(void) { return MPI_INT64_T; }
MPI_Datatype CMPIShim_BYTE(void) { return MPI_BYTE; }
MPI_Op CMPIShim_SUM(void) { return MPI_SUM; }
MPI_Op CMPIShim_MAX(void) { return MPI_MAX; }
MPI_Op CMPIShim_MIN(void) { return MPI_MIN; }
MPI_Errhandler CMPIShim_ERRORS_RETURN(void) { return MPI_ERRORS_RETURN; }
MPI_Info CMPIShim_INFO_NULL(void) { return MPI_INFO_NULL; }
MPI_Request CMPIShim_REQUEST_NULL(void) { return MPI_REQUEST_NULL; }
MPI_Status *CMPIShim_STATUS_IGNORE(void) { return MPI_STATUS_IGNORE; }
MPI_Status *CMPIShim_STATUSES_IGNORE(void) { return MPI_STATUSES_IGNORE; }
void *CMPIShim_IN_PLACE(void) { return MPI_IN_PLACE; }
const int CMPIShim_SUCCESS = MPI_SUCCESS;
const int CMPIShim_ANY_SOURCE = MPI_ANY_SOURCE;
const int CMPIShim_ANY_TAG = MPI_ANY_TAG;
const int CMPIShim_THREAD_SINGLE = MPI_THREAD_SINGLE;
const int CMPIShim_THREAD_FUNNELED = MPI_THREAD_FUNNELED;
const int CMPIShim_THREAD_SERIALIZED = MPI_THREAD_SERIALIZED;
const int CMPIShim_THREAD_MULTIPLE = MPI_THREAD_MULTIPLE;
const int CMPIShim_MAX_ERROR_STRING = MPI_MAX_ERROR_STRING;
const int CMPIShim_COMM_TYPE_SHARED = MPI_COMM_TYPE_SHARED;
