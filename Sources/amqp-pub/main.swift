import CliplineCLI
import CliplineTools

MultiCall.main("amqp-pub", in: Tools.commands, versionDetails: Tools.versionDetails)
