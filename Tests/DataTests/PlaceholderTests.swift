import XCTest
final class DataPlaceholderTests: XCTestCase { func testBuilds() {} }
