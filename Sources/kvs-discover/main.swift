import CliplineCLI
import CliplineTools

MultiCall.main("kvs-discover", in: Tools.commands, versionDetails: Tools.versionDetails)
