// swift-tools-version:6.0
// Cohort: a data-parallel training cluster. Module map: docs/architecture.md.
import PackageDescription

// Release builds: whole-module optimisation for AVX2 + FMA everywhere numbers are moved; Swift's
// bounds and overflow checks (and every `precondition`) dropped in the numeric kernels only
// (Tensor, NN), so everywhere else a broken invariant still stops the process.
let optimized: [SwiftSetting] = [.unsafeFlags(["-wmo", "-target-cpu", "haswell"], .when(configuration: .release))]
let kernels: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo", "-target-cpu", "haswell"], .when(configuration: .release))]

let package = Package(
    name: "Cohort",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "cohort", targets: ["cohort"]),
        // What a user's own Swift program imports to train its models (docs/library.md).
        .library(name: "Cohort", targets: ["Cohort"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
    ],
    targets: [
        // C libraries: one .systemLibrary per library (pkg-config names as Debian ships them).
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        .systemLibrary(name: "CZMQ", pkgConfig: "libzmq", providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // MPI's handles are macros Swift cannot import; this exports them as functions.
        .target(name: "CMPIShim", dependencies: ["CMPI"]),
        // Atomics and futex doorbells on memory shared between processes (include/CSharedMemory.h).
        .target(name: "CSharedMemory"),

        .target(name: "Durable"),
        // The job spec's one schema: read by the trainer and by the coordinator (no Tensor, NN or MPI).
        .target(name: "Spec", dependencies: [.product(name: "Yams", package: "Yams")]),
        .target(name: "Tensor", dependencies: ["COpenBLAS"], swiftSettings: kernels),
        .target(name: "NN", dependencies: ["Tensor"], swiftSettings: kernels),
        .target(name: "Data", dependencies: ["Tensor", "CZlib"], swiftSettings: optimized),
        .target(name: "Collectives", dependencies: ["CMPI", "CMPIShim", "CSharedMemory"], swiftSettings: kernels),
        .target(name: "Parallel", dependencies: ["Tensor", "NN", "Collectives"], swiftSettings: optimized),
        .target(name: "Checkpoint", dependencies: ["NN", "Parallel", "Durable", "CZlib"]),
        .target(name: "Train", dependencies: [
            "Tensor", "NN", "Data", "Durable", "Collectives", "Parallel", "Checkpoint", "Spec", .product(name: "Yams", package: "Yams"),
        ], swiftSettings: optimized),
        .target(name: "Cohort", dependencies: ["Tensor", "NN", "Data", "Collectives", "Parallel", "Checkpoint", "Train"]),
        // Control plane: never imports Tensor, NN or MPI (docs/architecture.md).
        .target(name: "Wire", dependencies: ["CZMQ", "Durable"]),
        .target(name: "Coordinator", dependencies: [
            "Wire", "Durable", "Spec", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Yams", package: "Yams"),
        ]),
        .executableTarget(name: "cohort", dependencies: [
            "Tensor", "NN", "Data", "Collectives", "Parallel", "Checkpoint", "Train", "Wire", "Coordinator",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: optimized),

        .testTarget(name: "TensorTests", dependencies: ["Tensor"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "Tensor"]),
        .testTarget(name: "DataTests", dependencies: ["Data", "Tensor", "CZlib"]),
        // Runs a test's rank side in real processes under mpirun (not a test target itself).
        .target(name: "MPITestSupport", path: "Tests/MPITestSupport"),
        .testTarget(name: "ParallelTests", dependencies: ["Parallel", "NN", "Collectives", "Tensor", "MPITestSupport"]),
        .testTarget(name: "CheckpointTests", dependencies: ["Checkpoint", "Parallel", "NN"]),
        .testTarget(name: "TrainTests", dependencies: ["Train", "NN", "Data", "Tensor"]),
        .testTarget(name: "CollectivesTests", dependencies: ["Collectives", "MPITestSupport"]),
        .testTarget(name: "WireTests", dependencies: ["Wire"]),
        .testTarget(name: "CoordinatorTests", dependencies: ["Coordinator", "Wire"]),
        .testTarget(name: "CohortCLITests", dependencies: []),
    ],
    swiftLanguageModes: [.v5]
)
