import Checkpoint
import Foundation
import XCTest

final class ManifestTests: XCTestCase {
    func testCRC32IsZlibs() {
        XCTAssertEqual(CRC32.of(Data("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(CRC32.of(Data()), 0)
    }

    func testAMissingOrGarbledManifestIsRefusedNamingIt() throws {
        let dir = NSTemporaryDirectory() + "cohort-manifest-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertThrowsError(try CheckpointReader.verify(dir)) { XCTAssertEqual($0 as? CheckpointError, .missingFile(path: dir + "/manifest.json")) }
        try Data("{\"format_version\": 1, \"step\": \"x\"}".utf8).write(to: URL(fileURLWithPath: dir + "/manifest.json"))
        XCTAssertThrowsError(try CheckpointReader.verify(dir)) { XCTAssertTrue("\($0)".hasPrefix("checkpoint manifest \(dir)/manifest.json is unreadable")) }
        XCTAssertThrowsError(try CheckpointReader.resolve("latest", directory: dir)) {
            XCTAssertEqual($0 as? CheckpointError, .noValidCheckpoint(directory: dir, reasons: []))
        }
    }

    func testOnlyCommittedStepDirectoriesCountNewestFirst() throws {
        let dir = NSTemporaryDirectory() + "cohort-steps-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for n in ["step-00000010", "step-00000200", "step-00000300.tmp", "step-00000020", "other"] {
            try FileManager.default.createDirectory(atPath: "\(dir)/\(n)", withIntermediateDirectories: true)
        }
        XCTAssertEqual(CheckpointReader.committed(in: dir).map { ($0 as NSString).lastPathComponent },
                       ["step-00000200", "step-00000020", "step-00000010"])
    }
}
