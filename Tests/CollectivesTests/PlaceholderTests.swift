import XCTest
final class CollectivesPlaceholderTests: XCTestCase { func testBuilds() {} }
