internal import CCliplineRabbitMQ

/// The rabbitmq-c this process runs with, for `--version`.
public enum RabbitMQLibrary {
  public static var version: String { String(cString: amqp_version()) }
}
