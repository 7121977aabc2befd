internal import CCliplineRabbitMQ
import CliplineCrypto
import CliplineSystem

extension AMQPConnection {
  /// A TLS socket on `state`, set up as `options` ask (CA file, peer check by name or IP address, client
  /// certificate), not yet connected; rabbitmq-c frees it with the connection.
  static func tlsSocket(_ state: amqp_connection_state_t, _ options: ConnectionOptions) throws -> OpaquePointer {
    let endpoint = options.endpoint
    // rabbitmq-c says only "a SSL error occurred" for a file it cannot read, which reads as a broker that is gone
    // (reconnect, then 69): a missing file is ours, said with its errno (66, 77) before any connection.
    for path in [options.caFile, options.certificateFile, options.keyFile].compactMap({ $0 }) {
      try LocalFile.openForReading(path).close()
    }
    _ = OpenSSLProcessSetup.done  // before rabbitmq-c initialises OpenSSL
    guard let socket = amqp_ssl_socket_new(state) else {
      throw AMQPError.misuse("TLS", "rabbitmq-c could not make a TLS socket")
    }
    if let caFile = options.caFile {
      try AMQPError.check(status: amqp_ssl_socket_set_cacert(socket, caFile), "reading the CA file \(caFile)")
    }
    amqp_ssl_socket_set_verify_peer(socket, options.verifyPeer ? 1 : 0)
    // rabbitmq-c matches DNS names only; OpenSSL checks the name, or the IP address, during verification.
    amqp_ssl_socket_set_verify_hostname(socket, 0)
    if options.verifyPeer {
      guard clipline_amqp_ssl_expect_peer(socket, endpoint.host) == 1 else {
        throw AMQPError.misuse("TLS", "cannot verify the broker as \"\(endpoint.host)\"")
      }
    }
    if let certificate = options.certificateFile {
      let key = options.keyFile ?? certificate
      try AMQPError.check(
        status: amqp_ssl_socket_set_key(socket, certificate, key), "reading the client certificate \(certificate)")
    }
    return socket
  }
}
