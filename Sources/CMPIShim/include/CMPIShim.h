// CMPIShim: MPI's predefined handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, …) are macros
// that expand to addresses of OpenMPI's internal globals, which Swift cannot import.
// This target re-exports them as functions. It can go if Swift ever imports such macros.
#ifndef CMPISHIM_H
#define CMPISHIM_H
#include <mpi.h>
#include <stdint.h>

MPI_Comm CMPIShim_COMM_WORLD(void);
MPI_Comm CMPIShim_COMM_NULL(void);
MPI_Datatype CMPIShim_FLOAT(void);
MPI_Datatype CMPIShim_DOUBLE(void);
MPI_Datatype CMPIShim_INT64(void);
MPI_Datatype CMPIShim_BYTE(void);
MPI_Op CMPIShim_SUM(void);
MPI_Op CMPIShim_MAX(void);
MPI_Op CMPIShim_MIN(void);
MPI_Errhandler CMPIShim_ERRORS_RETURN(void);
MPI_Info CMPIShim_INFO_NULL(void);
MPI_Request CMPIShim_REQUEST_NULL(void);
MPI_Status *CMPIShim_STATUS_IGNORE(void);
MPI_Status *CMPIShim_STATUSES_IGNORE(void);
void *CMPIShim_IN_PLACE(void);
extern const int CMPIShim_SUCCESS;
extern const int CMPIShim_ANY_SOURCE;
extern const int CMPIShim_ANY_TAG;
extern const int CMPIShim_THREAD_SINGLE;
extern const int CMPIShim_THREAD_FUNNELED;
extern const int CMPIShim_THREAD_SERIALIZED;
extern const int CMPIShim_THREAD_MULTIPLE;
extern const int CMPIShim_MAX_ERROR_STRING;
extern const int CMPIShim_COMM_TYPE_SHARED;

#endif
