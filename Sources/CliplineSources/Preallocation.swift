import Foundation

/// Creates (or empties) the file at `path` and gives it `size` bytes, allocated on disk where the file system can
/// (posix_fallocate), else as a sparse file. Parallel ranged downloads then write into blocks that already exist: on ext4
/// a sparse file makes every write allocate under the inode's lock, which several writers spin on.
public func createPreallocated(_ path: String, size: Int64) throws {
  let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
  guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
  defer { close(descriptor) }
  guard size > 0 else { return }
  if posix_fallocate(descriptor, 0, off_t(size)) == 0 { return }
  guard ftruncate(descriptor, off_t(size)) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
}
