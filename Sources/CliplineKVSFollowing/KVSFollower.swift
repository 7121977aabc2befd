import CliplineKVS
import CliplineRecords
import CliplineSystem
import Foundation

/// Follows many streams in one process, one GetMedia connection and one thread each. Without a shared state store
/// each camera offered is followed here (a lock file keeps a second process on this host off it); with Redis
/// (`RedisCoordination`), each is followed by exactly one process among all that share that Redis: a coordinator
/// renews this process's leases, takes free ones up to its share of the cameras, and gives back what is over it.
/// A stream that ends by itself (deleted, not ACTIVE, lease lost) is dropped until offered again.
// `lock` guards `cameras`, `running`, `order` and `failure`.
public final class KVSFollower: @unchecked Sendable {
  private struct Running {
    let follower: StreamFollower
    let pool: ThreadPool
  }

  private let context: FollowContext
  private let coordination: RedisCoordination?
  private let health: HealthFile?
  private let lock = NSLock()
  private var cameras: [String: CameraRecord] = [:]
  private var order: [String] = []
  private var running: [String: Running] = [:]
  private var failure: Error?
  private var coordinationFailing = false
  /// Called on `run`'s thread each round (false) and once after every follower stopped (true): kvs-follow writes
  /// its `--metrics-file` there. Set before `run`.
  public var eachRound: ((_ stopped: Bool) -> Void)?

  /// `makeContext` is handed the function a follower calls when the process cannot go on.
  public init(
    coordination: RedisCoordination?, health: HealthFile?,
    makeContext: (@escaping @Sendable (Error) -> Void) -> FollowContext
  ) {
    self.coordination = coordination
    self.health = health
    let failed = FailureBox()
    context = makeContext { error in failed.target?.stop(because: error) }
    failed.target = self
  }

  /// A camera to follow (again); a record seen before replaces the older one.
  public func offer(_ camera: CameraRecord) {
    let start = lock.withLock { () -> Bool in
      if cameras[camera.streamArn] == nil { order.append(camera.streamArn) }
      cameras[camera.streamArn] = camera
      return coordination == nil && running[camera.streamArn] == nil
    }
    guard start else { return }
    guard context.positions.claim(camera.streamArn) else {
      context.diagnostics.warning(
        "camera \(camera.cameraId): another kvs-follow on this host follows \(camera.streamName); skipped here")
      return
    }
    launch(camera, lease: nil)
  }

  /// Coordinates and reports until SIGTERM (or a failure that stops the process), then stops every follower,
  /// leaving the windows under way for the next one. Throws that failure.
  public func run() throws {
    let interval = coordination.map { Double($0.leaseMillis) / 4000 } ?? 1
    while !ShutdownSignal.shared.isRequested && lock.withLock({ failure == nil }) {
      if let coordination { coordinate(coordination) }
      writeHealth()
      eachRound?(false)
      ShutdownSignal.shared.sleep(interval)
    }
    stopAll()
    eachRound?(true)
    if let failure = lock.withLock({ failure }) { throw failure }
  }

  func stop(because error: Error) {
    lock.withLock { if failure == nil { failure = error } }
    ShutdownSignal.shared.request()
  }

  private func launch(_ camera: CameraRecord, lease: StreamLease?) {
    let held = lease.map { HeldLease($0, seconds: Double(coordination!.leaseMillis) / 1000) }
    let follower = StreamFollower(camera: camera, lease: held, context: context)
    let pool = ThreadPool(width: 1, stackSize: 4 << 20)
    lock.withLock { running[camera.streamArn] = Running(follower: follower, pool: pool) }
    // Every line said on the camera's thread names it (camera_id in JSON logs), as a record loop names its record.
    let ids = Record(["camera_id": .string(camera.cameraId)])
    pool.submit { [self] in
      RecordIDs.whileHandling(ids) { follower.run() }
      ended(follower)
    }
  }

  /// A follower ended (stopped, or by itself): its stream is free again; one that ended by itself is dropped.
  private func ended(_ follower: StreamFollower) {
    let key = follower.camera.streamArn
    let dropped = !ShutdownSignal.shared.isRequested && !follower.control.wasAskedToStop
    lock.withLock {
      if running[key]?.follower === follower { running[key] = nil }
      if dropped {
        cameras[key] = nil
        order.removeAll { $0 == key }
      }
    }
    context.positions.release(key)
    if let lease = follower.lease?.lease { coordination?.release(lease) }
  }

  private func stopAll() {
    let all = lock.withLock { Array(running.values) }
    for item in all { item.follower.stop() }
    for item in all { item.pool.waitUntilIdle() }
    coordination?.leave()
  }

  /// One round: say this process is alive, renew its leases, and take or give back streams to hold its share.
  private func coordinate(_ coordination: RedisCoordination) {
    do {
      let members = try coordination.heartbeat()
      let held = lock.withLock { running.values.filter { $0.follower.lease != nil } }
      for item in held {
        guard let lease = item.follower.lease else { continue }
        if try coordination.renew(lease.lease) {
          lease.renewed(seconds: Double(coordination.leaseMillis) / 1000)
        } else {
          lease.lost()
          item.follower.stop()
        }
      }
      try balance(coordination, members: members)
      if coordinationFailing { context.diagnostics.info("Redis at \(coordination.location) answers again") }
      coordinationFailing = false
    } catch {
      if !coordinationFailing {
        context.diagnostics.warning(
          "Redis at \(coordination.location): \(describe(error)); streams stop when their leases run out")
      }
      coordinationFailing = true
    }
  }

  private func balance(_ coordination: RedisCoordination, members: Int) throws {
    let (known, held, free) = lock.withLock { () -> (Int, [Running], [CameraRecord]) in
      (
        order.count, running.values.filter { !$0.follower.control.wasAskedToStop },
        order.compactMap { key in
          running[key] == nil ? cameras[key] : nil
        }
      )
    }
    let share = (known + members - 1) / members
    if held.count > share {
      for item in held.suffix(held.count - share) { item.follower.stop() }
      return
    }
    var taking = share - held.count
    for camera in free.shuffled() where taking > 0 {
      guard let lease = try coordination.acquire(camera.streamArn) else { continue }
      launch(camera, lease: lease)
      taking -= 1
    }
  }

  private func writeHealth() {
    if ShutdownSignal.shared.isRequested {
      ServiceNotifier.shared.stopping()
    } else {
      ServiceNotifier.shared.alive(ready: true, status: "following \(lock.withLock { running.count }) streams")
    }
    guard let health else { return }
    let streams = lock.withLock { running.values.map { ($0.follower.camera.cameraId, $0.follower.control.health) } }
    var fields: [String: JSONValue] = [:]
    for (camera, state) in streams { fields[camera] = .object(state) }
    health.update([
      "streams": .object(fields), "windows_written": .integer(Int64(context.records.count)),
      "state": .string(ShutdownSignal.shared.isRequested ? "stopping" : "running"),
    ])
  }
}

/// Lets the context's failure callback reach the follower made after it. `target` is set once, before any thread
/// that could call it starts.
private final class FailureBox: @unchecked Sendable {
  weak var target: KVSFollower?
}
