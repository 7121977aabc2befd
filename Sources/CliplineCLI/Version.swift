/// What every tool prints after its name for `--version`; bumped with a release (and scripts/generate-docs' date).
public let cliplineVersion = "0.3.0"
