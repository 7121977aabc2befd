import CliplineRecords
import CliplineSystem
import CliplineTestSupport
import Foundation
import XCTest

@testable import CliplineAWS

/// A profile that does not exist, and no region anywhere: each its own sentence and exit 78, as the aws CLI says
/// them, never "none found" or a silent us-east-1 (KVSEndToEndTests' AWSProfileToolTests run the tools).
final class ProfileAndRegionTests: AWSEnvironmentTestCase {
  func testAProfileThatDoesNotExistIsNamed() throws {
    try writeConfig("[profile staging]\nregion = eu-west-1\n")
    for (profile, variable) in [("nope", nil), ("nope", "AWS_PROFILE"), ("default", "AWS_PROFILE")] {
      if let variable { setenv(variable, profile, 1) }
      let chain = AWSCredentialChain.standard(profile: variable == nil ? profile : nil)
      XCTAssertThrowsError(try chain.credentials(), "\(profile) by \(variable ?? "--profile")") { error in
        XCTAssertEqual(ExitStatus.of(error), .configuration)
        let sentence = describe(error)
        XCTAssertTrue(sentence.contains("profile \"\(profile)\""), sentence)
        XCTAssertTrue(sentence.contains("could not be found"), sentence)
        XCTAssertTrue(sentence.contains(variable ?? "--profile"), sentence)
        XCTAssertFalse(sentence.contains("none found"), sentence)
      }
      if let variable { unsetenv(variable) }
    }
  }

  /// The aws CLI refuses a named profile that is missing even when the environment has keys; so do we.
  func testAMissingNamedProfileIsNotCoveredByTheEnvironmentsKeys() throws {
    setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1)
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1)
    setenv("AWS_PROFILE", "typo", 1)
    XCTAssertThrowsError(try AWSCredentialChain.standard().credentials()) { error in
      XCTAssertTrue(describe(error).contains("\"typo\""), describe(error))
    }
    // Keys given as flags still win over everything, as before.
    let flags = AWSCredentialChain.standard(accessKeyId: "FLAGKEY", secretAccessKey: "flagsecret")
    XCTAssertEqual(try flags.credentials().accessKeyId, "FLAGKEY")
  }

  func testNoProfileNamedAndNothingFoundIsStillNoneFound() {
    XCTAssertThrowsError(try AWSCredentialChain.standard().credentials()) { error in
      XCTAssertTrue(describe(error).contains("none found"), describe(error))
    }
  }

  /// S3 keeps botocore's fallback: with no region, requests are signed for us-east-1 (S3's global endpoint).
  func testS3StillFallsBackToUSEast1() {
    XCTAssertEqual(AWSRegion.resolve(flag: nil), "us-east-1")
    XCTAssertNil(AWSSettings.resolve().region)
    XCTAssertThrowsError(try AWSSettings.resolve().requiredRegion(for: "Kinesis Video Streams"))
  }
}
