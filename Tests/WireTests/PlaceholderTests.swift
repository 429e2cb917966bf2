import XCTest
final class WirePlaceholderTests: XCTestCase { func testBuilds() {} }
