import XCTest
final class CoordinatorPlaceholderTests: XCTestCase { func testBuilds() {} }
