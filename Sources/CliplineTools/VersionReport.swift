import CCliplineBuild
import CliplineAMQP
import CliplineCache
import CliplineCrypto
import CliplineHTTP
import CliplineMedia

extension Tools {
  /// What `--version` prints after the tool's name and version, as `ffmpeg -version` does: the commit it was built
  /// from and the C libraries it runs with. FFmpeg is loaded to be asked (only here and by tools that open media).
  public static func versionDetails() -> [String] {
    let commit = String(cString: clipline_build_commit())
    return [
      "commit: " + (commit.isEmpty ? "unknown (built without make)" : commit),
      "libcurl: " + CurlLibrary.version,
      "libcrypto: " + CryptoLibrary.version,
      "rabbitmq-c: " + RabbitMQLibrary.version,
      "hiredis: " + HiredisLibrary.version,
      "FFmpeg: " + FFmpegLibraries.version,
    ]
  }
}
