import CliplineCLI
import CliplineTools

MultiCall.main("kvs-clip-media", in: Tools.commands, versionDetails: Tools.versionDetails)
