internal import CCliplineAVCodec
internal import CCliplineAVFilter
internal import CCliplineAVFormat
internal import CCliplineAVUtil
internal import CCliplineSwScale

/// Owns one configured libavfilter graph for video: a `buffer` source, the filters, a `buffersink`.
final class FilterGraph {
  private let graph: UnsafeMutablePointer<AVFilterGraph>
  let source: UnsafeMutablePointer<AVFilterContext>
  let sink: UnsafeMutablePointer<AVFilterContext>

  /// - Parameter bufferArguments: the `buffer` filter's arguments (size, pixel format, time base, aspect).
  init(bufferArguments: String, filters: String) throws {
    (graph, source, sink) = try FilterGraph.build(bufferArguments: bufferArguments, filters: filters)
  }

  deinit {
    var owned: UnsafeMutablePointer<AVFilterGraph>? = graph
    avfilter_graph_free(&owned)
  }

  private static func build(bufferArguments: String, filters: String) throws -> (
    UnsafeMutablePointer<AVFilterGraph>, UnsafeMutablePointer<AVFilterContext>, UnsafeMutablePointer<AVFilterContext>
  ) {
    try FFmpegLibraries.loadFilters()
    var graph = avfilter_graph_alloc()
    guard let allocated = graph else { throw MediaError("avfilter_graph_alloc failed") }
    do {
      var source: UnsafeMutablePointer<AVFilterContext>?
      var sink: UnsafeMutablePointer<AVFilterContext>?
      try check(
        avfilter_graph_create_filter(&source, avfilter_get_by_name("buffer"), "in", bufferArguments, nil, allocated),
        "avfilter_graph_create_filter (buffer)")
      try check(
        avfilter_graph_create_filter(&sink, avfilter_get_by_name("buffersink"), "out", nil, nil, allocated),
        "avfilter_graph_create_filter (buffersink)")
      var outputs = avfilter_inout_alloc()
      var inputs = avfilter_inout_alloc()
      defer {
        avfilter_inout_free(&outputs)
        avfilter_inout_free(&inputs)
      }
      guard let outputHead = outputs, let inputHead = inputs else { throw MediaError("avfilter_inout_alloc failed") }
      outputHead.pointee.name = av_strdup("in")
      outputHead.pointee.filter_ctx = source
      inputHead.pointee.name = av_strdup("out")
      inputHead.pointee.filter_ctx = sink
      try check(
        avfilter_graph_parse_ptr(allocated, filters, &inputs, &outputs, nil), "avfilter_graph_parse_ptr (\(filters))")
      try check(avfilter_graph_config(allocated, nil), "avfilter_graph_config")
      return (allocated, source!, sink!)
    } catch {
      avfilter_graph_free(&graph)
      throw error
    }
  }
}
