import XCTest
final class CohortCLIPlaceholderTests: XCTestCase { func testBuilds() {} }
