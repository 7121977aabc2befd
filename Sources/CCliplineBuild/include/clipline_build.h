#ifndef CLIPLINE_BUILD_H
#define CLIPLINE_BUILD_H

/// The commit the binary was built from, as `make` passes it (CLIPLINE_COMMIT in the environment of `swift build`,
/// read by Package.swift); "" when it was built without it.
const char *clipline_build_commit(void);

#endif
