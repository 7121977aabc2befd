// The AMQP field-table decoder: any bytes as an encoded table (what another client puts in message headers),
// decoded by rabbitmq-c as the broker's frames are, then read as JSON by FieldTableReader.
@testable import CliplineAMQP
import CCliplineRabbitMQ

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  var pool = amqp_pool_t()
  init_amqp_pool(&pool, 4096)
  defer { empty_amqp_pool(&pool) }
  var table = amqp_table_t()
  var offset = 0
  let encoded = amqp_bytes_t(len: size, bytes: UnsafeMutableRawPointer(mutating: data))
  guard amqp_decode_table(encoded, &pool, &table, &offset) == 0 else { return 0 }
  _ = FieldTableReader.object(table)
  return 0
}
