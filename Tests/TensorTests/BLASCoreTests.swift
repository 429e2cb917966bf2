import Tensor
import XCTest

final class BLASCoreTests: XCTestCase {
    let avx512: Set<String> = ["avx2", "fma", "avx", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"]

    func testCoreTypeFollowsTheFlags() {
        XCTAssertEqual(BLASCore.coreType(flags: avx512.union(["avx512_bf16"]), vendor: "GenuineIntel"), "COOPERLAKE")
        XCTAssertEqual(BLASCore.coreType(flags: avx512, vendor: "GenuineIntel"), "SKYLAKEX")
        XCTAssertEqual(BLASCore.coreType(flags: ["avx", "avx2", "fma"], vendor: "GenuineIntel"), "HASWELL")
        XCTAssertEqual(BLASCore.coreType(flags: ["avx", "avx2", "fma"], vendor: "AuthenticAMD"), "ZEN")
        XCTAssertEqual(BLASCore.coreType(flags: ["avx"], vendor: "GenuineIntel"), "SANDYBRIDGE")
        XCTAssertNil(BLASCore.coreType(flags: ["sse2"], vendor: "GenuineIntel"))
        // AVX-512 foundation alone (no BW/VL) must not select the SKYLAKEX kernels: SIGILL otherwise.
        XCTAssertEqual(BLASCore.coreType(flags: ["avx", "avx2", "fma", "avx512f"], vendor: "GenuineIntel"), "HASWELL")
    }

    func testParseCPUInfoTakesTheFirstProcessor() {
        let text = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu avx2 fma\n\nprocessor\t: 1\nvendor_id\t: GenuineIntel\nflags\t\t: sse2\n"
        let cpu = BLASCore.parseCPUInfo(text)
        XCTAssertEqual(cpu.vendor, "AuthenticAMD")
        XCTAssertEqual(cpu.flags, ["fpu", "avx2", "fma"])
    }

    func testUserSettingsWin() {
        let env = BLASCore.environment(adding: ["OPENBLAS_CORETYPE": "HASWELL", "OPENBLAS_NUM_THREADS": "2"])
        XCTAssertEqual(env["OPENBLAS_CORETYPE"], "HASWELL")
        XCTAssertEqual(env["OPENBLAS_NUM_THREADS"], "2")
        XCTAssertEqual(env[BLASCore.readyVariable], "1")
        XCTAssertEqual(BLASCore.environment(adding: [:])["OPENBLAS_NUM_THREADS"], "1")
    }
}
