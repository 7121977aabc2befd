import CliplineSystem

/// The uploads one streamed body feeds: opened together, written in turn, finished in parallel; any failure (of the
/// producer or of one upload) aborts every one that is not finished, so no object and no parts are left.
struct StreamedUploads {
  let streams: [BlobUploadStream]

  init(_ openers: [() throws -> BlobUploadStream]) throws {
    var opened: [BlobUploadStream] = []
    do {
      for open in openers { opened.append(try open()) }
    } catch {
      for stream in opened { stream.abort() }
      throw error
    }
    streams = opened
  }

  /// What each stream stored, in their order.
  func run(_ produce: (UploadBodyWriter) throws -> Void) throws -> [StoredBlob] {
    do {
      try produce(UploadBodyWriter(streams))
    } catch {
      for stream in streams { stream.abort() }
      throw error
    }
    let streams = streams
    do {
      return try ParallelWork.map(count: streams.count, width: streams.count) { try streams[$0].finish() }.map {
        try $0.get()
      }
    } catch {
      for stream in streams { stream.abort() }
      throw error
    }
  }
}
