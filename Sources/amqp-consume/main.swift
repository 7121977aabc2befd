import CliplineCLI
import CliplineTools

MultiCall.main("amqp-consume", in: Tools.commands, versionDetails: Tools.versionDetails)
