import CliplineCLI
import CliplineTools

MultiCall.main("kvs-clip", in: Tools.commands, versionDetails: Tools.versionDetails)
