/// clipline's version: what every tool prints after its name for `--version`, and what its HTTP requests name in
/// their User-Agent (`clipline/VERSION`). Bumped with a release (and scripts/generate-docs' date).
public let cliplineVersion = "0.3.0"
