import CliplineCLI
import CliplineTools

MultiCall.main("kvs-follow", in: Tools.commands, versionDetails: Tools.versionDetails)
