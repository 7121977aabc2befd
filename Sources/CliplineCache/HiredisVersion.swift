internal import CCliplineHiredis

/// The hiredis clipline was built against, for `--version` (hiredis has no function that says its version: the
/// headers' numbers are the ABI the build linked to).
public enum HiredisLibrary {
  public static var version: String { "\(HIREDIS_MAJOR).\(HIREDIS_MINOR).\(HIREDIS_PATCH)" }
}
