// Implements: the `Cohort` library product, one import for a user's own training program:
//   Tensor      tensors over flat float buffers, matmul and the element-wise kernels
//   NN          Layer (for your own layers), Model, Sequential, GPT, ParameterStore, SGD, Adam(W)
//   Data        Dataset, DistributedSampler, Batcher, NumPy and IDX readers, token shards
//   Collectives the communicator (MPI) and the rings the ranks reduce over
//   Parallel    DataParallel with ZeRO stages 0–2
//   Checkpoint  Checkpointer, CheckpointReader, safetensors in and out
//   Train       RankContext (the process's place under mpirun), TrainingLoop, JobSpec
// docs/library.md is the tutorial.
@_exported import Checkpoint
@_exported import Collectives
@_exported import Data
@_exported import NN
@_exported import Parallel
@_exported import Tensor
@_exported import Train
