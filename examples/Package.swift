// swift-tools-version:6.0
// A user's own training program built on the Cohort library: a residual MLP (a model Cohort does
// not ship) on a data set it makes itself, trained data-parallel under mpirun (docs/library.md).
import PackageDescription

let package = Package(
    name: "CohortExamples",
    platforms: [.macOS(.v13)],
    dependencies: [.package(name: "Cohort", path: "..")],
    targets: [
        .executableTarget(name: "ResidualMLP", dependencies: [.product(name: "Cohort", package: "Cohort")]),
    ],
    swiftLanguageModes: [.v5]
)
