import XCTest
final class TrainPlaceholderTests: XCTestCase { func testBuilds() {} }
