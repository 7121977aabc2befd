import XCTest

@testable import CliplineSystem

/// The credential shapes that reached dead-letter headers verbatim (issue 24, item 11): each is masked by
/// `SecretRedaction.text`, and the text around it stays.
final class SecretShapesTests: XCTestCase {
  static let key = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun"

  func testJSONFormSecretsAreMasked() {
    let text = #"config: {"aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG", "password": "hunter2", "n": 1}"#
    let masked = SecretRedaction.text(text, environment: [:])
    for secret in ["wJalrXUtnFEMI", "hunter2"] { XCTAssertFalse(masked.contains(secret), masked) }
    XCTAssertTrue(masked.contains(#""n": 1"#), masked)
    let python = SecretRedaction.text("{'SessionToken': 'FQoGZXIvYXdzE', 'SecretAccessKey': 'abc/def'}")
    XCTAssertFalse(python.contains("FQoGZXIvYXdzE") || python.contains("abc/def"), python)
  }

  func testURLWithAnEmptyUserIsMasked() {
    XCTAssertEqual(
      SecretRedaction.text("cannot reach redis://:s3cret-pw@127.0.0.1:6379/0", environment: [:]),
      "cannot reach redis://:***@127.0.0.1:6379/0")
  }

  func testPrivateKeysAreMasked() {
    let whole = "before\n-----BEGIN RSA PRIVATE KEY-----\n\(Self.key)\n-----END RSA PRIVATE KEY-----\nafter"
    let masked = SecretRedaction.text(whole, environment: [:])
    XCTAssertFalse(masked.contains(Self.key), masked)
    XCTAssertTrue(masked.hasPrefix("before\n") && masked.hasSuffix("\nafter"), masked)
    // A stderr tail keeps the last kilobytes: the key may be cut at either end.
    let cutAtTheEnd = SecretRedaction.text("x\n-----BEGIN PRIVATE KEY-----\n\(Self.key)", environment: [:])
    XCTAssertFalse(cutAtTheEnd.contains(Self.key), cutAtTheEnd)
    let cutAtTheStart = SecretRedaction.text("\(Self.key)\n-----END EC PRIVATE KEY-----\nexit 3", environment: [:])
    XCTAssertFalse(cutAtTheStart.contains(Self.key), cutAtTheStart)
    XCTAssertTrue(cutAtTheStart.hasSuffix("\nexit 3"), cutAtTheStart)
  }

  func testFlagValuesAreMasked() {
    let masked = SecretRedaction.text(
      "+ blob-put --secret-access-key wJalrXUtnFEMI --password=hunter2 --token tok123 --to s3://b/k",
      environment: [:])
    for secret in ["wJalrXUtnFEMI", "hunter2", "tok123"] { XCTAssertFalse(masked.contains(secret), masked) }
    XCTAssertTrue(masked.hasSuffix("--to s3://b/k"), masked)
  }

  /// A Bearer or Basic credential is masked; a server's sentence about one ("unknown bearer token", gql-mutate's
  /// 401) keeps its words.
  func testBearerCredentialsAreMaskedAndTheWordsAboutThemKept() {
    let masked = SecretRedaction.text(
      "Authorization failed: Bearer eyJhbGciOi.x-y_z and basic dXNlcjpwdw==", environment: [:])
    XCTAssertFalse(masked.contains("eyJhbGciOi") || masked.contains("dXNlcjpwdw"), masked)
    for prose in ["HTTP 401: unknown bearer token", "missing bearer token", "basic credentials required"] {
      XCTAssertEqual(SecretRedaction.text(prose, environment: [:]), prose)
    }
  }

  /// Text with none of the shapes' words is left alone without the expressions (start-up's own sentences); text
  /// that is not all ASCII always meets them, where case-insensitive matching folds "ſ" to "s".
  func testPlainSentencesStayAndFoldedWordsAreStillMasked() {
    let plain = "out of file descriptors (ulimit -n is 1024); raise the limit or run fewer jobs"
    XCTAssertEqual(SecretRedaction.text(plain, environment: [:]), plain)
    XCTAssertFalse(SecretRedaction.mayHaveASecretShape(plain))
    XCTAssertTrue(SecretRedaction.mayHaveASecretShape("AUTHORIZATION: x"))
    let folded = SecretRedaction.text("failed: \u{17F}ecret=hunter22 rest", environment: [:])
    XCTAssertFalse(folded.contains("hunter22"), folded)
    XCTAssertTrue(folded.hasSuffix(" rest"), folded)
  }
}
