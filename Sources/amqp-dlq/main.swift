import CliplineCLI
import CliplineTools

MultiCall.main("amqp-dlq", in: Tools.commands, versionDetails: Tools.versionDetails)
